package postgres

import (
	"context"
	"fmt"
	"testing"

	"github.com/statstore/statstore"
)

// TestMultiProcess runs writer processes at once on a fresh schema (so they
// also race to migrate it): three write runs of their own and two write the
// same run. Every call must be acknowledged; each own run must hold exactly
// its writer's history; the shared run must be one the rules can produce
// from the calls applied one at a time, never a mix of concurrent calls.
func TestMultiProcess(t *testing.T) {
	const calls, chunk = 40, 50
	url := testServer.Schema(t)
	runs := []string{"own-0", "own-1", "own-2", "shared", "shared"}
	results := runChildren(t, url, runs, calls, chunk)
	for _, r := range results {
		if r.err != nil || len(r.acks) != calls {
			t.Fatalf("writer %d (run %q): %v, %d of %d calls acknowledged; stderr:\n%s", r.writer, r.run, r.err, len(r.acks), calls, r.stderr)
		}
	}

	s, err := Open(context.Background(), url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	for w, run := range runs[:3] {
		t.Run(run, func(t *testing.T) {
			got, err := s.RetrieveTrainingStats(ctx, run)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(ownHistory(w, calls, chunk)) {
				t.Errorf("run %q: got %d entries, want exactly writer %d's %d calls appended in order", run, got.Len(), w, calls)
			}
		})
	}
	t.Run("shared", func(t *testing.T) {
		got, err := s.RetrieveTrainingStats(ctx, "shared")
		if err != nil {
			t.Fatal(err)
		}
		if err := checkSerialHistory(got, calls, chunk, []int{3, 4}); err != nil {
			t.Error(err)
		}
	})
	t.Run("counters", func(t *testing.T) {
		infos, err := s.ListRuns(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(infos) != 4 {
			t.Fatalf("ListRuns: got %d runs, want 4", len(infos))
		}
		for _, info := range infos {
			if info.TrainingIterations != calls*chunk || info.TrainedUntil != calls*chunk {
				t.Errorf("run %q: got %d entries until %d, want %d until %d", info.Run,
					info.TrainingIterations, info.TrainedUntil, calls*chunk, calls*chunk)
			}
		}
	})
}

// ownHistory is what a writer alone on its run leaves: call k appends
// iterations [k·chunk, (k+1)·chunk) tagged with call k.
func ownHistory(w, calls, chunk int) *statstore.TrainingStats {
	st := childStats(w, calls-1, chunk)
	for i := range st.IterationStats {
		st.IterationStats[i].Time = float64(i / chunk)
	}
	return st
}

// checkSerialHistory checks a run written by several writers with
// childStats: the history must hold iterations 0 … calls·chunk−1 without
// gaps, and split into maximal segments written by one call (same writer
// and call), each segment must end where its call's stats end, at
// (k+1)·chunk − 1: a call applied as a whole, appending after what the
// calls before it left or replacing everything.
func checkSerialHistory(got *statstore.TrainingStats, calls, chunk int, writers []int) error {
	if got.Len() != calls*chunk {
		return fmt.Errorf("got %d entries, want %d", got.Len(), calls*chunk)
	}
	known := map[int]bool{}
	for _, w := range writers {
		known[w] = true
	}
	for i, e := range got.IterationStats {
		if e.Iteration != i {
			return fmt.Errorf("entry %d has iteration %d: the history has a gap", i, e.Iteration)
		}
		w, k := int(e.Loss), int(e.Time)
		if !known[w] || float64(w) != e.Loss || float64(k) != e.Time || k < 0 || k >= calls {
			return fmt.Errorf("iteration %d: loss %v, time %v is no writer's call", i, e.Loss, e.Time)
		}
		if i/chunk > k {
			return fmt.Errorf("iteration %d is tagged with call %d, whose stats end at %d", i, k, (k+1)*chunk-1)
		}
		last := i == len(got.IterationStats)-1
		if !last {
			next := got.IterationStats[i+1]
			if next.Loss == e.Loss && next.Time == e.Time {
				continue
			}
		}
		if i != (k+1)*chunk-1 {
			return fmt.Errorf("writer %d's call %d wrote up to iteration %d, want %d: calls interleaved", w, k, i, (k+1)*chunk-1)
		}
	}
	return nil
}

func TestCheckSerialHistory(t *testing.T) {
	const calls, chunk = 3, 2
	tag := func(w, k int, iters ...int) []statstore.TrainingIterationStats {
		var out []statstore.TrainingIterationStats
		for _, i := range iters {
			out = append(out, statstore.TrainingIterationStats{Iteration: i, Loss: float64(w), Time: float64(k)})
		}
		return out
	}
	cat := func(parts ...[]statstore.TrainingIterationStats) *statstore.TrainingStats {
		st := &statstore.TrainingStats{}
		for _, p := range parts {
			st.IterationStats = append(st.IterationStats, p...)
		}
		return st
	}
	tests := []struct {
		name string
		st   *statstore.TrainingStats
		ok   bool
	}{
		{"one writer", cat(tag(3, 0, 0, 1), tag(3, 1, 2, 3), tag(3, 2, 4, 5)), true},
		{"replaced by the other", cat(tag(4, 2, 0, 1, 2, 3, 4, 5)), true},
		{"alternating", cat(tag(3, 0, 0, 1), tag(4, 1, 2, 3), tag(3, 2, 4, 5)), true},
		{"gap", cat(tag(3, 0, 0, 1), tag(3, 2, 4, 5)), false},
		{"torn call", cat(tag(3, 0, 0), tag(4, 0, 1), tag(3, 1, 2, 3), tag(3, 2, 4, 5)), false},
		{"too short", cat(tag(3, 0, 0, 1)), false},
		{"unknown writer", cat(tag(7, 2, 0, 1, 2, 3, 4, 5)), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkSerialHistory(tc.st, calls, chunk, []int{3, 4})
			if (err == nil) != tc.ok {
				t.Errorf("got error %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
