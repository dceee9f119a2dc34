package storetest

import (
	"slices"

	"github.com/statstore/statstore"
)

// trainingStep is one StoreTrainingStats call of a training rule case.
type trainingStep struct {
	version int
	iters   []int
}

// trainingTests check SPEC §2 "Training, extend or overwrite": each case
// stores its steps in order, then the run must hold want.
func trainingTests() []test {
	cases := []struct {
		name  string
		steps []trainingStep
		want  []statstore.TrainingIterationStats
	}{
		{
			name:  "StoredEmpty/StoresAll",
			steps: []trainingStep{{0, []int{0, 1, 2, 5, 9}}},
			want:  Entries(0, 0, 1, 2, 5, 9),
		},
		{
			name:  "StoredEmpty/StartsLate",
			steps: []trainingStep{{0, []int{1000, 1001, 1500}}},
			want:  Entries(0, 1000, 1001, 1500),
		},
		{
			name:  "NewEmpty/NothingHappens",
			steps: []trainingStep{{0, Iters(0, 5, 1)}, {1, nil}},
			want:  Entries(0, Iters(0, 5, 1)...),
		},
		{
			name:  "Ahead/AppendsOnlyNewIterations",
			steps: []trainingStep{{0, Iters(0, 3, 1)}, {1, Iters(0, 6, 1)}},
			want:  slices.Concat(Entries(0, 0, 1, 2), Entries(1, 3, 4, 5)),
		},
		{
			name:  "Ahead/Disjoint",
			steps: []trainingStep{{0, Iters(0, 3, 1)}, {1, []int{10, 11}}},
			want:  slices.Concat(Entries(0, 0, 1, 2), Entries(1, 10, 11)),
		},
		{
			name:  "Ahead/OverlapsTail",
			steps: []trainingStep{{0, Iters(0, 5, 1)}, {1, []int{3, 4, 5, 6}}},
			want:  slices.Concat(Entries(0, Iters(0, 5, 1)...), Entries(1, 5, 6)),
		},
		{
			// DaCapo slices the new stats by position (new[len(stored):])
			// and would append 15, 20, 25, 30 here, repeating 20.
			name:  "Ahead/GapsChosenByIterationNotPosition",
			steps: []trainingStep{{0, []int{0, 10, 20}}, {1, Iters(0, 31, 5)}},
			want:  slices.Concat(Entries(0, 0, 10, 20), Entries(1, 25, 30)),
		},
		{
			// Positional slicing (new[10:]) would append nothing and lose
			// iterations 100 and 200.
			name:  "Ahead/SparseNewStatsNotLost",
			steps: []trainingStep{{0, Iters(0, 10, 1)}, {1, []int{0, 100, 200}}},
			want:  slices.Concat(Entries(0, Iters(0, 10, 1)...), Entries(1, 100, 200)),
		},
		{
			name:  "Ahead/NewWithGapsOverStoredWithGaps",
			steps: []trainingStep{{0, Iters(0, 100, 10)}, {1, Iters(0, 150, 7)}},
			want:  slices.Concat(Entries(0, Iters(0, 100, 10)...), Entries(1, Iters(91, 150, 7)...)),
		},
		{
			name:  "Ahead/ManyAppends",
			steps: []trainingStep{{0, Iters(0, 10, 1)}, {1, Iters(0, 20, 1)}, {2, Iters(15, 30, 1)}, {3, Iters(0, 40, 2)}},
			want:  slices.Concat(Entries(0, Iters(0, 10, 1)...), Entries(1, Iters(10, 20, 1)...), Entries(2, Iters(20, 30, 1)...), Entries(3, Iters(30, 40, 2)...)),
		},
		{
			name:  "Behind/Replaces",
			steps: []trainingStep{{0, Iters(0, 10, 1)}, {1, Iters(0, 5, 1)}},
			want:  Entries(1, Iters(0, 5, 1)...),
		},
		{
			name:  "Behind/ReplacesWithDisjointEarlierStats",
			steps: []trainingStep{{0, Iters(100, 110, 1)}, {1, []int{0, 1, 2}}},
			want:  Entries(1, 0, 1, 2),
		},
		{
			name:  "Behind/ThenAheadAppendsToReplacement",
			steps: []trainingStep{{0, Iters(0, 10, 1)}, {1, Iters(0, 5, 1)}, {2, Iters(0, 8, 1)}},
			want:  slices.Concat(Entries(1, Iters(0, 5, 1)...), Entries(2, 5, 6, 7)),
		},
		{
			name:  "Equal/Replaces",
			steps: []trainingStep{{0, Iters(0, 5, 1)}, {1, Iters(0, 5, 1)}},
			want:  Entries(1, Iters(0, 5, 1)...),
		},
		{
			name:  "Equal/ReplacesWithFewerEntries",
			steps: []trainingStep{{0, []int{0, 2, 4}}, {1, []int{3, 4}}},
			want:  Entries(1, 3, 4),
		},
	}
	var out []test
	for _, c := range cases {
		out = append(out, test{c.name, func(e *env) {
			const run = "run"
			for _, st := range c.steps {
				e.storeTraining(run, TrainingVersion(st.version, st.iters...))
			}
			e.wantTraining(run, c.want)
			var want []statstore.RunInfo
			if len(c.want) > 0 {
				want = []statstore.RunInfo{{Run: run, TrainedUntil: c.want[len(c.want)-1].Iteration + 1, TrainingIterations: len(c.want)}}
			}
			e.wantRuns(want...)
		}})
	}
	out = append(out,
		test{"NewEmpty/UnknownRunStaysUnknown", func(e *env) {
			e.storeTraining("run", &statstore.TrainingStats{})
			e.storeTraining("run", Training())
			e.wantTraining("run", nil)
			e.wantRuns()
		}},
		test{"ReplaceKeepsValidation", func(e *env) {
			// The replace departs at iteration 0: the checkpoint at 0
			// (untrained weights) stands, 10 is superseded but kept.
			meta := Metadata()
			e.storeScores("run", Scores(meta, 0, 10))
			e.storeTraining("run", Training(Iters(0, 5, 1)...))
			e.storeTraining("run", TrainingVersion(1, Iters(0, 3, 1)...))
			e.wantScores("run", meta, slices.Concat(entries(meta, 0, 0), superseded(entries(meta, 0, 10))))
		}},
		test{"SingleEntryAtZero", func(e *env) {
			e.storeTraining("run", Training(0))
			e.wantTraining("run", Entries(0, 0))
			e.storeTraining("run", TrainingVersion(1, 0))
			e.wantTraining("run", Entries(1, 0))
		}},
		test{"LargeIterations", func(e *env) {
			big := []int{1 << 31, 1<<40 + 7, 1 << 52}
			e.storeTraining("run", Training(big...))
			e.wantTraining("run", Entries(0, big...))
			e.wantRuns(statstore.RunInfo{Run: "run", TrainedUntil: 1<<52 + 1, TrainingIterations: 3})
		}},
		test{"LongHistory", func(e *env) {
			// A history longer than any buffer or page a backend is likely
			// to use, stored in a few calls.
			var want []statstore.TrainingIterationStats
			for i := range 4 {
				iters := Iters(0, (i+1)*5000, 1)
				e.storeTraining("run", TrainingVersion(i, iters...))
				want = append(want, Entries(i, iters[i*5000:]...)...)
			}
			e.wantTraining("run", want)
			if t := e.training("run"); len(t) != 20000 {
				e.t.Errorf("entries: got %d, want %d", len(t), 20000)
			}
		}},
	)
	return out
}
