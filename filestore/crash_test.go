package filestore

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/record"
	"github.com/statstore/statstore/memstore"
	"github.com/statstore/statstore/storetest"
)

// cutCall is one Store call of the cut test.
type cutCall struct {
	name string
	do   func(ctx context.Context, s statstore.StatsStore) error
}

func trainCall(name string, stats *statstore.TrainingStats) cutCall {
	return cutCall{name, func(ctx context.Context, s statstore.StatsStore) error {
		return s.StoreTrainingStats(ctx, "r", stats)
	}}
}

func valCall(name string, v *statstore.ValidationScores) cutCall {
	return cutCall{name, func(ctx context.Context, s statstore.StatsStore) error {
		return s.StoreValidationIterationScores(ctx, "r", v)
	}}
}

// cutTrainingCalls store a history, append to it, replace it, append up
// to a little short of a block boundary (the file in dir tells where), and
// append the three records the test cuts: one split across the boundary,
// one of a single entry and one longer than two blocks (first, middle and
// last chunks). checkCutCoverage checks that they are.
func cutTrainingCalls(dir string) []cutCall {
	v1 := func(n int) *statstore.TrainingStats { return storetest.TrainingVersion(1, storetest.Iters(0, n, 1)...) }
	until := 1360 // trained-until after the replace, then after each call
	room := func(size int64) int64 {
		return headerSize + ((size-headerSize)/record.BlockSize+1)*record.BlockSize - size
	}
	once := func(stats func(size int64) *statstore.TrainingStats) func(size int64) *statstore.TrainingStats {
		done := false
		return func(size int64) *statstore.TrainingStats {
			if done {
				return nil
			}
			done = true
			return stats(size)
		}
	}
	return []cutCall{
		trainCall("first store", &statstore.TrainingStats{IterationStats: history(0, 1, 1000)}),
		trainCall("append", &statstore.TrainingStats{IterationStats: history(0, 1, 1400)}),
		trainCall("replace", v1(until)),
		sizedTrainCall("fill to near a block boundary", dir, func(size int64) *statstore.TrainingStats {
			r := room(size)
			switch {
			case r >= 64 && r <= 200:
				return nil
			case r > 200:
				until += int(r-100-7-trainingHeadSize) / trainingEntrySize
			default: // one entry: it fits, or starts the next block
				until++
			}
			return v1(until)
		}),
		sizedTrainCall("append across a block boundary", dir, once(func(size int64) *statstore.TrainingStats {
			until += int(room(size))/trainingEntrySize + 2
			return v1(until)
		})),
		sizedTrainCall("append one entry", dir, once(func(int64) *statstore.TrainingStats {
			until++
			return v1(until)
		})),
		sizedTrainCall("append more than two blocks", dir, once(func(int64) *statstore.TrainingStats {
			until += 2*record.BlockSize/trainingEntrySize + 10
			return v1(until)
		})),
	}
}

// sizedTrainCall is a training call of one or more Store calls, each
// storing what next returns for the training file's size at the time,
// until it returns nil. It decides on its first run (on the file store)
// and repeats the same calls on later runs (on the model).
func sizedTrainCall(name, dir string, next func(size int64) *statstore.TrainingStats) cutCall {
	var planned []*statstore.TrainingStats
	decided := false
	return cutCall{name, func(ctx context.Context, s statstore.StatsStore) error {
		if !decided {
			decided = true
			for {
				fi, err := os.Stat(trainingFile(dir, "r"))
				if err != nil {
					return err
				}
				stats := next(fi.Size())
				if stats == nil {
					return nil
				}
				planned = append(planned, stats)
				if err := s.StoreTrainingStats(ctx, "r", stats); err != nil {
					return err
				}
			}
		}
		for _, stats := range planned {
			if err := s.StoreTrainingStats(ctx, "r", stats); err != nil {
				return err
			}
		}
		return nil
	}}
}

// cutValidationCalls store, merge into (late, re-validated) and supersede
// validation scores (a training replace), then make the three calls the
// test cuts: a re-validation (a scores record replacing entries), a delete
// after an iteration (a delete record) and an append of one entry.
func cutValidationCalls() []cutCall {
	return []cutCall{
		trainCall("train", storetest.Training(storetest.Iters(0, 60, 1)...)),
		valCall("first store", scores(0, 10)),
		valCall("append", scores(0, 10, 20)),
		valCall("late", scores(5)),
		valCall("append", scores(0, 5, 10, 20, 30, 40)),
		trainCall("resume: supersedes 30 and 40", storetest.Training(storetest.Iters(0, 25, 1)...)),
		valCall("append with a late checkpoint", scores(3, 50)),
		valCall("re-validate", storetest.ScoresVersion(storetest.Metadata(), 2, 10, 30)),
		deleteValCall(40),
		valCall("append one", scores(60)),
	}
}

// The test cuts the files written by the last cutCalls calls of each kind,
// at every byte offset.
const cutCalls = 3

// cutOffsets returns every offset at which a record written from start to
// end can be cut, both ends included.
func cutOffsets(start, end int64) []int64 {
	out := make([]int64, 0, end-start+1)
	for off := start; off <= end; off++ {
		out = append(out, off)
	}
	return out
}

// cutState is what the store holds after some calls.
type cutState struct {
	train []statstore.TrainingIterationStats
	val   []statstore.ValidationIterationScores
}

func modelState(tb testing.TB, m *memstore.Store) cutState {
	tb.Helper()
	tr, err := m.RetrieveTrainingStats(context.Background(), "r")
	if err != nil {
		tb.Fatal(err)
	}
	val, err := m.RetrieveValidationIterationScores(context.Background(), "r")
	if err != nil {
		tb.Fatal(err)
	}
	return cutState{tr.IterationStats, val}
}

// TestCutEveryOffset plays a sequence of Store calls, then cuts the run's
// training (and, separately, validation) file at every byte offset from
// where each of the last calls started writing to where it ended, as a
// crash in the middle of the call's write can leave it. At every cut the
// store must read as after the calls before (or, cut at the very end, as
// after the call too), Verify must report a torn tail and no corruption,
// and a writer must truncate the tail with a warning and append.
func TestCutEveryOffset(t *testing.T) {
	kinds := []struct {
		name  string
		calls func(dir string) []cutCall
		path  func(dir, run string) string
	}{
		{"training", cutTrainingCalls, trainingFile},
		{"validation", func(string) []cutCall { return cutValidationCalls() }, validationFile},
	}
	for _, kind := range kinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			dir := t.TempDir()
			s := mustOpenDir(t, dir, Options{NoSync: true})
			m := memstore.New(nil)
			path := kind.path(dir, "r")
			calls := kind.calls(dir)
			var sizes []int64
			var states []cutState
			for _, c := range calls {
				if err := c.do(ctx, s); err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				if err := c.do(ctx, m); err != nil {
					t.Fatalf("model: %s: %v", c.name, err)
				}
				size := int64(0) // no file yet
				if _, err := os.Stat(path); err == nil {
					size = fileSize(t, path)
				}
				sizes = append(sizes, size)
				states = append(states, modelState(t, m))
			}
			if kind.name == "training" {
				checkCutCoverage(t, sizes)
			}
			full, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			restore := snapshotFiles(t, trainingFile(dir, "r"), validationFile(dir, "r"))
			cuts := 0
			for k := len(calls) - cutCalls; k < len(calls); k++ {
				t.Run(calls[k].name, func(t *testing.T) {
					for _, off := range cutOffsets(sizes[k-1], sizes[k]) {
						want := states[k-1]
						if off == sizes[k] {
							want = states[k]
						}
						torn := off != sizes[k-1] && off != sizes[k]
						restore()
						if err := os.WriteFile(path, full[:off], 0o644); err != nil {
							t.Fatal(err)
						}
						checkCut(t, dir, path, off, torn, want, kind.name == "training")
						cuts++
						if t.Failed() {
							return
						}
					}
				})
			}
			restore()
			t.Logf("%d cuts in the %d bytes the last %d calls wrote", cuts, sizes[len(sizes)-1]-sizes[len(sizes)-1-cutCalls], cutCalls)
		})
	}
}

// checkCutCoverage checks that the training calls still write the records
// the test means to cut (after a change of the format, adjust the calls):
// the first cut record crosses a block boundary, the last spans more than
// one block.
func checkCutCoverage(t *testing.T, sizes []int64) {
	t.Helper()
	block := func(off int64) int64 { return (off - headerSize) / record.BlockSize }
	n := len(sizes)
	if first := n - cutCalls; block(sizes[first-1]) == block(sizes[first]-1) {
		t.Errorf("the record in [%d, %d) does not cross a block boundary", sizes[first-1], sizes[first])
	}
	if block(sizes[n-1]-1)-block(sizes[n-2]) < 2 {
		t.Errorf("the record in [%d, %d) does not span a whole block", sizes[n-2], sizes[n-1])
	}
}

// snapshotFiles returns a function that puts the files back as they are
// now (removing those that do not exist now).
func snapshotFiles(tb testing.TB, paths ...string) (restore func()) {
	tb.Helper()
	saved := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		switch {
		case err == nil:
			saved[p] = b
		case !errors.Is(err, fs.ErrNotExist):
			tb.Fatal(err)
		}
	}
	return func() {
		tb.Helper()
		for _, p := range paths {
			b, ok := saved[p]
			var err error
			if ok {
				err = os.WriteFile(p, b, 0o644)
			} else if err = os.Remove(p); errors.Is(err, fs.ErrNotExist) {
				err = nil
			}
			if err != nil {
				tb.Fatal(err)
			}
		}
	}
}

// checkCut checks the store in dir with path cut at off; the writer then
// appends training stats (or validation scores, when training is false).
func checkCut(t *testing.T, dir, path string, off int64, torn bool, want cutState, training bool) {
	t.Helper()
	ctx := t.Context()
	r, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Close() }() // read-only
	got, err := r.RetrieveTrainingStats(ctx, "r")
	if err != nil || !sameHistory(got.IterationStats, want.train) {
		t.Fatalf("cut at %d: RetrieveTrainingStats = %d entries, last %v (%v); want %d entries",
			off, got.Len(), lastEntry(got), err, len(want.train))
	}
	opts := statstore.SubsampleOptions{MaxPoints: 7}
	sub, err := r.SubsampleTraining(ctx, "r", opts)
	wantSub, werr := statstore.Subsample(want.train, opts)
	if err != nil || werr != nil || !sameHistory(sub, wantSub) {
		t.Fatalf("cut at %d: SubsampleTraining = %v (%v), want %v (%v)", off, sub, err, wantSub, werr)
	}
	val, err := r.RetrieveValidationIterationScores(ctx, "r")
	if err != nil || !sameScores(val, want.val) {
		t.Fatalf("cut at %d: validation iterations %v (%v), want %v", off, iterationsOf(val), err, iterationsOf(want.val))
	}

	rep, err := Verify(ctx, dir)
	if err != nil {
		t.Fatalf("cut at %d: Verify: %v", off, err)
	}
	for _, f := range rep.Files {
		if f.Err != nil {
			t.Fatalf("cut at %d: Verify reports %s corrupt: %v; want a torn tail", off, f.Path, f.Err)
		}
		if wantTorn := torn && f.Path == path; f.TornTail != wantTorn {
			t.Fatalf("cut at %d: Verify reports %s with TornTail=%v, want %v", off, f.Path, f.TornTail, wantTorn)
		}
	}

	// A writer truncates the tail with a warning and appends after it.
	log, buf := logBuffer()
	w, err := Open(dir, Options{Logger: log, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Close() }() // nothing to flush
	next := want
	if training {
		next.train = append(slices.Clone(want.train), storetest.Entry(9, want.train[len(want.train)-1].Iteration+1))
		if err := w.StoreTrainingStats(ctx, "r", &statstore.TrainingStats{IterationStats: next.train}); err != nil {
			t.Fatalf("cut at %d: training append after the cut: %v", off, err)
		}
	} else {
		meta := storetest.Metadata()
		add := storetest.IterationScores(meta, 0, 1000)
		next.val = append(slices.Clone(want.val), add)
		if err := w.StoreValidationIterationScores(ctx, "r", &statstore.ValidationScores{Metadata: meta, Scores: []statstore.ValidationIterationScores{add}}); err != nil {
			t.Fatalf("cut at %d: validation append after the cut: %v", off, err)
		}
	}
	if warned := strings.Contains(buf.String(), "level=WARN") && strings.Contains(buf.String(), "torn tail"); warned != torn {
		t.Fatalf("cut at %d: writer log %q; want a torn-tail warning: %v", off, buf.String(), torn)
	}
	got, err = w.RetrieveTrainingStats(ctx, "r")
	if err != nil || !sameHistory(got.IterationStats, next.train) {
		t.Fatalf("cut at %d: after the append: %d entries (%v), want %d", off, got.Len(), err, len(next.train))
	}
	val, err = w.RetrieveValidationIterationScores(ctx, "r")
	if err != nil || !sameScores(val, next.val) {
		t.Fatalf("cut at %d: after the append: validation iterations %v (%v), want %v", off, iterationsOf(val), err, iterationsOf(next.val))
	}
	rep, err = Verify(ctx, dir)
	if err != nil || !rep.OK() {
		t.Fatalf("cut at %d: Verify after the append: %+v (%v), want clean", off, rep, err)
	}
}
