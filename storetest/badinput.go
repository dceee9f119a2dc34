package storetest

import (
	"fmt"
	"math"

	"github.com/statstore/statstore"
)

// badInputTests check every bad input of SPEC §5 that reaches a store call:
// each gets an error wrapping the right sentinel and changes nothing, both
// on a run that holds data and on a new run.
func badInputTests() []test {
	m := Metadata()
	ragged := Scores(m, 30)
	ragged.Scores[0].Scores[1] = ragged.Scores[0].Scores[1][:2]
	raggedDatasets := Scores(m, 30)
	raggedDatasets.Scores[0].Scores[1] = raggedDatasets.Scores[0].Scores[1][:1]
	wrongDatasets := Scores(statstore.Metadata{Datasets: []string{"crop_a"}, Parameters: m.Parameters, EvaluationScores: m.EvaluationScores}, 30)
	wrongDatasets.Metadata = m
	wrongParams := Scores(statstore.Metadata{Datasets: m.Datasets, Parameters: statstore.ThresholdParameters(0.1, 0.2, 0.3, 0.4), EvaluationScores: m.EvaluationScores}, 30)
	wrongParams.Metadata = m
	wrongCriteria := Scores(statstore.Metadata{Datasets: m.Datasets, Parameters: m.Parameters, EvaluationScores: statstore.GenericCriteria(2)}, 30)
	wrongCriteria.Metadata = m
	emptyArray := &statstore.ValidationScores{Metadata: m, Scores: []statstore.ValidationIterationScores{{Iteration: 30}}}
	laterWrongShape := Scores(m, 30, 40)
	laterWrongShape.Scores[1] = wrongCriteria.Scores[0]
	laterWrongShape.Scores[1].Iteration = 40

	withMeta := func(change func(*statstore.Metadata)) *statstore.ValidationScores {
		meta := Metadata()
		change(&meta)
		s := Scores(meta, 30)
		return s
	}
	noAxes := &statstore.ValidationScores{Scores: []statstore.ValidationIterationScores{{Iteration: 30}}}

	trainingCases := []struct {
		name  string
		stats *statstore.TrainingStats
		want  error
	}{
		{"Nil", nil, statstore.ErrInvalidArgument},
		{"NegativeIteration", Training(-1, 0, 1), statstore.ErrInvalidArgument},
		{"NegativeOnly", Training(-5), statstore.ErrInvalidArgument},
		{"OutOfOrder", Training(0, 2, 1), statstore.ErrOutOfOrder},
		{"Duplicate", Training(0, 1, 1), statstore.ErrOutOfOrder},
		{"Descending", Training(30, 20, 10), statstore.ErrOutOfOrder},
		// The bad part is among the entries that would be appended: none
		// of them may be written.
		{"OutOfOrderInAppendedPart", Training(0, 25, 26, 28, 27), statstore.ErrOutOfOrder},
		{"DuplicateInAppendedPart", Training(20, 25, 25), statstore.ErrOutOfOrder},
		// Issue 10 (C3): math.MaxInt64 was accepted, and trained-until
		// (last iteration + 1) overflowed.
		{"IterationAboveMax", Training(0, statstore.MaxIteration+1), statstore.ErrInvalidArgument},
		{"IterationMaxInt64", Training(0, 1, math.MaxInt64), statstore.ErrInvalidArgument},
		{"IterationAboveMaxInAppendedPart", Training(20, 25, statstore.MaxIteration+1), statstore.ErrInvalidArgument},
	}
	validationCases := []struct {
		name   string
		scores *statstore.ValidationScores
		want   error
	}{
		{"Nil", nil, statstore.ErrInvalidArgument},
		{"NegativeIteration", Scores(m, -10, 30), statstore.ErrInvalidArgument},
		// Unsorted and repeated iterations are not bad input: they merge
		// (see validationTests).
		{"IterationAboveMax", Scores(m, 30, statstore.MaxIteration+1), statstore.ErrInvalidArgument},
		{"IterationMaxInt64", Scores(m, math.MaxInt64), statstore.ErrInvalidArgument},
		{"ShapeTooFewDatasets", wrongDatasets, statstore.ErrShapeMismatch},
		{"ShapeTooManyParameters", wrongParams, statstore.ErrShapeMismatch},
		{"ShapeTooFewCriteria", wrongCriteria, statstore.ErrShapeMismatch},
		{"ShapeEmptyArray", emptyArray, statstore.ErrShapeMismatch},
		{"ShapeRaggedCriteria", ragged, statstore.ErrShapeMismatch},
		{"ShapeRaggedParameters", raggedDatasets, statstore.ErrShapeMismatch},
		{"ShapeWrongInLaterEntry", laterWrongShape, statstore.ErrShapeMismatch},
		{"MetadataDuplicateDataset", withMeta(func(m *statstore.Metadata) { m.Datasets = []string{"a", "a"} }), statstore.ErrInvalidArgument},
		{"MetadataEmptyDatasetName", withMeta(func(m *statstore.Metadata) { m.Datasets = []string{"a", ""} }), statstore.ErrInvalidArgument},
		{"MetadataDuplicateParameterID", withMeta(func(m *statstore.Metadata) { m.Parameters[1].ID = 0 }), statstore.ErrInvalidArgument},
		{"MetadataNonFiniteParameter", withMeta(func(m *statstore.Metadata) {
			m.Parameters[1].Values = statstore.ParameterValues{{Name: "threshold", Value: nanValue()}}
		}), statstore.ErrInvalidArgument},
		{"MetadataUnnamedCriterion", withMeta(func(m *statstore.Metadata) { m.EvaluationScores[0].Name = "" }), statstore.ErrInvalidArgument},
		{"MetadataDuplicateCriterion", withMeta(func(m *statstore.Metadata) { m.EvaluationScores[1].Name = m.EvaluationScores[0].Name }), statstore.ErrInvalidArgument},
		{"MetadataInvertedBounds", withMeta(func(m *statstore.Metadata) {
			m.EvaluationScores[0].Bounds = statstore.Bounds{Lower: statstore.Bound(1), Upper: statstore.Bound(0)}
		}), statstore.ErrInvalidArgument},
		{"MetadataNoAxes", noAxes, statstore.ErrInvalidArgument},
	}

	var out []test
	// Each case runs on a run holding data (stored up to iteration 20 and
	// 20) and on a new run.
	for _, existing := range []bool{true, false} {
		prefix := "ExistingRun/"
		if !existing {
			prefix = "NewRun/"
		}
		prepare := func(e *env) snapshot {
			if existing {
				e.storeTraining("run", Training(Iters(0, 21, 1)...))
				e.storeScores("run", Scores(m, 0, 10, 20))
			}
			return e.snapshot("run")
		}
		for _, c := range trainingCases {
			out = append(out, test{prefix + "Training/" + c.name, func(e *env) {
				before := prepare(e)
				err := e.s.StoreTrainingStats(e.ctx, "run", c.stats)
				e.wantErr(fmt.Sprintf("StoreTrainingStats(%s)", fmtTraining(c.stats)), err, c.want)
				e.wantUnchanged("run", before, "rejected training stats")
				if !existing {
					e.wantRuns()
				}
			}})
		}
		for _, c := range validationCases {
			out = append(out, test{prefix + "Validation/" + c.name, func(e *env) {
				before := prepare(e)
				err := e.s.StoreValidationIterationScores(e.ctx, "run", c.scores)
				e.wantErr(fmt.Sprintf("StoreValidationIterationScores(%s)", fmtScoresArg(c.scores)), err, c.want)
				e.wantUnchanged("run", before, "rejected validation scores")
				if !existing {
					e.wantRuns()
				}
			}})
		}
	}
	out = append(out, test{"Range", func(e *env) {
		e.storeTraining("run", Training(0, 1, 2))
		for _, r := range []statstore.IterationRange{{From: -1}, {From: 0, To: -1}, {From: 10, To: 5}, {From: -5, To: -1}} {
			got, err := e.s.RetrieveTrainingRange(e.ctx, "run", r)
			e.wantErr(fmt.Sprintf("RetrieveTrainingRange(%+v) (got %s)", r, fmtTraining(got)), err, statstore.ErrInvalidArgument)
		}
	}})
	out = append(out, test{"SubsampleOptions", func(e *env) {
		e.storeTraining("run", Training(0, 1, 2))
		for _, o := range []statstore.SubsampleOptions{
			{MaxPoints: 1},
			{MaxPoints: -1},
			{MaxPoints: statstore.MaxMaxPoints + 1},
			{Mode: statstore.SubsampleMode(7)},
			{Mode: statstore.SubsampleMode(-1)},
			{Range: statstore.IterationRange{From: -1}},
			{Range: statstore.IterationRange{From: 5, To: 2}},
		} {
			for _, run := range []string{"run", "never-stored"} {
				got, err := e.s.SubsampleTraining(e.ctx, run, o)
				e.wantErr(fmt.Sprintf("SubsampleTraining(%q, %+v) (got %d points)", run, o, len(got)), err, statstore.ErrInvalidArgument)
			}
		}
	}})
	return out
}

// nanValue returns NaN as an any, for a parameter value JSON cannot hold.
func nanValue() any {
	var zero float64
	return zero / zero
}
