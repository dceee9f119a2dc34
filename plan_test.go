package statstore_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

func TestPlanTraining(t *testing.T) {
	tests := []struct {
		name          string
		storedUntil   int
		stats         *statstore.TrainingStats
		wantAction    statstore.WriteAction
		wantEntries   []int
		wantOverwrite bool
		wantErr       error
	}{
		{name: "stored empty: store all", storedUntil: 0, stats: trainingStats(t, 0, 1, 2),
			wantAction: statstore.WriteAppend, wantEntries: []int{0, 1, 2}},
		{name: "stored empty, history not from 0: store all", storedUntil: 0, stats: trainingStats(t, 5, 6),
			wantAction: statstore.WriteAppend, wantEntries: []int{5, 6}},
		{name: "new empty: nothing", storedUntil: 10, stats: trainingStats(t),
			wantAction: statstore.WriteNothing},
		{name: "both empty: nothing", storedUntil: 0, stats: &statstore.TrainingStats{},
			wantAction: statstore.WriteNothing},
		{name: "further: append the new entries", storedUntil: 2, stats: trainingStats(t, 0, 1, 2, 3, 4),
			wantAction: statstore.WriteAppend, wantEntries: []int{2, 3, 4}},
		{name: "further with gaps: chosen by iteration, not position", storedUntil: 15, stats: trainingStats(t, 0, 10, 20, 30),
			wantAction: statstore.WriteAppend, wantEntries: []int{20, 30}},
		{name: "further, only new entries given", storedUntil: 3, stats: trainingStats(t, 3, 4),
			wantAction: statstore.WriteAppend, wantEntries: []int{3, 4}},
		{name: "further, new entries start past the stored end", storedUntil: 3, stats: trainingStats(t, 10, 11),
			wantAction: statstore.WriteAppend, wantEntries: []int{10, 11}},
		{name: "equal: replace with a warning", storedUntil: 3, stats: trainingStats(t, 0, 1, 2),
			wantAction: statstore.WriteReplace, wantEntries: []int{0, 1, 2}, wantOverwrite: true},
		{name: "behind (resumed from an earlier checkpoint): replace", storedUntil: 100, stats: trainingStats(t, 0, 1, 2),
			wantAction: statstore.WriteReplace, wantEntries: []int{0, 1, 2}, wantOverwrite: true},
		{name: "nil stats", storedUntil: 0, stats: nil, wantErr: statstore.ErrInvalidArgument},
		{name: "negative stored trained-until", storedUntil: -1, stats: trainingStats(t, 0), wantErr: statstore.ErrInvalidArgument},
		{name: "out-of-order stats", storedUntil: 0,
			stats:   &statstore.TrainingStats{IterationStats: []statstore.TrainingIterationStats{{Iteration: 2}, {Iteration: 1}}},
			wantErr: statstore.ErrOutOfOrder},
		{name: "append: out of order among the appended entries", storedUntil: 2,
			stats:   &statstore.TrainingStats{IterationStats: []statstore.TrainingIterationStats{{Iteration: 0}, {Iteration: 5}, {Iteration: 4}, {Iteration: 6}}},
			wantErr: statstore.ErrOutOfOrder},
		{name: "append: duplicate among the appended entries", storedUntil: 2,
			stats:   &statstore.TrainingStats{IterationStats: []statstore.TrainingIterationStats{{Iteration: 0}, {Iteration: 5}, {Iteration: 5}}},
			wantErr: statstore.ErrOutOfOrder},
		{name: "append: the older part is not examined (O(new entries))", storedUntil: 10,
			stats:      &statstore.TrainingStats{IterationStats: []statstore.TrainingIterationStats{{Iteration: 3}, {Iteration: 1}, {Iteration: 11}, {Iteration: 12}}},
			wantAction: statstore.WriteAppend, wantEntries: []int{11, 12}},
		{name: "negative iteration", storedUntil: 0,
			stats:   &statstore.TrainingStats{IterationStats: []statstore.TrainingIterationStats{{Iteration: -2}}},
			wantErr: statstore.ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := statstore.PlanTraining(tt.storedUntil, tt.stats)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("PlanTraining = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if plan.Action != tt.wantAction {
				t.Errorf("action = %v, want %v", plan.Action, tt.wantAction)
			}
			if got := iterationsOf(plan.Entries); !equalInts(got, tt.wantEntries) && !(len(got) == 0 && len(tt.wantEntries) == 0) {
				t.Errorf("entries = %v, want %v", got, tt.wantEntries)
			}
			if plan.Overwrite != tt.wantOverwrite {
				t.Errorf("overwrite = %v, want %v", plan.Overwrite, tt.wantOverwrite)
			}
		})
	}
}

func TestPlanValidation(t *testing.T) {
	meta := testMetadata()
	scores := func(iterations ...int) *statstore.ValidationScores {
		var entries []statstore.ValidationIterationScores
		for _, it := range iterations {
			entries = append(entries, entry(it, float64(it)))
		}
		return validationScores(t, entries...)
	}
	otherDatasets := testMetadata()
	otherDatasets.Datasets = []string{"crop_a", "crop_z"}
	tests := []struct {
		name          string
		stored        statstore.Metadata
		storedIters   []int
		scores        *statstore.ValidationScores
		wantAction    statstore.WriteAction
		wantEntries   []int
		wantOverwrite bool
		wantLate      []int
		wantErr       error
	}{
		{name: "nothing stored: store all", stored: statstore.Metadata{}, scores: scores(0, 1000),
			wantAction: statstore.WriteReplace, wantEntries: []int{0, 1000}},
		{name: "nothing stored, other stored metadata: store all", stored: otherDatasets, scores: scores(0, 1000),
			wantAction: statstore.WriteReplace, wantEntries: []int{0, 1000}},
		{name: "new empty: nothing", stored: meta, storedIters: []int{0}, scores: scores(),
			wantAction: statstore.WriteNothing},
		{name: "new empty, metadata differ: nothing", stored: otherDatasets, storedIters: []int{0}, scores: scores(),
			wantAction: statstore.WriteNothing},
		{name: "stored behind: append from the stored validated-until", stored: meta, storedIters: []int{0, 1000}, scores: scores(0, 1000, 2000, 3000),
			wantAction: statstore.WriteAppend, wantEntries: []int{2000, 3000}},
		{name: "stored behind, only new entries given", stored: meta, storedIters: []int{0, 1000}, scores: scores(2000),
			wantAction: statstore.WriteAppend, wantEntries: []int{2000}},
		{name: "stored equal: nothing", stored: meta, storedIters: []int{0, 1000}, scores: scores(0, 1000),
			wantAction: statstore.WriteNothing},
		{name: "stored further: replace with a warning", stored: meta, storedIters: []int{0, 1000, 5000}, scores: scores(0, 1000, 2000),
			wantAction: statstore.WriteReplace, wantEntries: []int{0, 1000, 2000}, wantOverwrite: true},
		{name: "stored further, other metadata: replace", stored: otherDatasets, storedIters: []int{0, 5000}, scores: scores(0, 1000),
			wantAction: statstore.WriteReplace, wantEntries: []int{0, 1000}, wantOverwrite: true},
		{name: "stored iterations in any order", stored: meta, storedIters: []int{1000, 0}, scores: scores(0, 1000, 2000),
			wantAction: statstore.WriteAppend, wantEntries: []int{2000}},
		{name: "late checkpoint with new ones", stored: meta, storedIters: []int{0, 2000}, scores: scores(0, 1000, 2000, 3000),
			wantAction: statstore.WriteAppend, wantEntries: []int{1000, 3000}, wantLate: []int{1000}},
		{name: "late checkpoint only", stored: meta, storedIters: []int{0, 2000}, scores: scores(0, 1000, 2000),
			wantAction: statstore.WriteAppend, wantEntries: []int{1000}, wantLate: []int{1000}},
		{name: "late checkpoints before the first stored", stored: meta, storedIters: []int{2000}, scores: scores(0, 500, 2000),
			wantAction: statstore.WriteAppend, wantEntries: []int{0, 500}, wantLate: []int{0, 500}},
		{name: "append with other datasets", stored: otherDatasets, storedIters: []int{0}, scores: scores(0, 1000),
			wantErr: statstore.ErrMetadataMismatch},
		{name: "nil scores", stored: meta, scores: nil, wantErr: statstore.ErrInvalidArgument},
		{name: "invalid scores", stored: meta, scores: &statstore.ValidationScores{Metadata: meta, Scores: []statstore.ValidationIterationScores{entry(1, 1), entry(1, 1)}},
			wantErr: statstore.ErrDuplicateIteration},
		{name: "scores of the wrong shape", stored: meta,
			scores:  &statstore.ValidationScores{Metadata: meta, Scores: []statstore.ValidationIterationScores{{Iteration: 1, Scores: filled(1, 1, 1, func(int, int, int) float64 { return 0 })}}},
			wantErr: statstore.ErrShapeMismatch},
		{name: "scores without criteria", stored: meta,
			scores:  &statstore.ValidationScores{Metadata: statstore.GenericMetadata(1, 1, 0), Scores: []statstore.ValidationIterationScores{{Iteration: 1, Scores: [][][]float64{{{}}}}}},
			wantErr: statstore.ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := statstore.PlanValidation(tt.stored, tt.storedIters, tt.scores)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("PlanValidation = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if plan.Action != tt.wantAction {
				t.Errorf("action = %v, want %v", plan.Action, tt.wantAction)
			}
			if got := validationIterations(plan.Entries); !equalInts(got, tt.wantEntries) && !(len(got) == 0 && len(tt.wantEntries) == 0) {
				t.Errorf("entries = %v, want %v", got, tt.wantEntries)
			}
			if plan.Overwrite != tt.wantOverwrite {
				t.Errorf("overwrite = %v, want %v", plan.Overwrite, tt.wantOverwrite)
			}
			if !equalInts(plan.Late, tt.wantLate) && !(len(plan.Late) == 0 && len(tt.wantLate) == 0) {
				t.Errorf("late = %v, want %v", plan.Late, tt.wantLate)
			}
			if plan.Action != statstore.WriteNothing && !plan.Metadata.Equal(tt.scores.Metadata) {
				t.Errorf("plan metadata = %+v, want the new scores' metadata", plan.Metadata)
			}
			for _, e := range plan.Entries {
				if e.Scores[0][0][0] != float64(e.Iteration) {
					t.Errorf("entry %d carries the scores of another iteration", e.Iteration)
				}
			}
		})
	}
}

func TestPlanValidationMetadataMismatch(t *testing.T) {
	tests := []struct {
		name      string
		change    func(m *statstore.Metadata)
		wantInMsg string
	}{
		{name: "other dataset", change: func(m *statstore.Metadata) { m.Datasets = []string{"crop_a", "crop_c"} }, wantInMsg: "datasets [crop_a, crop_b] vs [crop_a, crop_c]"},
		{name: "datasets reordered", change: func(m *statstore.Metadata) { m.Datasets = []string{"crop_b", "crop_a"} }, wantInMsg: "datasets"},
		{name: "other thresholds", change: func(m *statstore.Metadata) { m.Parameters = statstore.ThresholdParameters(0.3, 0.5, 0.9) }, wantInMsg: "parameter sets"},
		{name: "same display name, other value", change: func(m *statstore.Metadata) {
			m.Parameters = statstore.ThresholdParameters(0.3, 0.5, 0.7)
			m.Parameters[2].Values[0].Value = 0.75
		}, wantInMsg: "parameter values or criterion properties differ"},
		{name: "other parameter id", change: func(m *statstore.Metadata) { m.Parameters[1].ID = 7 }, wantInMsg: "differ"},
		{name: "other criterion", change: func(m *statstore.Metadata) { m.EvaluationScores[2].Name = "f1_score" }, wantInMsg: "criteria [dice, voi, loss] vs [dice, voi, f1_score]"},
		{name: "other direction", change: func(m *statstore.Metadata) { m.EvaluationScores[1].HigherIsBetter = true }, wantInMsg: "criterion properties"},
		{name: "other bounds", change: func(m *statstore.Metadata) { m.EvaluationScores[1].Bounds.Upper = nil }, wantInMsg: "criterion properties"},
		{name: "other store_best", change: func(m *statstore.Metadata) { m.EvaluationScores[0].StoreBest = true }, wantInMsg: "criterion properties"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			newMeta := testMetadata()
			tt.change(&newMeta)
			v, err := statstore.NewValidationScores(newMeta)
			if err != nil {
				t.Fatal(err)
			}
			if err := v.AddIterationScores(entry(2000, 1)); err != nil {
				t.Fatal(err)
			}
			plan, err := statstore.PlanValidation(testMetadata(), []int{0, 1000}, v)
			if !errors.Is(err, statstore.ErrMetadataMismatch) {
				t.Fatalf("PlanValidation = %+v, %v; want ErrMetadataMismatch", plan, err)
			}
			if !strings.Contains(err.Error(), tt.wantInMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantInMsg)
			}
			if plan.Action != statstore.WriteNothing || len(plan.Entries) != 0 {
				t.Errorf("plan with an error = %+v, want nothing to write", plan)
			}
		})
	}
}

func TestMergeValidation(t *testing.T) {
	got := statstore.MergeValidation([]statstore.ValidationIterationScores{entry(2000, 2), entry(0, 0), entry(1000, 1), entry(500, 0.5)})
	if its := validationIterations(got); !equalInts(its, []int{0, 500, 1000, 2000}) {
		t.Errorf("MergeValidation order = %v, want [0 500 1000 2000]", its)
	}
	for _, e := range got {
		if e.Scores[0][0][0] != float64(e.Iteration)/1000 {
			t.Errorf("entry %d lost its scores", e.Iteration)
		}
	}
}

func TestWriteActionString(t *testing.T) {
	tests := []struct {
		action statstore.WriteAction
		want   string
	}{
		{statstore.WriteNothing, "nothing"},
		{statstore.WriteAppend, "append"},
		{statstore.WriteReplace, "replace"},
		{statstore.WriteAction(9), "WriteAction(9)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.action.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}
