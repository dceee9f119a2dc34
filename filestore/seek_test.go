package filestore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/fsutil"
	"github.com/statstore/statstore/internal/record"
	"github.com/statstore/statstore/storetest"
)

// TestSubsampleMatchesReference checks that seeking stride subsamples and
// ranges equal statstore.Subsample and a filter of the whole history, on
// histories with gaps spanning many blocks, read by a freshly opened store
// (pread), a store that has read the run before (memory map, cached index)
// and a store whose files cannot be mapped (pread, cached index).
func TestSubsampleMatchesReference(t *testing.T) {
	seed := rand.Uint64()
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("seed %d", seed)
	var entries []statstore.TrainingIterationStats
	it := 5
	for range 30_000 {
		entries = append(entries, statstore.TrainingIterationStats{Iteration: it, Loss: rng.Float64(), Time: 1})
		it += 1 + rng.IntN(20)
	}
	dir := t.TempDir()
	storeHistory(t, mustOpenDir(t, dir, Options{NoSync: true}), "r", entries, 1234)
	last := entries[len(entries)-1].Iteration
	ranges := []statstore.IterationRange{
		{}, {From: 0, To: 1}, {From: 5, To: 6}, {From: 6}, {From: last}, {From: last + 1},
		{From: last / 3, To: last / 2}, {From: 100, To: 101},
	}
	for range 20 {
		a, b := rng.IntN(last+10), rng.IntN(last+10)
		ranges = append(ranges, statstore.IterationRange{From: min(a, b), To: max(a, b)})
	}
	warm := mustOpenDir(t, dir, Options{ReadOnly: true})
	unmapped := mustOpenDir(t, dir, Options{ReadOnly: true, fs: &countingFS{}})
	for range 2 { // the second read maps the file
		if _, err := warm.SubsampleTraining(t.Context(), "r", statstore.SubsampleOptions{MaxPoints: 10}); err != nil {
			t.Fatal(err)
		}
	}
	readers := []struct {
		name string
		open func(t *testing.T) *Store
	}{
		{"cold", func(t *testing.T) *Store { return mustOpenDir(t, dir, Options{ReadOnly: true}) }},
		{"warm", func(*testing.T) *Store { return warm }},
		{"unmapped", func(*testing.T) *Store { return unmapped }},
	}
	for _, r := range ranges {
		for _, n := range []int{2, 3, 1000, 50_000} {
			for _, mode := range []statstore.SubsampleMode{statstore.SubsampleStride, statstore.SubsampleMinMax} {
				opts := statstore.SubsampleOptions{MaxPoints: n, Mode: mode, Range: r}
				want, err := statstore.Subsample(entries, opts)
				if err != nil {
					t.Fatal(err)
				}
				for _, rd := range readers {
					t.Run(fmt.Sprintf("%s/%v/n=%d/%s", rd.name, r, n, mode), func(t *testing.T) {
						got, err := rd.open(t).SubsampleTraining(t.Context(), "r", opts)
						if err != nil {
							t.Fatal(err)
						}
						if !reflect.DeepEqual(got, want) && !sameHistory(got, want) {
							t.Fatalf("got %d points, want %d (first difference %s)", len(got), len(want), firstDiff(got, want))
						}
					})
				}
			}
		}
		for _, rd := range readers {
			t.Run(fmt.Sprintf("%s/range %v", rd.name, r), func(t *testing.T) {
				got, err := rd.open(t).RetrieveTrainingRange(t.Context(), "r", r)
				if err != nil {
					t.Fatal(err)
				}
				var want []statstore.TrainingIterationStats
				for _, e := range entries {
					if r.Contains(e.Iteration) {
						want = append(want, e)
					}
				}
				if !sameHistory(got.IterationStats, want) {
					t.Fatalf("got %d entries, want %d (first difference %s)", got.Len(), len(want), firstDiff(got.IterationStats, want))
				}
			})
		}
	}
}

func firstDiff(a, b []statstore.TrainingIterationStats) string {
	for i := range min(len(a), len(b)) {
		if !sameHistory(a[i:i+1], b[i:i+1]) {
			return fmt.Sprintf("at %d: %v vs %v", i, a[i], b[i])
		}
	}
	return fmt.Sprintf("lengths %d vs %d", len(a), len(b))
}

// countingFS counts reads and fsyncs.
type countingFS struct {
	fsutil.OS
	reads, readBytes, syncs int
}

type countingFile struct {
	fsutil.File
	c *countingFS
}

func (c *countingFS) OpenFile(name string, flag int, perm fs.FileMode) (fsutil.File, error) {
	f, err := c.OS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return countingFile{f, c}, nil
}

func (c *countingFS) SyncDir(dir string) error { c.syncs++; return c.OS.SyncDir(dir) }

func (f countingFile) ReadAt(p []byte, off int64) (int, error) {
	f.c.reads++
	f.c.readBytes += len(p)
	return f.File.ReadAt(p, off)
}

func (f countingFile) Sync() error { f.c.syncs++; return f.File.Sync() }

// TestCostIndependentOfHistory checks, by counting bytes read through the
// I/O seam, that appends after a Store's first write to a run, TrainedUntil
// and subsamples from a cold store read no more from a long history than
// from a short one; and that a Store's first write reads the whole file
// once, to verify it.
func TestCostIndependentOfHistory(t *testing.T) {
	measure := func(n int) (appendRead, listRead, subRead int) {
		dir := t.TempDir()
		storeHistory(t, mustOpenDir(t, dir, Options{NoSync: true}), "r", history(0, 1, n), 1000)
		size := fileSize(t, trainingFile(dir, "r"))
		c := &countingFS{}
		s := mustOpenDir(t, dir, Options{fs: c})
		storeHistory(t, s, "r", history(0, 1, n+1000), n+1000)
		if first := int64(c.readBytes); first < size || first > 2*size {
			t.Fatalf("a Store's first append to a file of %d bytes read %d bytes, want one verifying read of the file", size, first)
		}
		c.readBytes = 0
		storeHistory(t, s, "r", history(0, 1, n+2000), n+2000)
		appendRead = c.readBytes
		c2 := &countingFS{}
		cold := mustOpenDir(t, dir, Options{fs: c2, ReadOnly: true})
		if _, err := cold.ListRuns(t.Context()); err != nil {
			t.Fatal(err)
		}
		listRead = c2.readBytes
		if _, err := cold.SubsampleTraining(t.Context(), "r", statstore.SubsampleOptions{MaxPoints: 20}); err != nil {
			t.Fatal(err)
		}
		return appendRead, listRead, c2.readBytes - listRead
	}
	a1, l1, s1 := measure(20_000)
	a2, l2, s2 := measure(400_000)
	// Where the last record falls among blocks changes how many it spans:
	// allow one block more.
	slack := int(record.BlockSize)
	if a2 > a1+slack || l2 > l1+slack || s2 > 2*s1 {
		t.Fatalf("bytes read at 20k/400k entries: append %d/%d, list %d/%d, subsample %d/%d; want no growth", a1, a2, l1, l2, s1, s2)
	}
}

// TestFsyncPerCall checks that each append fsyncs once by default and never
// with NoSync, and that a failing fsync fails the call and leaves the
// history as it was.
func TestFsyncPerCall(t *testing.T) {
	for _, noSync := range []bool{false, true} {
		t.Run(fmt.Sprintf("NoSync=%v", noSync), func(t *testing.T) {
			dir := t.TempDir()
			storeHistory(t, mustOpenDir(t, dir, Options{}), "r", history(0, 1, 10), 10)
			c := &countingFS{}
			s := mustOpenDir(t, dir, Options{fs: c, NoSync: noSync})
			storeHistory(t, s, "r", history(0, 1, 20), 20)
			want := 1
			if noSync {
				want = 0
			}
			if c.syncs != want {
				t.Fatalf("%d fsyncs for one append, want %d", c.syncs, want)
			}
		})
	}
	t.Run("failing fsync", func(t *testing.T) {
		dir := t.TempDir()
		storeHistory(t, mustOpenDir(t, dir, Options{}), "r", history(0, 1, 10), 10)
		s := mustOpenDir(t, dir, Options{fs: &failSyncFS{}})
		err := s.StoreTrainingStats(t.Context(), "r", &statstore.TrainingStats{IterationStats: history(0, 1, 20)})
		if err == nil || !strings.Contains(err.Error(), "injected") {
			t.Fatalf("append error %v, want the injected fsync failure", err)
		}
		got, err := mustOpenDir(t, dir, Options{}).RetrieveTrainingStats(t.Context(), "r")
		if err != nil || got.Len() != 10 {
			t.Fatalf("after the failed append: %d entries (%v), want 10", got.Len(), err)
		}
	})
}

type failSyncFS struct{ fsutil.OS }

type failSyncFile struct{ fsutil.File }

func (failSyncFS) OpenFile(name string, flag int, perm fs.FileMode) (fsutil.File, error) {
	f, err := fsutil.OS{}.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return failSyncFile{f}, nil
}

func (failSyncFile) Sync() error { return errors.New("injected fsync failure") }

// TestReplacedFileSeenByOtherStore checks that a store caching a file's
// state notices another store (another process) replacing or extending it.
func TestReplacedFileSeenByOtherStore(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	w := mustOpenDir(t, dir, Options{NoSync: true})
	r := mustOpenDir(t, dir, Options{ReadOnly: true})
	steps := []struct {
		name  string
		write []statstore.TrainingIterationStats
		want  int // trained until
	}{
		{"first", history(0, 1, 100), 100},
		{"append", history(0, 1, 200), 200},
		{"overwrite with the same size", history(1000, 1, 100)[:0], 200},
		{"overwrite", history(0, 2, 50), 99},
		{"append after overwrite", history(0, 2, 60), 119},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if len(st.write) > 0 {
				storeHistory(t, w, "r", st.write, len(st.write))
			}
			runs, err := r.ListRuns(ctx)
			if err != nil || len(runs) != 1 || runs[0].TrainedUntil != st.want {
				t.Fatalf("ListRuns = %+v, %v; want run r trained until %d", runs, err, st.want)
			}
		})
	}
}

// TestOverwriteLogsWarning checks the log levels of extend and overwrite
// decisions.
func TestOverwriteLogsWarning(t *testing.T) {
	log, buf := logBuffer()
	s := mustOpen(t, Options{Logger: log, NoSync: true})
	ctx := context.Background()
	steps := []struct {
		name string
		do   func() error
		want string
	}{
		{"training first store", func() error {
			return s.StoreTrainingStats(ctx, "r", &statstore.TrainingStats{IterationStats: history(0, 1, 10)})
		}, "level=INFO msg=\"storing training stats\""},
		{"training append", func() error {
			return s.StoreTrainingStats(ctx, "r", &statstore.TrainingStats{IterationStats: history(0, 1, 20)})
		}, "level=INFO msg=\"extending training stats\""},
		{"training overwrite", func() error {
			return s.StoreTrainingStats(ctx, "r", &statstore.TrainingStats{IterationStats: history(0, 1, 15)})
		}, "level=WARN msg=\"overwriting training stats"},
		{"validation first store", func() error { return s.StoreValidationIterationScores(ctx, "r", scores(0, 10)) }, "level=INFO msg=\"validation scores: merged\""},
		{"validation append", func() error { return s.StoreValidationIterationScores(ctx, "r", scores(0, 5, 10, 20)) }, "level=INFO msg=\"validation scores: merged\""},
		{"validation re-validated", func() error {
			return s.StoreValidationIterationScores(ctx, "r", storetest.ScoresVersion(storetest.Metadata(), 2, 10))
		}, "level=WARN msg=\"validation scores: re-validated iterations replace their stored scores\""},
		{"training overwrite supersedes validations", func() error {
			return s.StoreTrainingStats(ctx, "r", &statstore.TrainingStats{IterationStats: history(0, 1, 7)})
		}, "superseded=\"[10 20]\""},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			buf.Reset()
			if err := st.do(); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(buf.String(), st.want) {
				t.Fatalf("log %q, want %q", buf.String(), st.want)
			}
		})
	}
}
