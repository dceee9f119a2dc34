package statstore_test

import (
	"encoding/json"
	"errors"
	"slices"
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
	// e(it) scores it/1000; e2(it) other scores for the same iteration.
	e := func(it int) statstore.ValidationIterationScores { return entry(it, float64(it)/1000) }
	e2 := func(it int) statstore.ValidationIterationScores { return entry(it, float64(it)/1000+0.5) }
	sup := func(s statstore.ValidationIterationScores) statstore.ValidationIterationScores {
		s.Superseded = true
		return s
	}
	list := func(entries ...statstore.ValidationIterationScores) []statstore.ValidationIterationScores {
		return entries
	}
	otherDatasets := testMetadata()
	otherDatasets.Datasets = []string{"crop_a", "crop_z"}
	tests := []struct {
		name          string
		storedMeta    statstore.Metadata
		stored        []statstore.ValidationIterationScores
		scores        []statstore.ValidationIterationScores
		scoresMeta    *statstore.Metadata
		wantAction    statstore.WriteAction
		wantEntries   []statstore.ValidationIterationScores
		wantResult    statstore.ValidationMerge
		wantIrregular []int
		wantErr       error
	}{
		{name: "nothing stored: store all", scores: list(e(0), e(1000)),
			wantAction: statstore.WriteReplace, wantEntries: list(e(0), e(1000)), wantResult: statstore.ValidationMerge{Inserted: []int{0, 1000}}},
		{name: "nothing stored, other stored metadata: store all", storedMeta: otherDatasets, scores: list(e(0), e(1000)),
			wantAction: statstore.WriteReplace, wantEntries: list(e(0), e(1000)), wantResult: statstore.ValidationMerge{Inserted: []int{0, 1000}}},
		{name: "nothing stored, unsorted and repeated: sorted, last wins", scores: list(e(400), e(800), e(0), e2(800)),
			wantAction: statstore.WriteReplace, wantEntries: list(e(0), e(400), e2(800)),
			wantResult: statstore.ValidationMerge{Inserted: []int{0, 400, 800}}, wantIrregular: []int{0, 800}},
		{name: "new empty: nothing", storedMeta: meta, stored: list(e(0)), wantAction: statstore.WriteNothing},
		{name: "new empty, metadata differ: nothing", storedMeta: otherDatasets, stored: list(e(0)), wantAction: statstore.WriteNothing},
		{name: "whole list again with new ones: only the new are written", storedMeta: meta, stored: list(e(0), e(1000)),
			scores: list(e(0), e(1000), e(2000), e(3000)), wantAction: statstore.WriteAppend, wantEntries: list(e(2000), e(3000)),
			wantResult: statstore.ValidationMerge{Inserted: []int{2000, 3000}, Unchanged: []int{0, 1000}}},
		{name: "stored equal: nothing", storedMeta: meta, stored: list(e(0), e(1000)), scores: list(e(0), e(1000)),
			wantAction: statstore.WriteNothing, wantResult: statstore.ValidationMerge{Unchanged: []int{0, 1000}}},
		{name: "stored further: nothing is lost", storedMeta: meta, stored: list(e(0), e(1000), e(5000)), scores: list(e(0), e(1000), e(2000)),
			wantAction: statstore.WriteAppend, wantEntries: list(e(2000)),
			wantResult: statstore.ValidationMerge{Inserted: []int{2000}, Unchanged: []int{0, 1000}}},
		{name: "stored in any order", storedMeta: meta, stored: list(e(1000), e(0)), scores: list(e(0), e(1000), e(2000)),
			wantAction: statstore.WriteAppend, wantEntries: list(e(2000)),
			wantResult: statstore.ValidationMerge{Inserted: []int{2000}, Unchanged: []int{0, 1000}}},
		{name: "late checkpoint sent last (DaCapo [400, 800, 0])", storedMeta: meta, stored: list(e(400), e(800)), scores: list(e(400), e(800), e(0)),
			wantAction: statstore.WriteAppend, wantEntries: list(e(0)),
			wantResult: statstore.ValidationMerge{Inserted: []int{0}, Unchanged: []int{400, 800}}, wantIrregular: []int{0}},
		{name: "re-validated with equal scores (DaCapo [400, 800, 1200, 800])", storedMeta: meta, stored: list(e(400), e(800), e(1200)),
			scores: list(e(400), e(800), e(1200), e(800)), wantAction: statstore.WriteNothing,
			wantResult: statstore.ValidationMerge{Unchanged: []int{400, 800, 1200}}, wantIrregular: []int{800}},
		{name: "re-validated with other scores: the latest wins", storedMeta: meta, stored: list(e(400), e(800), e(1200)),
			scores: list(e(400), e(800), e(1200), e2(800)), wantAction: statstore.WriteAppend, wantEntries: list(e2(800)),
			wantResult: statstore.ValidationMerge{Replaced: []int{800}, Unchanged: []int{400, 1200}}, wantIrregular: []int{800}},
		{name: "re-validated alone", storedMeta: meta, stored: list(e(400), e(800)), scores: list(e2(400)),
			wantAction: statstore.WriteAppend, wantEntries: list(e2(400)), wantResult: statstore.ValidationMerge{Replaced: []int{400}}},
		{name: "superseded, validated again: current", storedMeta: meta, stored: list(e(2000), sup(e(3000))),
			scores: list(e(2000), e2(3000)), wantAction: statstore.WriteAppend, wantEntries: list(e2(3000)),
			wantResult: statstore.ValidationMerge{Replaced: []int{3000}, Unchanged: []int{2000}}},
		{name: "superseded, the same scores sent again: still superseded", storedMeta: meta, stored: list(e(2000), sup(e(3000))),
			scores: list(e(2000), e(3000)), wantAction: statstore.WriteNothing,
			wantResult: statstore.ValidationMerge{Unchanged: []int{2000, 3000}}},
		{name: "sent superseded (a copy): stored as sent", scores: list(e(2000), sup(e(3000))),
			wantAction: statstore.WriteReplace, wantEntries: list(e(2000), sup(e(3000))), wantResult: statstore.ValidationMerge{Inserted: []int{2000, 3000}}},
		{name: "late checkpoints before the first stored", storedMeta: meta, stored: list(e(2000)), scores: list(e(0), e(500), e(2000)),
			wantAction: statstore.WriteAppend, wantEntries: list(e(0), e(500)),
			wantResult: statstore.ValidationMerge{Inserted: []int{0, 500}, Unchanged: []int{2000}}},
		{name: "merge with other datasets", storedMeta: otherDatasets, stored: list(e(0)), scores: list(e(0), e(1000)),
			wantErr: statstore.ErrMetadataMismatch},
		{name: "merge with other datasets, stored further", storedMeta: otherDatasets, stored: list(e(0), e(5000)), scores: list(e(1000)),
			wantErr: statstore.ErrMetadataMismatch},
		{name: "negative iteration", storedMeta: meta, scores: list(e(0), entry(-1, 0)), wantErr: statstore.ErrInvalidArgument},
		{name: "scores of the wrong shape", storedMeta: meta,
			scores:  list(statstore.ValidationIterationScores{Iteration: 1, Scores: filled(1, 1, 1, func(int, int, int) float64 { return 0 })}),
			wantErr: statstore.ErrShapeMismatch},
		{name: "scores without criteria", scoresMeta: ptr(statstore.GenericMetadata(1, 1, 0)),
			scores: list(statstore.ValidationIterationScores{Iteration: 1, Scores: [][][]float64{{{}}}}), wantErr: statstore.ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scores := &statstore.ValidationScores{Metadata: meta, Scores: tt.scores}
			if tt.scoresMeta != nil {
				scores.Metadata = *tt.scoresMeta
			}
			sent := slices.Clone(tt.scores)
			plan, err := statstore.PlanValidation(tt.storedMeta, tt.stored, scores)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("PlanValidation = %v, want %v", err, tt.wantErr)
			}
			if !slices.EqualFunc(sent, scores.Scores, statstore.ValidationIterationScores.Equal) {
				t.Errorf("PlanValidation modified the scores it was given")
			}
			if err != nil {
				if plan.Action != statstore.WriteNothing || len(plan.Entries) != 0 {
					t.Errorf("plan with an error = %+v, want nothing to write", plan)
				}
				return
			}
			if plan.Action != tt.wantAction {
				t.Errorf("action = %v, want %v", plan.Action, tt.wantAction)
			}
			if !slices.EqualFunc(plan.Entries, tt.wantEntries, statstore.ValidationIterationScores.Equal) {
				t.Errorf("entries = %v, want %v", plan.Entries, tt.wantEntries)
			}
			gotJSON, _ := json.Marshal(plan.Result)
			wantJSON, _ := json.Marshal(tt.wantResult)
			if string(gotJSON) != string(wantJSON) {
				t.Errorf("result = %s, want %s", gotJSON, wantJSON)
			}
			if !slices.Equal(plan.Irregular, tt.wantIrregular) {
				t.Errorf("irregular = %v, want %v", plan.Irregular, tt.wantIrregular)
			}
			if plan.Action != statstore.WriteNothing && !plan.Metadata.Equal(scores.Metadata) {
				t.Errorf("plan metadata = %+v, want the new scores' metadata", plan.Metadata)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestSortValidationEntries(t *testing.T) {
	e := func(it int, v float64) statstore.ValidationIterationScores { return entry(it, v) }
	tests := []struct {
		name          string
		in            []statstore.ValidationIterationScores
		want          []statstore.ValidationIterationScores
		wantIrregular []int
	}{
		{name: "empty"},
		{name: "sorted", in: []statstore.ValidationIterationScores{e(0, 1), e(5, 2)}, want: []statstore.ValidationIterationScores{e(0, 1), e(5, 2)}},
		{name: "late", in: []statstore.ValidationIterationScores{e(400, 1), e(800, 2), e(0, 3)},
			want: []statstore.ValidationIterationScores{e(0, 3), e(400, 1), e(800, 2)}, wantIrregular: []int{0}},
		{name: "repeated, the last wins", in: []statstore.ValidationIterationScores{e(400, 1), e(800, 2), e(1200, 3), e(800, 4)},
			want: []statstore.ValidationIterationScores{e(400, 1), e(800, 4), e(1200, 3)}, wantIrregular: []int{800}},
		{name: "three times in a row", in: []statstore.ValidationIterationScores{e(7, 1), e(7, 2), e(7, 3)},
			want: []statstore.ValidationIterationScores{e(7, 3)}, wantIrregular: []int{7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, irregular := statstore.SortValidationEntries(tt.in)
			if !slices.EqualFunc(got, tt.want, statstore.ValidationIterationScores.Equal) {
				t.Errorf("sorted = %v, want %v", got, tt.want)
			}
			if !slices.Equal(irregular, tt.wantIrregular) {
				t.Errorf("irregular = %v, want %v", irregular, tt.wantIrregular)
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
			plan, err := statstore.PlanValidation(testMetadata(), []statstore.ValidationIterationScores{entry(0, 0), entry(1000, 1)}, v)
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
