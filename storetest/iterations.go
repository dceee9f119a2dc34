package storetest

import (
	"math"
	"strconv"
	"strings"

	"github.com/statstore/statstore"
)

// iterationTests check the iteration bound (issue 10, C3): MaxIteration is
// stored and read back exactly, with trained-until and validated-until
// MaxIteration+1; a larger iteration is refused with ErrInvalidArgument
// and the root's message (the same in every backend), and a run stored up
// to the maximum is not wedged: a rewind still replaces it.
func iterationTests() []test {
	m := Metadata()
	// wantTooLarge checks the error of a call given iteration it.
	wantTooLarge := func(e *env, what string, it int, err error) {
		e.t.Helper()
		e.wantErr(what, err, statstore.ErrInvalidArgument)
		if err == nil {
			return
		}
		for _, s := range []string{strconv.Itoa(it), "larger than the maximum " + strconv.Itoa(statstore.MaxIteration)} {
			if !strings.Contains(err.Error(), s) {
				e.t.Errorf("%s: error %q does not mention %q", what, err, s)
			}
		}
	}
	return []test{
		{"TrainingUpToMax", func(e *env) {
			e.storeTraining("run", Training(0, statstore.MaxIteration-1))
			e.storeTraining("run", Training(0, statstore.MaxIteration-1, statstore.MaxIteration))
			e.wantTraining("run", Entries(0, 0, statstore.MaxIteration-1, statstore.MaxIteration))
			e.wantRuns(statstore.RunInfo{Run: "run", TrainedUntil: statstore.MaxIteration + 1, TrainingIterations: 3})
			before := e.snapshot("run")
			for _, it := range []int{statstore.MaxIteration + 1, math.MaxInt64} {
				err := e.s.StoreTrainingStats(e.ctx, "run", Training(0, statstore.MaxIteration, it))
				wantTooLarge(e, "StoreTrainingStats(..., "+strconv.Itoa(it)+") after the maximum", it, err)
				e.wantUnchanged("run", before, "a training iteration above the maximum")
			}
			// Not wedged: resuming from an earlier checkpoint replaces.
			e.storeTraining("run", TrainingVersion(1, 0, 1, 2))
			e.wantTraining("run", Entries(1, 0, 1, 2))
		}},
		{"ValidationUpToMax", func(e *env) {
			e.storeScores("run", Scores(m, 0, statstore.MaxIteration))
			e.wantScores("run", m, Scores(m, 0, statstore.MaxIteration).Scores)
			e.wantRuns(statstore.RunInfo{Run: "run", ValidatedUntil: statstore.MaxIteration + 1, ValidationIterations: 2})
			before := e.snapshot("run")
			for _, it := range []int{statstore.MaxIteration + 1, math.MaxInt64} {
				err := e.s.StoreValidationIterationScores(e.ctx, "run", Scores(m, 10, it))
				wantTooLarge(e, "StoreValidationIterationScores(..., "+strconv.Itoa(it)+")", it, err)
				e.wantUnchanged("run", before, "a validation iteration above the maximum")
			}
		}},
		{"NewRunAboveMax", func(e *env) {
			for _, it := range []int{statstore.MaxIteration + 1, math.MaxInt64} {
				wantTooLarge(e, "StoreTrainingStats(new run, "+strconv.Itoa(it)+")", it, e.s.StoreTrainingStats(e.ctx, "run", Training(it)))
				wantTooLarge(e, "StoreValidationIterationScores(new run, "+strconv.Itoa(it)+")", it, e.s.StoreValidationIterationScores(e.ctx, "run", Scores(m, it)))
			}
			e.wantRuns()
		}},
	}
}
