package dacapo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

// TestTestdataDirs reads the directories make_pickles.py wrote, one per
// pickle protocol, and checks every document bit-exactly against
// expected.json.
func TestTestdataDirs(t *testing.T) {
	var want expectedTestdata
	readJSON(t, "testdata/expected.json", &want)
	ctx := context.Background()
	for _, name := range protoDirs {
		t.Run(name, func(t *testing.T) {
			exp, ok := want[name]
			if !ok {
				t.Fatalf("expected.json has no %s", name)
			}
			s := mustOpen(t, filepath.Join("testdata", name), Options{})
			for run, r := range exp.Runs {
				t.Run(run, func(t *testing.T) {
					stats, err := s.RetrieveTrainingStats(ctx, run)
					if err != nil {
						t.Fatal(err)
					}
					if stats.Len() != len(r.Training) {
						t.Fatalf("got %d training entries, want %d", stats.Len(), len(r.Training))
					}
					for i, e := range r.Training {
						got := stats.IterationStats[i]
						if it := string(e[0]); strings.TrimSpace(it) != itoa(got.Iteration) {
							t.Errorf("entry %d: iteration got %d, want %s", i, got.Iteration, it)
						}
						if w := hexFloat(t, e[1]); !sameFloat(got.Loss, w) {
							t.Errorf("entry %d: loss got %v, want %v", i, got.Loss, w)
						}
						if w := hexFloat(t, e[2]); !sameFloat(got.Time, w) {
							t.Errorf("entry %d: time got %v, want %v", i, got.Time, w)
						}
					}
					scores, err := s.RetrieveValidationIterationScores(ctx, run)
					if err != nil {
						t.Fatal(err)
					}
					if len(scores) != len(r.Validation) {
						t.Fatalf("got %d validation entries, want %d", len(scores), len(r.Validation))
					}
					for i, e := range r.Validation {
						var nested [][][]jsonRaw
						readRaw(t, e[1], &nested)
						if string(e[0]) != itoa(scores[i].Iteration) {
							t.Errorf("entry %d: iteration got %d, want %s", i, scores[i].Iteration, e[0])
						}
						for d := range nested {
							for p := range nested[d] {
								for c, raw := range nested[d][p] {
									if w, g := hexFloat(t, raw), scores[i].Scores[d][p][c]; !sameFloat(g, w) {
										t.Errorf("entry %d: scores[%d][%d][%d] got %v, want %v", i, d, p, c, g, w)
									}
								}
							}
						}
					}
				})
			}
		})
	}
}

// TestHostilePickles reads every pickle of testdata/hostile through a Store
// and checks that it is rejected with the error hostile.json names.
func TestHostilePickles(t *testing.T) {
	var want map[string]struct {
		Kind  string `json:"kind"`
		Error string `json:"error"`
	}
	readJSON(t, "testdata/hostile.json", &want)
	if len(want) < 20 {
		t.Fatalf("hostile.json lists %d files, want the full set", len(want))
	}
	ctx := context.Background()
	for name, w := range want {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "hostile", name))
			if err != nil {
				t.Fatal(err)
			}
			sub := TrainingDir
			if w.Kind == "validation" {
				sub = ValidationDir
			}
			s := mustOpen(t, writeRunFile(t, sub, data), Options{})
			if sub == TrainingDir {
				_, err = s.RetrieveTrainingStats(ctx, "r")
			} else {
				_, err = s.RetrieveValidationScores(ctx, "r")
			}
			if err == nil {
				t.Fatalf("got no error, want one containing %q", w.Error)
			}
			if !errors.Is(err, statstore.ErrCorrupt) {
				t.Errorf("error %v does not wrap ErrCorrupt", err)
			}
			if !strings.Contains(err.Error(), w.Error) {
				t.Errorf("got error %q, want it to contain %q", err, w.Error)
			}
			if !strings.Contains(err.Error(), filepath.Join(sub, "r")) {
				t.Errorf("error %q does not name the file", err)
			}
			// One bad file is one bad run: ListRunsChecked reports it with the
			// same error, ListRuns leaves it out, and neither fails.
			runs, bad, err := s.ListRunsChecked(ctx)
			if err != nil {
				t.Fatalf("ListRunsChecked: %v", err)
			}
			if len(runs) != 0 || len(bad) != 1 || bad[0].Run != "r" || !errors.Is(bad[0], statstore.ErrCorrupt) {
				t.Errorf("ListRunsChecked: got runs %v, bad %v; want no run and run r bad (corrupt)", runs, bad)
			}
			if runs, err := s.ListRuns(ctx); err != nil || len(runs) != 0 {
				t.Errorf("ListRuns: got %v, %v; want no run and no error", runs, err)
			}
		})
	}
}

// TestMemoryBudget: a pickle that needs more than Options.MemoryBudget is
// refused with a *BudgetError naming the file, what it would need and the
// budget, in words a user reads (no Go names); within the budget it reads.
// A file larger than the budget is refused before it is read; one that
// fits but whose decoding does not is stopped while decoding, on the fast
// path and on the general one alike.
func TestMemoryBudget(t *testing.T) {
	numpy := SyntheticTraining("r", 20_000)                               // the fast path
	plain, err := os.ReadFile("testdata/proto0/training_stats/plain_run") // the general path
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		data   []byte
		budget int64
		wantOK bool
	}{
		{"default budget", numpy, 0, true},
		{"enough", numpy, 4 * int64(len(numpy)), true},
		{"file over the budget", numpy, int64(len(numpy)) - 1, false},
		{"decoding over the budget", numpy, int64(len(numpy)) + int64(len(numpy))/4, false},
		{"twice the file", numpy, 2 * int64(len(numpy)), false},
		{"general path over the budget", plain, int64(len(plain)) + 16, false},
		{"general path within", plain, 1 << 20, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeRunFile(t, TrainingDir, tt.data)
			s := mustOpen(t, dir, Options{MemoryBudget: tt.budget})
			_, err := s.RetrieveTrainingStats(context.Background(), "r")
			if tt.wantOK {
				if err != nil {
					t.Fatalf("got %v, want the stats", err)
				}
				return
			}
			var be *BudgetError
			if !errors.As(err, &be) {
				t.Fatalf("got %v, want a *BudgetError", err)
			}
			if want := filepath.Join(dir, TrainingDir, "r"); be.Path != want || be.Budget != tt.budget || be.Size != int64(len(tt.data)) || be.Need <= be.Budget {
				t.Fatalf("got %+v, want path %s, size %d, budget %d and a need above it", be, want, len(tt.data), tt.budget)
			}
			if errors.Is(err, statstore.ErrCorrupt) {
				t.Fatalf("%v is a corruption error, want none: the file is intact", err)
			}
			if msg := strings.ReplaceAll(err.Error(), be.Path, "PATH"); !strings.Contains(msg, "PATH") || !strings.Contains(msg, "memory budget") || strings.Contains(msg, "Options") || strings.Contains(msg, "MemoryBudget") {
				t.Fatalf("message %q: want the path and the memory budget, no Go names", msg)
			}
		})
	}
}

// TestBillionLaughsWhateverTheBudget: a hostile pickle is refused as damage
// under any budget, however large: the budget bounds the memory, the file's
// size bounds what a DaCapo pickle may need.
func TestBillionLaughsWhateverTheBudget(t *testing.T) {
	paths, err := filepath.Glob("testdata/hostile/*.pickle")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no hostile pickles: %v", err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, budget := range []int64{0, 1 << 40} {
			for _, sub := range []string{TrainingDir, ValidationDir} {
				dir := writeRunFile(t, sub, data)
				s := mustOpen(t, dir, Options{MemoryBudget: budget})
				_, err := s.RetrieveTrainingStats(context.Background(), "r")
				if sub == ValidationDir {
					_, err = s.RetrieveValidationScores(context.Background(), "r")
				}
				var be *BudgetError
				if err == nil || errors.As(err, &be) {
					t.Errorf("%s as %s, budget %d: got %v, want it refused as damage", p, sub, budget, err)
				}
			}
		}
	}
}

func TestReadMethods(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t, "testdata/proto4", Options{})
	runs, err := s.ListRuns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []statstore.RunInfo{
		{Run: "numpy2_ünet", ValidatedUntil: 11, ValidationIterations: 2},
		{Run: "numpy_v1_run", TrainedUntil: 5, TrainingIterations: 5, ValidatedUntil: 301, ValidationIterations: 3},
		{Run: "plain_run", TrainedUntil: 1<<33 + 1, TrainingIterations: 7, ValidatedUntil: 1<<33 + 1, ValidationIterations: 3},
	}
	if len(runs) != len(want) {
		t.Fatalf("ListRuns: got %+v, want %+v", runs, want)
	}
	for i := range want {
		if !sameInfo(runs[i], want[i]) {
			t.Errorf("ListRuns[%d]: got %+v, want %+v", i, runs[i], want[i])
		}
	}
	all, err := s.RetrieveTrainingStats(ctx, "plain_run")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("range", func(t *testing.T) {
		got, err := s.RetrieveTrainingRange(ctx, "plain_run", statstore.IterationRange{From: 2, To: 301})
		if err != nil {
			t.Fatal(err)
		}
		var iters []int
		for _, e := range got.IterationStats {
			iters = append(iters, e.Iteration)
		}
		if len(iters) != 3 || iters[0] != 2 || iters[1] != 10 || iters[2] != 300 {
			t.Errorf("got iterations %v, want [2 10 300]", iters)
		}
		if _, err := s.RetrieveTrainingRange(ctx, "plain_run", statstore.IterationRange{From: 5, To: 1}); !errors.Is(err, statstore.ErrInvalidArgument) {
			t.Errorf("bad range: got %v, want ErrInvalidArgument", err)
		}
	})
	t.Run("subsample", func(t *testing.T) {
		for _, mode := range []statstore.SubsampleMode{statstore.SubsampleStride, statstore.SubsampleMinMax} {
			opts := statstore.SubsampleOptions{MaxPoints: 4, Mode: mode}
			got, err := s.SubsampleTraining(ctx, "plain_run", opts)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := statstore.Subsample(all.IterationStats, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !(&statstore.TrainingStats{IterationStats: got}).Equal(&statstore.TrainingStats{IterationStats: ref}) {
				t.Errorf("%v: got %+v, want %+v", mode, got, ref)
			}
		}
		if _, err := s.SubsampleTraining(ctx, "plain_run", statstore.SubsampleOptions{MaxPoints: 1}); !errors.Is(err, statstore.ErrInvalidArgument) {
			t.Errorf("MaxPoints 1: got %v, want ErrInvalidArgument", err)
		}
	})
	t.Run("unknown run", func(t *testing.T) {
		stats, err := s.RetrieveTrainingStats(ctx, "nope")
		if err != nil || stats.Len() != 0 {
			t.Errorf("training: got %v, %v, want empty and no error", stats, err)
		}
		v, err := s.RetrieveValidationScores(ctx, "nope")
		if err != nil || v.Len() != 0 || !v.IsZero() {
			t.Errorf("validation: got %+v, %v, want empty and no error", v, err)
		}
	})
	t.Run("invalid run name", func(t *testing.T) {
		for _, run := range []string{"", "..", "a/b"} {
			if _, err := s.RetrieveTrainingStats(ctx, run); !errors.Is(err, statstore.ErrInvalidRunName) {
				t.Errorf("%q: got %v, want ErrInvalidRunName", run, err)
			}
		}
	})
}

func TestReadOnly(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t, "testdata/proto4", Options{})
	writes := map[string]func() error{
		"StoreTrainingStats": func() error { return s.StoreTrainingStats(ctx, "plain_run", &statstore.TrainingStats{}) },
		"StoreValidationIterationScores": func() error {
			return s.StoreValidationIterationScores(ctx, "plain_run", &statstore.ValidationScores{})
		},
		"DeleteTrainingStats":    func() error { return s.DeleteTrainingStats(ctx, "plain_run") },
		"DeleteValidationScores": func() error { return s.DeleteValidationScores(ctx, "plain_run") },
		"DeleteRun":              func() error { return s.DeleteRun(ctx, "plain_run") },
	}
	for name, write := range writes {
		t.Run(name, func(t *testing.T) {
			err := write()
			if !errors.Is(err, statstore.ErrReadOnly) {
				t.Fatalf("got %v, want ErrReadOnly", err)
			}
			for _, part := range []string{"is a DaCapo stats directory (read-only)", "statstore import dacapo testdata/proto4"} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not contain %q", err, part)
				}
			}
		})
	}
	stats, err := s.RetrieveTrainingStats(ctx, "plain_run")
	if err != nil || stats.Len() != 7 {
		t.Errorf("after the failed writes: got %d entries, %v, want 7", stats.Len(), err)
	}
}

func TestClosed(t *testing.T) {
	ctx := context.Background()
	s, err := Open("testdata/proto4", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	calls := map[string]func() error{
		"ListRuns":              func() error { _, err := s.ListRuns(ctx); return err },
		"RetrieveTrainingStats": func() error { _, err := s.RetrieveTrainingStats(ctx, "plain_run"); return err },
		"RetrieveValidationScores": func() error {
			_, err := s.RetrieveValidationScores(ctx, "plain_run")
			return err
		},
		"DeleteRun": func() error { return s.DeleteRun(ctx, "plain_run") },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			if err := call(); !errors.Is(err, statstore.ErrClosed) {
				t.Errorf("got %v, want ErrClosed", err)
			}
		})
	}
}

func TestIsStatsDir(t *testing.T) {
	notPickle := t.TempDir()
	if err := os.MkdirAll(filepath.Join(notPickle, TrainingDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(notPickle, TrainingDir, "r"), []byte("SSTORE01"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		dir  string
		want bool
	}{
		{"testdata/proto2", true},
		{"testdata/proto5", true},
		{"testdata", false},
		{t.TempDir(), false},
		{notPickle, false},
		{"testdata/does-not-exist", false},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			if got := IsStatsDir(tt.dir); got != tt.want {
				t.Errorf("IsStatsDir(%s) = %v, want %v", tt.dir, got, tt.want)
			}
		})
	}
	if _, err := Open(t.TempDir(), Options{}); !errors.Is(err, statstore.ErrNotFound) {
		t.Errorf("Open of an empty directory: got %v, want ErrNotFound", err)
	}
}

// TestEachPickleDecodedOnce: reading a run's training stats and validation
// scores (which need the training's end) decodes each pickle once, in
// either order, and OnDecode reports each decode once with done == size
// after any progress below it; a training file changed in between is
// decoded afresh.
func TestEachPickleDecodedOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/proto4")); err != nil {
		t.Fatal(err)
	}
	const run = "numpy_v1_run"
	decodes := map[string]int{}
	var last int64
	s := mustOpen(t, dir, Options{OnDecode: func(path string, done, size int64) {
		if done < last && done != size {
			t.Errorf("%s: progress went back from %d to %d", path, last, done)
		}
		last = done
		if done == size {
			decodes[filepath.Base(filepath.Dir(path))]++
			last = 0
		}
	}})
	want := func(training, validation int) {
		t.Helper()
		if decodes[TrainingDir] != training || decodes[ValidationDir] != validation {
			t.Fatalf("decodes %v, want %d of training_stats and %d of validation_scores", decodes, training, validation)
		}
	}
	names, err := s.RunNames(ctx)
	if err != nil || len(names) != 3 {
		t.Fatalf("RunNames: %v, %v; want 3 names", names, err)
	}
	want(0, 0)
	// Validation first: its training end decodes the training, kept for
	// the training read that follows.
	if _, err := s.RetrieveValidationScores(ctx, run); err != nil {
		t.Fatal(err)
	}
	ts, err := s.RetrieveTrainingStats(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	want(1, 1)
	// Training first: the validation read needs only its end, kept.
	if _, err := s.RetrieveTrainingStats(ctx, run); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RetrieveValidationScores(ctx, run); err != nil {
		t.Fatal(err)
	}
	want(2, 2)
	// The entries handed to a caller are the caller's: changing them
	// changes no later read.
	ts.IterationStats[0].Loss = 1e9
	again, err := s.RetrieveTrainingStats(ctx, run)
	if err != nil || again.IterationStats[0].Loss == 1e9 {
		t.Fatalf("a later read returned the first caller's change: %v, %v", again.IterationStats[0], err)
	}
	want(3, 2)
	// DaCapo rewrites the training file: it is decoded again.
	path := filepath.Join(dir, TrainingDir, run)
	if err := os.WriteFile(path, encodeTraining(run, longRun(4)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RetrieveValidationScores(ctx, run); err != nil {
		t.Fatal(err)
	}
	ts, err = s.RetrieveTrainingStats(ctx, run)
	if err != nil || ts.Len() != 4 {
		t.Fatalf("after a rewrite: %d entries, %v; want the 4 written", ts.Len(), err)
	}
	want(4, 3)
	// Three validation files, two training files.
	decodes = map[string]int{}
	if _, _, err := s.SummarizeRuns(ctx); err != nil {
		t.Fatal(err)
	}
	want(2, 3)
}
