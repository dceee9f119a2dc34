package filestore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/statstore/statstore"
)

// spikyEntries returns n entries from iteration start on with gaps, NaN,
// ±Inf, -0, ties and spikes.
func spikyEntries(r *rand.Rand, start, n int) []statstore.TrainingIterationStats {
	out := make([]statstore.TrainingIterationStats, 0, n)
	it := start
	for range n {
		l := math.Round(r.Float64()*20) / 10
		switch r.IntN(30) {
		case 0:
			l = math.NaN()
		case 1:
			l = math.Inf(1 - 2*r.IntN(2))
		case 2:
			l = 1000 * r.Float64()
		case 3:
			l = math.Copysign(0, -1)
		}
		out = append(out, statstore.TrainingIterationStats{Iteration: it, Loss: l, Time: float64(it)})
		it += 1 + r.IntN(3)*r.IntN(2)
		if r.IntN(3000) == 0 {
			it += r.IntN(1 << 19)
		}
	}
	return out
}

// checkBuckets fails unless s's buckets of run equal the direct answer for
// random options.
func checkBuckets(t *testing.T, s *Store, run string, r *rand.Rand, what string) {
	t.Helper()
	ctx := context.Background()
	all, err := s.RetrieveTrainingStats(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	h := all.IterationStats
	for k := range 12 {
		o := statstore.BucketOptions{Buckets: 1 + r.IntN(400)}
		if k%2 == 1 && len(h) > 0 {
			a, b := r.IntN(h[len(h)-1].Iteration+2), r.IntN(h[len(h)-1].Iteration+2)
			o.Range = statstore.IterationRange{From: min(a, b), To: max(a, b) + 1}
		}
		got, gw, err := s.TrainingBuckets(ctx, run, o)
		if err != nil {
			t.Fatalf("%s: TrainingBuckets(%+v): %v", what, o, err)
		}
		want, ww, _ := statstore.BucketTraining(h, o)
		if gw != ww || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: TrainingBuckets(%+v): got width %d, %d buckets, want width %d, %d buckets\n got %v\nwant %v", what, o, gw, len(got), ww, len(want), got, want)
		}
	}
}

// TestBucketSidecar: the buckets equal the direct answer through appends
// (by this Store and by another), a fresh Store, a damaged or missing
// sidecar, an overwrite, and on a read-only Store, which writes nothing.
func TestBucketSidecar(t *testing.T) {
	seed := uint64(rand.Int64())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 7))
	dir := t.TempDir()
	ctx := context.Background()
	open := func(ro bool) *Store {
		s, err := Open(dir, Options{NoSync: true, ReadOnly: ro})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	s := open(false)
	const run = "r"
	var h []statstore.TrainingIterationStats
	for step := range 5 {
		start := 0
		if len(h) > 0 {
			start = h[len(h)-1].Iteration + 1
		}
		h = append(h, spikyEntries(r, start, 1+r.IntN(15_000))...)
		if err := s.StoreTrainingStats(ctx, run, &statstore.TrainingStats{IterationStats: h}); err != nil {
			t.Fatal(err)
		}
		checkBuckets(t, s, run, r, fmt.Sprintf("append %d", step))
	}
	meta := filepath.Join(dir, bucketsDir, run, "meta")
	if _, err := os.Stat(meta); err != nil {
		t.Fatalf("no sidecar after the queries: %v", err)
	}
	checkBuckets(t, open(false), run, r, "a fresh Store")

	// Another Store (another process) appends: the sidecar is extended.
	other := open(false)
	h = append(h, spikyEntries(r, h[len(h)-1].Iteration+1, 5000)...)
	if err := other.StoreTrainingStats(ctx, run, &statstore.TrainingStats{IterationStats: h}); err != nil {
		t.Fatal(err)
	}
	checkBuckets(t, s, run, r, "another Store's append")

	damage := []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"meta flipped", func(t *testing.T) { flipByte(t, meta, 40) }},
		{"meta missing", func(t *testing.T) { _ = os.Remove(meta) }},
		{"level flipped", func(t *testing.T) { flipByte(t, levelFile(t, dir, run), 100) }},
		{"level cut", func(t *testing.T) {
			p := levelFile(t, dir, run)
			if err := os.Truncate(p, fileSize(t, p)/2); err != nil {
				t.Fatal(err)
			}
		}},
		{"level missing", func(t *testing.T) { _ = os.Remove(levelFile(t, dir, run)) }},
	}
	for _, d := range damage {
		checkBuckets(t, s, run, r, "before "+d.name) // the sidecar is whole again
		d.fn(t)
		checkBuckets(t, open(false), run, r, d.name)
	}

	// An overwrite from an earlier checkpoint.
	h = append(h[:len(h)/3:len(h)/3], spikyEntries(r, h[len(h)/3].Iteration, 4000)...)
	if err := s.StoreTrainingStats(ctx, run, &statstore.TrainingStats{IterationStats: h}); err != nil {
		t.Fatal(err)
	}
	checkBuckets(t, s, run, r, "overwrite")

	// A read-only Store writes no sidecar.
	if err := os.RemoveAll(filepath.Join(dir, bucketsDir)); err != nil {
		t.Fatal(err)
	}
	checkBuckets(t, open(true), run, r, "read-only")
	if _, err := os.Stat(filepath.Join(dir, bucketsDir)); !os.IsNotExist(err) {
		t.Fatalf("a read-only Store wrote its sidecar (stat: %v)", err)
	}
}

// levelFile returns a level file of run's sidecar with closed blocks.
func levelFile(t *testing.T, dir, run string) string {
	t.Helper()
	m, err := os.ReadFile(filepath.Join(dir, bucketsDir, run, "meta"))
	if err != nil {
		t.Fatal(err)
	}
	bm, err := decodeBucketMeta(m)
	if err != nil {
		t.Fatal(err)
	}
	return levelPath(filepath.Join(dir, bucketsDir, run), bm.gen, 0)
}

// flipByte inverts the byte at off of the file at path.
func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var b [1]byte
	if _, err := f.ReadAt(b[:], off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b[:], off); err != nil {
		t.Fatal(err)
	}
}

// TestBucketSidecarConcurrent: readers of two Stores (two processes, as far
// as the sidecar is concerned) ask for buckets while a writer appends;
// every answer is that of a prefix of the history.
func TestBucketSidecarConcurrent(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	dir := t.TempDir()
	ctx := context.Background()
	var stores []*Store
	for range 3 {
		s, err := Open(dir, Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		stores = append(stores, s)
	}
	h := spikyEntries(r, 0, 40_000)
	if err := stores[0].StoreTrainingStats(ctx, "r", &statstore.TrainingStats{IterationStats: h[:5000]}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	errs := make(chan error, 2)
	for _, s := range stores[1:] {
		go func() {
			for k := 0; ; k++ {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				o := statstore.BucketOptions{Buckets: 1 + k%300}
				got, _, err := s.TrainingBuckets(ctx, "r", o)
				if err != nil {
					errs <- err
					return
				}
				n := 0
				for _, b := range got {
					n += b.Count
				}
				want, _, _ := statstore.BucketTraining(h[:n], o)
				if fmt.Sprint(got) != fmt.Sprint(want) {
					errs <- fmt.Errorf("%+v: the buckets of %d entries differ from the direct answer for the first %d", o, n, n)
					return
				}
			}
		}()
	}
	for end := 5000; end < len(h); end += 1000 {
		if err := stores[0].StoreTrainingStats(ctx, "r", &statstore.TrainingStats{IterationStats: h[end:min(len(h), end+1000)]}); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestBucketsCanceled: a canceled context stops a sidecar build with an
// error wrapping context.Canceled.
func TestBucketsCanceled(t *testing.T) {
	s, err := Open(t.TempDir(), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	if err := s.StoreTrainingStats(context.Background(), "r", &statstore.TrainingStats{IterationStats: history(0, 1, 20_000)}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := s.TrainingBuckets(ctx, "r", statstore.BucketOptions{Buckets: 10}); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want an error wrapping context.Canceled", err)
	}
}

// TestBucketSidecarGoesWithTheRun: deleting a run's training stats, the
// run, or trashing it removes its bucket sidecar (nothing else would); a
// run written again under the name, and a restored one, answer right.
func TestBucketSidecarGoesWithTheRun(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := rand.New(rand.NewPCG(3, 4))
	sidecar := filepath.Join(dir, bucketsDir, "run")
	build := func(what string) {
		t.Helper()
		if err := s.StoreTrainingStats(ctx, "run", &statstore.TrainingStats{IterationStats: spikyEntries(r, 0, 5000)}); err != nil {
			t.Fatal(err)
		}
		checkBuckets(t, s, "run", r, what)
		if _, err := os.Stat(sidecar); err != nil {
			t.Fatalf("%s: no sidecar after a buckets read: %v", what, err)
		}
	}
	gone := func(what string) {
		t.Helper()
		if _, err := os.Stat(sidecar); !os.IsNotExist(err) {
			t.Fatalf("%s: the sidecar is still there (stat: %v)", what, err)
		}
	}
	build("first")
	if err := s.DeleteTrainingStats(ctx, "run"); err != nil {
		t.Fatal(err)
	}
	gone("after DeleteTrainingStats")
	build("written again")
	if err := s.DeleteRun(ctx, "run"); err != nil {
		t.Fatal(err)
	}
	gone("after DeleteRun")
	build("written again")
	e, err := s.TrashRun(ctx, "run")
	if err != nil {
		t.Fatal(err)
	}
	gone("after TrashRun")
	if _, err := s.RestoreRun(ctx, e.ID, ""); err != nil {
		t.Fatal(err)
	}
	checkBuckets(t, s, "run", r, "restored")
}
