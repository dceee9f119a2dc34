package storetest

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"github.com/statstore/statstore"
)

// concurrentTests check that concurrent calls are each atomic: writers of
// different runs do not interfere, and writers and readers of the same run
// only ever see histories that some order of whole calls produces.
func concurrentTests() []test {
	return []test{
		{"DifferentRuns", func(e *env) {
			const writers, calls = 4, 8
			m := Metadata()
			var wg sync.WaitGroup
			for w := range writers {
				wg.Go(func() {
					run := fmt.Sprintf("writer-%d", w)
					for k := range calls {
						if err := e.s.StoreTrainingStats(e.ctx, run, TrainingVersion(w, Iters(0, (k+1)*10, 1)...)); err != nil {
							e.t.Errorf("StoreTrainingStats(%q) call %d: got error %v, want nil", run, k, err)
						}
						if k%4 == 0 {
							if err := e.s.StoreValidationIterationScores(e.ctx, run, ScoresVersion(m, w, k)); err != nil {
								e.t.Errorf("StoreValidationIterationScores(%q) call %d: got error %v, want nil", run, k, err)
							}
						}
					}
				})
			}
			wg.Wait()
			for w := range writers {
				run := fmt.Sprintf("writer-%d", w)
				e.wantTraining(run, Entries(w, Iters(0, calls*10, 1)...))
				e.wantScores(run, m, entries(m, w, 0, 4))
			}
		}},
		{"SameRunTraining", func(e *env) {
			const writers, calls = 4, 6
			// Call id (the version of its values) → its TrainedUntil. Every
			// call stores iterations 0..n-1, so any serial order of whole
			// calls leaves iterations 0..m-1 made of segments, one per
			// call at most, each ending at its call's n.
			until := map[int]int{}
			for w := range writers {
				for k := range calls {
					until[w*100+k+1] = 5 + (w*7+k*13)%40
				}
			}
			var done atomic.Bool
			var readers, wg sync.WaitGroup
			for range 2 {
				readers.Go(func() {
					for !done.Load() {
						got, err := e.s.RetrieveTrainingStats(e.ctx, "run")
						if err != nil {
							e.t.Errorf("RetrieveTrainingStats during writes: got error %v, want nil", err)
							return
						}
						if msg := tornTraining(got.IterationStats, until); msg != "" {
							e.t.Errorf("RetrieveTrainingStats during writes: %s", msg)
							return
						}
					}
				})
			}
			for w := range writers {
				wg.Go(func() {
					for k := range calls {
						id := w*100 + k + 1
						if err := e.s.StoreTrainingStats(e.ctx, "run", TrainingVersion(id, Iters(0, until[id], 1)...)); err != nil {
							e.t.Errorf("StoreTrainingStats call %d: got error %v, want nil", id, err)
						}
					}
				})
			}
			wg.Wait()
			done.Store(true)
			readers.Wait()
			got := e.training("run")
			if len(got) == 0 {
				e.t.Fatal("training stats after concurrent writes: got none, want some")
			}
			if msg := tornTraining(got, until); msg != "" {
				e.t.Errorf("training stats after concurrent writes: %s", msg)
			}
		}},
		{"SameRunValidation", func(e *env) {
			const writers, calls = 4, 4
			m := Metadata()
			// Call id → the iterations it stores.
			iters := map[int][]int{}
			for w := range writers {
				for k := range calls {
					it := 10 * (k*writers + w)
					iters[w*100+k+1] = []int{it, it + 5}
				}
			}
			var done atomic.Bool
			var readers, wg sync.WaitGroup
			readers.Go(func() {
				for !done.Load() {
					got, err := e.s.RetrieveValidationIterationScores(e.ctx, "run")
					if err != nil {
						e.t.Errorf("RetrieveValidationIterationScores during writes: got error %v, want nil", err)
						return
					}
					if msg := tornScores(m, got, iters); msg != "" {
						e.t.Errorf("RetrieveValidationIterationScores during writes: %s", msg)
						return
					}
				}
			})
			for w := range writers {
				wg.Go(func() {
					for k := range calls {
						id := w*100 + k + 1
						if err := e.s.StoreValidationIterationScores(e.ctx, "run", ScoresVersion(m, id, iters[id]...)); err != nil {
							e.t.Errorf("StoreValidationIterationScores call %d: got error %v, want nil", id, err)
						}
					}
				})
			}
			wg.Wait()
			done.Store(true)
			readers.Wait()
			got := e.validation("run")
			if len(got.Scores) == 0 {
				e.t.Fatal("validation scores after concurrent writes: got none, want some")
			}
			if msg := tornScores(m, got.Scores, iters); msg != "" {
				e.t.Errorf("validation scores after concurrent writes: %s", msg)
			}
			if !got.Metadata.Equal(m) {
				e.t.Errorf("metadata after concurrent writes: got %s, want %s", fmtMeta(got.Metadata), fmtMeta(m))
			}
		}},
	}
}

// tornTraining describes why h cannot result from whole StoreTrainingStats
// calls, each storing TrainingVersion(id, 0..until[id]-1); "" when it can.
func tornTraining(h []statstore.TrainingIterationStats, until map[int]int) string {
	seen := map[int]bool{}
	for i := 0; i < len(h); {
		id := int(math.Floor(h[i].Loss))
		n, ok := until[id]
		if !ok {
			return fmt.Sprintf("entry %d: got %s, want the values of one of the calls", i, fmtEntry(h[i]))
		}
		if seen[id] {
			return fmt.Sprintf("call %d appears in two separate segments (iterations %s)", id, fmtEntries(h))
		}
		seen[id] = true
		for ; i < len(h) && int(math.Floor(h[i].Loss)) == id; i++ {
			if !sameEntry(h[i], Entry(id, i)) {
				return fmt.Sprintf("entry %d: got %s, want %s", i, fmtEntry(h[i]), fmtEntry(Entry(id, i)))
			}
		}
		if i != n {
			return fmt.Sprintf("the entries of call %d end at iteration %d, want %d: a part of a call (iterations %s)", id, i, n, fmtEntries(h))
		}
	}
	return ""
}

// tornScores describes why s cannot result from whole
// StoreValidationIterationScores calls, each storing ScoresVersion(meta,
// id, iters[id]...); "" when it can.
func tornScores(meta statstore.Metadata, s []statstore.ValidationIterationScores, iters map[int][]int) string {
	calls := map[int]int{} // call id → entries of it seen
	for i, e := range s {
		if i > 0 && e.Iteration <= s[i-1].Iteration {
			return fmt.Sprintf("iterations %v are not strictly increasing", scoreIters(s))
		}
		if len(e.Scores) == 0 || len(e.Scores[0]) == 0 || len(e.Scores[0][0]) == 0 {
			return fmt.Sprintf("entry %d (iteration %d) has an empty scores array", i, e.Iteration)
		}
		id := int(math.Floor(e.Scores[0][0][0] / 1e6))
		want := IterationScores(meta, id, e.Iteration)
		found := false
		for _, it := range iters[id] {
			found = found || it == e.Iteration
		}
		if !found || !e.Equal(want) {
			return fmt.Sprintf("entry %d (iteration %d): got %v, want the values one call stored", i, e.Iteration, fmtArray(e.Scores))
		}
		calls[id]++
	}
	// Iterations are never shared between calls, so every rule applies a
	// call whole: all its entries or none.
	for id, n := range calls {
		if n != len(iters[id]) {
			return fmt.Sprintf("got %d of the %d entries of call %d (iterations %v): a part of a call", n, len(iters[id]), id, scoreIters(s))
		}
	}
	return ""
}
