package statstore_test

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

// tooLarge are iterations above MaxIteration. math.MaxInt64 is the one of
// issue 10 (C3): accepted, it made trained-until (last iteration + 1)
// overflow to a negative number, and every later append was planned as a
// replace or failed.
var tooLarge = []int{statstore.MaxIteration + 1, math.MaxInt64 - 1, math.MaxInt64}

// wantTooLarge checks that err rejects iteration it as too large: it wraps
// ErrInvalidArgument and names the iteration and the maximum, with the same
// wording whichever operation found it.
func wantTooLarge(t *testing.T, what string, it int, err error) {
	t.Helper()
	if !errors.Is(err, statstore.ErrInvalidArgument) {
		t.Fatalf("%s with iteration %d: got %v, want an error wrapping ErrInvalidArgument", what, it, err)
	}
	for _, s := range []string{strconv.Itoa(it), "larger than the maximum " + strconv.Itoa(statstore.MaxIteration)} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%s with iteration %d: error %q does not mention %q", what, it, err, s)
		}
	}
}

func TestMaxIterationIsAccepted(t *testing.T) {
	stats := trainingStats(t, 0, statstore.MaxIteration)
	if got, want := stats.TrainedUntil(), statstore.MaxIteration+1; got != want {
		t.Errorf("TrainedUntil() = %d, want %d", got, want)
	}
	// Every iteration and trained-until a store reports is a float64
	// exactly: what a JSON client that reads numbers as doubles sees.
	if f := float64(statstore.MaxIteration + 1); int(f) != statstore.MaxIteration+1 || float64(statstore.MaxIteration) == f {
		t.Errorf("MaxIteration %d or MaxIteration+1 is not exact as a float64", statstore.MaxIteration)
	}
	v := validationScores(t, entry(0, 1), entry(statstore.MaxIteration, 2))
	if got, want := v.ValidatedUntil(), statstore.MaxIteration+1; got != want {
		t.Errorf("ValidatedUntil() = %d, want %d", got, want)
	}
	plan, err := statstore.PlanTraining(statstore.MaxIteration, trainingStats(t, statstore.MaxIteration))
	if err != nil || plan.Action != statstore.WriteAppend {
		t.Errorf("PlanTraining(stored until %d, [%d]) = %v, %v; want an append", statstore.MaxIteration, statstore.MaxIteration, plan.Action, err)
	}
	// A run stored up to the maximum is not wedged: a rewind replaces it.
	plan, err = statstore.PlanTraining(statstore.MaxIteration+1, trainingStats(t, 0, 1))
	if err != nil || plan.Action != statstore.WriteReplace {
		t.Errorf("PlanTraining(stored until %d, [0 1]) = %v, %v; want a replace", statstore.MaxIteration+1, plan.Action, err)
	}
}

func TestIterationTooLarge(t *testing.T) {
	for _, it := range tooLarge {
		t.Run(strconv.Itoa(it), func(t *testing.T) {
			e := statstore.TrainingIterationStats{Iteration: it, Loss: 1}
			wantTooLarge(t, "TrainingIterationStats.Validate", it, e.Validate())

			stats := trainingStats(t, 0, 1)
			wantTooLarge(t, "AddIterationStats", it, stats.AddIterationStats(e))
			if got := iterationsOf(stats.IterationStats); !equalInts(got, []int{0, 1}) {
				t.Errorf("AddIterationStats changed the stats on error: %v, want [0 1]", got)
			}
			_, err := statstore.NewTrainingStats(statstore.TrainingIterationStats{Iteration: 0}, e)
			wantTooLarge(t, "NewTrainingStats", it, err)

			raw := &statstore.TrainingStats{IterationStats: []statstore.TrainingIterationStats{{Iteration: 0}, {Iteration: 5}, e}}
			for _, storedUntil := range []int{0, 3, 6, statstore.MaxIteration, statstore.MaxIteration + 1} {
				plan, err := statstore.PlanTraining(storedUntil, raw)
				wantTooLarge(t, "PlanTraining(stored until "+strconv.Itoa(storedUntil)+")", it, err)
				if len(plan.Entries) != 0 {
					t.Errorf("PlanTraining(stored until %d) planned %d entries with its error", storedUntil, len(plan.Entries))
				}
			}

			ve := entry(it, 1)
			wantTooLarge(t, "ValidationIterationScores.Validate", it, ve.Validate())
			v := validationScores(t, entry(0, 1))
			wantTooLarge(t, "AddIterationScores", it, v.AddIterationScores(ve))
			if got := validationIterations(v.Scores); !equalInts(got, []int{0}) {
				t.Errorf("AddIterationScores changed the scores on error: %v, want [0]", got)
			}
			rawScores := &statstore.ValidationScores{Metadata: testMetadata(), Scores: []statstore.ValidationIterationScores{entry(0, 1), ve}}
			for _, stored := range [][]statstore.ValidationIterationScores{nil, {entry(0, 1)}, {entry(10, 1), entry(20, 1)}} {
				meta := statstore.Metadata{}
				if stored != nil {
					meta = testMetadata()
				}
				_, err := statstore.PlanValidation(meta, stored, rawScores)
				wantTooLarge(t, "PlanValidation", it, err)
			}
		})
	}
}

// TestPlanTrainingAfterOverflowedTrainedUntil: a history stored before the
// bound that ends at iteration math.MaxInt64 has a trained-until (last + 1)
// that overflows to math.MinInt. New stats replace it (it reaches further
// than any they can have) instead of failing on a negative trained-until,
// which wedged the run.
func TestPlanTrainingAfterOverflowedTrainedUntil(t *testing.T) {
	storedUntil := math.MaxInt64
	storedUntil++ // what last + 1 gives for a last iteration of math.MaxInt64
	plan, err := statstore.PlanTraining(storedUntil, trainingStats(t, 0, 1, 2))
	if err != nil || plan.Action != statstore.WriteReplace || !plan.Overwrite || len(plan.Entries) != 3 {
		t.Errorf("PlanTraining(%d, [0 1 2]) = %+v, %v; want a replace with the 3 entries", storedUntil, plan, err)
	}
	if _, err := statstore.PlanTraining(-1, trainingStats(t, 0)); !errors.Is(err, statstore.ErrInvalidArgument) {
		t.Errorf("PlanTraining(-1, [0]) = %v, want ErrInvalidArgument", err)
	}
}
