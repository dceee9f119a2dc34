package storetest

import (
	"fmt"
	"slices"

	"github.com/statstore/statstore"
)

// validationStep is one MergeValidationScores call: the entries in the
// order sent, and, when want is set, the report the call must give.
type validationStep struct {
	meta    statstore.Metadata
	entries []statstore.ValidationIterationScores
	want    *statstore.ValidationMerge
}

// entries returns the validation entries of version v at iters.
func entries(meta statstore.Metadata, v int, iters ...int) []statstore.ValidationIterationScores {
	return ScoresVersion(meta, v, iters...).Scores
}

// step returns a validationStep sending the entries of version v at iters
// (in that order).
func step(meta statstore.Metadata, v int, iters ...int) validationStep {
	return validationStep{meta: meta, entries: entries(meta, v, iters...)}
}

// then returns st sending more entries after its own.
func (st validationStep) then(more ...statstore.ValidationIterationScores) validationStep {
	st.entries = slices.Concat(st.entries, more)
	return st
}

// reports returns st expecting the report (inserted, replaced, unchanged).
func (st validationStep) reports(inserted, replaced, unchanged []int) validationStep {
	st.want = &statstore.ValidationMerge{Inserted: inserted, Replaced: replaced, Unchanged: unchanged}
	return st
}

// otherMetadata returns Metadata with its datasets renamed: the same shape,
// a different meaning.
func otherMetadata() statstore.Metadata {
	m := Metadata()
	m.Datasets = []string{"crop_x", "crop_y"}
	return m
}

// merge sends one validationStep and checks its report.
func (e *env) merge(run string, st validationStep) {
	e.t.Helper()
	scores := &statstore.ValidationScores{Metadata: st.meta, Scores: st.entries}
	got, err := e.s.MergeValidationScores(e.ctx, run, scores)
	e.ok(fmt.Sprintf("MergeValidationScores(%q, %s)", run, fmtScoresArg(scores)), err)
	if st.want != nil && !sameMerge(got, *st.want) {
		e.t.Errorf("MergeValidationScores(%q, %s) reports %+v, want %+v", run, fmtScoresArg(scores), got, *st.want)
	}
}

func sameMerge(a, b statstore.ValidationMerge) bool {
	eq := func(x, y []int) bool { return len(x) == len(y) && (len(x) == 0 || slices.Equal(x, y)) }
	return eq(a.Inserted, b.Inserted) && eq(a.Replaced, b.Replaced) && eq(a.Unchanged, b.Unchanged)
}

// validationTests check SPEC §2 "Validation, merge by iteration".
func validationTests() []test {
	m := Metadata()
	v := func(version int, iters ...int) []statstore.ValidationIterationScores {
		return entries(m, version, iters...)
	}
	none := []int(nil)
	cases := []struct {
		name  string
		steps []validationStep
		want  []statstore.ValidationIterationScores
	}{
		{
			name:  "First/StoresAll",
			steps: []validationStep{step(m, 0, 0, 10, 20).reports([]int{0, 10, 20}, none, none)},
			want:  v(0, 0, 10, 20),
		},
		{
			name:  "First/UnsortedAndRepeatedSortedLastWins",
			steps: []validationStep{step(m, 0, 400, 800, 0).then(v(1, 800)...).reports([]int{0, 400, 800}, none, none)},
			want:  slices.Concat(v(0, 0, 400), v(1, 800)),
		},
		{
			name: "Merge/WholeListAgainAddsOnlyTheNew",
			steps: []validationStep{step(m, 0, 0, 10),
				step(m, 0, 0, 10).then(v(1, 20, 30)...).reports([]int{20, 30}, none, []int{0, 10})},
			want: slices.Concat(v(0, 0, 10), v(1, 20, 30)),
		},
		{
			name:  "Merge/Disjoint",
			steps: []validationStep{step(m, 0, 0, 10), step(m, 1, 20, 30).reports([]int{20, 30}, none, none)},
			want:  slices.Concat(v(0, 0, 10), v(1, 20, 30)),
		},
		{
			// DaCapo rewrites the file with only the new entries here.
			name:  "Merge/StoredEntriesNeverLost",
			steps: []validationStep{step(m, 0, 0, 10, 20), step(m, 1, 30), step(m, 2, 40)},
			want:  slices.Concat(v(0, 0, 10, 20), v(1, 30), v(2, 40)),
		},
		{
			name:  "Merge/EqualEntriesUnchanged",
			steps: []validationStep{step(m, 0, 0, 10, 20), step(m, 0, 20).reports(none, none, []int{20})},
			want:  v(0, 0, 10, 20),
		},
		{
			name: "Merge/StoredReachFurtherKept",
			steps: []validationStep{step(m, 0, 0, 10, 20, 30),
				step(m, 1, 0, 10).reports(none, []int{0, 10}, none)},
			want: slices.Concat(v(1, 0, 10), v(0, 20, 30)),
		},
		{
			name:  "Merge/EarlierDisjointKept",
			steps: []validationStep{step(m, 0, 100, 200), step(m, 1, 5).reports([]int{5}, none, none)},
			want:  slices.Concat(v(1, 5), v(0, 100, 200)),
		},
		{
			name:  "Late/InsertedInOrder",
			steps: []validationStep{step(m, 0, 0, 20), step(m, 1, 10, 30).reports([]int{10, 30}, none, none)},
			want:  slices.Concat(v(0, 0), v(1, 10), v(0, 20), v(1, 30)),
		},
		{
			name:  "Late/Several",
			steps: []validationStep{step(m, 0, 20, 40), step(m, 1, 0, 10, 30, 50)},
			want:  slices.Concat(v(1, 0, 10), v(0, 20), v(1, 30), v(0, 40), v(1, 50)),
		},
		{
			// DaCapo's list after "dacapo validate RUN 0" past 800.
			name: "Late/SentLastUnsorted",
			steps: []validationStep{step(m, 0, 400, 800),
				step(m, 0, 400, 800).then(v(1, 0)...).reports([]int{0}, none, []int{400, 800})},
			want: slices.Concat(v(1, 0), v(0, 400, 800)),
		},
		{
			name:  "Late/ThenMore",
			steps: []validationStep{step(m, 0, 0, 20), step(m, 1, 10, 20), step(m, 2, 30)},
			want:  slices.Concat(v(0, 0), v(1, 10, 20), v(2, 30)),
		},
		{
			// DaCapo's list after "dacapo validate RUN 800" (same scores).
			name: "Repeated/EqualScoresUnchanged",
			steps: []validationStep{step(m, 0, 400, 800, 1200),
				step(m, 0, 400, 800, 1200, 800).reports(none, none, []int{400, 800, 1200})},
			want: v(0, 400, 800, 1200),
		},
		{
			// ... and with other scores: the latest result wins.
			name: "Repeated/OtherScoresLastWins",
			steps: []validationStep{step(m, 0, 400, 800, 1200),
				step(m, 0, 400, 800, 1200).then(v(1, 800)...).reports(none, []int{800}, []int{400, 1200})},
			want: slices.Concat(v(0, 400), v(1, 800), v(0, 1200)),
		},
		{
			name:  "Repeated/WithinOneCallLastWins",
			steps: []validationStep{step(m, 0, 10), step(m, 1, 20).then(v(2, 20)...).then(v(3, 10)...).reports([]int{20}, []int{10}, none)},
			want:  slices.Concat(v(3, 10), v(2, 20)),
		},
		{
			name:  "Revalidated/Alone",
			steps: []validationStep{step(m, 0, 0, 10), step(m, 1, 10).reports(none, []int{10}, none)},
			want:  slices.Concat(v(0, 0), v(1, 10)),
		},
		{
			name:  "Revalidated/ThenMore",
			steps: []validationStep{step(m, 0, 0, 10, 20), step(m, 1, 0), step(m, 2, 0, 10)},
			want:  slices.Concat(v(2, 0, 10), v(0, 20)),
		},
		{
			name:  "NewEmpty/NothingHappens",
			steps: []validationStep{step(m, 0, 0, 10), step(m, 1).reports(none, none, none)},
			want:  v(0, 0, 10),
		},
		{
			name:  "NewEmpty/OtherMetadataNothingHappens",
			steps: []validationStep{step(m, 0, 0, 10), step(otherMetadata(), 1)},
			want:  v(0, 0, 10),
		},
	}
	var out []test
	for _, c := range cases {
		out = append(out, test{c.name, func(e *env) {
			const run = "run"
			for _, st := range c.steps {
				e.merge(run, st)
			}
			e.wantScores(run, m, c.want)
			e.wantRuns(statstore.RunInfo{Run: run, ValidatedUntil: c.want[len(c.want)-1].Iteration + 1, ValidationIterations: len(c.want)})
		}})
	}
	out = append(out, test{"NewEmpty/UnknownRunStaysUnknown", func(e *env) {
		e.storeScores("run", Scores(m))
		e.storeScores("run", &statstore.ValidationScores{})
		e.wantScores("run", statstore.Metadata{}, nil)
		e.wantRuns()
	}})
	out = append(out, test{"StoreValidationIterationScores/Merges", func(e *env) {
		e.storeScores("run", ScoresVersion(m, 0, 400, 800, 1200))
		e.storeScores("run", &statstore.ValidationScores{Metadata: m, Scores: slices.Concat(v(0, 400, 800, 1200), v(1, 800), v(1, 0))})
		e.wantScores("run", m, slices.Concat(v(1, 0), v(0, 400), v(1, 800), v(0, 1200)))
	}})
	out = append(out, deleteAfterTests()...)
	out = append(out, supersededTests()...)
	out = append(out, mismatchTests()...)
	out = append(out, metadataRoundTripTests()...)
	return out
}

// deleteAfterTests check DeleteValidationAfter: the explicit delete of the
// entries from an iteration on.
func deleteAfterTests() []test {
	m := Metadata()
	return []test{
		{"DeleteAfter/KeepsEarlier", func(e *env) {
			e.storeScores("run", Scores(m, 0, 10, 20, 30))
			e.ok("DeleteValidationAfter(run, 20)", e.s.DeleteValidationAfter(e.ctx, "run", 20))
			e.wantScores("run", m, entries(m, 0, 0, 10))
			e.wantRuns(statstore.RunInfo{Run: "run", ValidatedUntil: 11, ValidationIterations: 2})
			// The run keeps working: a merge after the delete.
			e.merge("run", step(m, 1, 20).reports([]int{20}, nil, nil))
			e.wantScores("run", m, slices.Concat(entries(m, 0, 0, 10), entries(m, 1, 20)))
		}},
		{"DeleteAfter/BetweenEntries", func(e *env) {
			e.storeScores("run", Scores(m, 0, 10, 20, 30))
			e.ok("DeleteValidationAfter(run, 15)", e.s.DeleteValidationAfter(e.ctx, "run", 15))
			e.wantScores("run", m, entries(m, 0, 0, 10))
		}},
		{"DeleteAfter/PastTheEndNothing", func(e *env) {
			e.storeScores("run", Scores(m, 0, 10))
			e.ok("DeleteValidationAfter(run, 11)", e.s.DeleteValidationAfter(e.ctx, "run", 11))
			e.wantScores("run", m, entries(m, 0, 0, 10))
		}},
		{"DeleteAfter/EverythingRemovesTheScores", func(e *env) {
			e.storeScores("run", Scores(m, 0, 10))
			e.ok("DeleteValidationAfter(run, 0)", e.s.DeleteValidationAfter(e.ctx, "run", 0))
			e.wantScores("run", statstore.Metadata{}, nil)
			e.wantRuns()
			// New metadata may follow, as for a run never validated.
			other := otherMetadata()
			e.storeScores("run", Scores(other, 5))
			e.wantScores("run", other, entries(other, 0, 5))
		}},
		{"DeleteAfter/EverythingKeepsTraining", func(e *env) {
			e.storeTraining("run", Training(0, 1, 2))
			e.storeScores("run", Scores(m, 0, 2))
			e.ok("DeleteValidationAfter(run, 0)", e.s.DeleteValidationAfter(e.ctx, "run", 0))
			e.wantScores("run", statstore.Metadata{}, nil)
			e.wantTraining("run", Entries(0, 0, 1, 2))
		}},
		{"DeleteAfter/UnknownRunNotAnError", func(e *env) {
			e.ok("DeleteValidationAfter(unknown, 5)", e.s.DeleteValidationAfter(e.ctx, "unknown", 5))
			e.wantRuns()
		}},
		{"DeleteAfter/NegativeIsInvalid", func(e *env) {
			e.storeScores("run", Scores(m, 0, 10))
			before := e.snapshot("run")
			e.wantErr("DeleteValidationAfter(run, -1)", e.s.DeleteValidationAfter(e.ctx, "run", -1), statstore.ErrInvalidArgument)
			e.wantUnchanged("run", before, "a rejected delete")
		}},
	}
}

// superseded returns entries marked superseded.
func superseded(entries []statstore.ValidationIterationScores) []statstore.ValidationIterationScores {
	out := slices.Clone(entries)
	for i := range out {
		out[i].Superseded = true
	}
	return out
}

// resumed returns the training history of version 0 at iters cut at from
// and continued with version 1 from there to until (exclusive), step 1: a
// training resumed from checkpoint from.
func resumed(iters []int, from, until int) *statstore.TrainingStats {
	var kept []int
	for _, it := range iters {
		if it < from {
			kept = append(kept, it)
		}
	}
	return &statstore.TrainingStats{IterationStats: slices.Concat(Entries(0, kept...), Entries(1, Iters(from, until, 1)...))}
}

// supersededTests check SPEC §2 "Validation after a training rewind".
func supersededTests() []test {
	m := Metadata()
	v := func(version int, iters ...int) []statstore.ValidationIterationScores {
		return entries(m, version, iters...)
	}
	hist := Iters(0, 3456, 1)
	return []test{
		{"Superseded/ResumeMarksLaterCheckpoints", func(e *env) {
			e.storeTraining("run", Training(hist...))
			e.storeScores("run", Scores(m, 1000, 2000, 3000))
			e.storeTraining("run", resumed(hist, 2000, 2500))
			e.wantScores("run", m, slices.Concat(v(0, 1000, 2000), superseded(v(0, 3000))))
			e.wantRuns(statstore.RunInfo{Run: "run", TrainedUntil: 2500, TrainingIterations: 2500, ValidatedUntil: 3001, ValidationIterations: 3})
			best := e.validation("run").BestReport()
			if best.Superseded != 1 {
				e.t.Errorf("best report after the rewind: %d superseded entries left out, want 1", best.Superseded)
			}
			for _, b := range best.PerDataset {
				if b.Iteration == 3000 {
					e.t.Errorf("best report after the rewind names the overwritten checkpoint 3000: %+v", b)
				}
			}
		}},
		{"Superseded/ValidatedAgainIsCurrent", func(e *env) {
			e.storeTraining("run", Training(hist...))
			e.storeScores("run", Scores(m, 1000, 2000, 3000))
			e.storeTraining("run", resumed(hist, 2000, 2500))
			e.storeTraining("run", resumed(hist, 2000, 3100))
			e.merge("run", step(m, 0, 1000, 2000).then(v(1, 3000)...).reports(nil, []int{3000}, []int{1000, 2000}))
			e.wantScores("run", m, slices.Concat(v(0, 1000, 2000), v(1, 3000)))
		}},
		{"Superseded/ResentListKeepsTheMark", func(e *env) {
			// DaCapo sends its whole in-memory list, the old 3000
			// included, at every checkpoint after the resume: the same
			// scores are the same validation, still superseded.
			e.storeTraining("run", Training(hist...))
			e.storeScores("run", Scores(m, 1000, 2000, 3000))
			e.storeTraining("run", resumed(hist, 2000, 2600))
			e.merge("run", step(m, 0, 1000, 2000, 3000).then(v(1, 2500)...).reports([]int{2500}, nil, []int{1000, 2000, 3000}))
			e.wantScores("run", m, slices.Concat(v(0, 1000, 2000), v(1, 2500), superseded(v(0, 3000))))
		}},
		{"Superseded/StoredAsSent", func(e *env) {
			// A copy of a store sends the marks it read (statstore.CopyRun):
			// entries are stored with the mark they are sent with.
			sent := &statstore.ValidationScores{Metadata: m, Scores: slices.Concat(v(0, 1000), superseded(v(0, 3000)))}
			e.merge("run", validationStep{meta: m, entries: sent.Scores}.reports([]int{1000, 3000}, nil, nil))
			e.wantScores("run", m, sent.Scores)
			e.merge("run", validationStep{meta: m, entries: superseded(v(0, 5000))}.reports([]int{5000}, nil, nil))
			e.wantScores("run", m, slices.Concat(sent.Scores, superseded(v(0, 5000))))
		}},
		{"Superseded/KeptByOtherMerges", func(e *env) {
			e.storeTraining("run", Training(hist...))
			e.storeScores("run", Scores(m, 1000, 3000))
			e.storeTraining("run", resumed(hist, 2000, 2500))
			e.merge("run", step(m, 1, 2000, 2500).reports([]int{2000, 2500}, nil, nil))
			e.wantScores("run", m, slices.Concat(v(0, 1000), v(1, 2000, 2500), superseded(v(0, 3000))))
		}},
		{"Superseded/IdenticalHistoryMarksNothing", func(e *env) {
			e.storeTraining("run", Training(hist...))
			e.storeScores("run", Scores(m, 1000, 3000))
			e.storeTraining("run", Training(hist...))
			e.wantScores("run", m, v(0, 1000, 3000))
		}},
		{"Superseded/ShorterPrefixMarksAfterItsEnd", func(e *env) {
			e.storeTraining("run", Training(hist...))
			e.storeScores("run", Scores(m, 1000, 2000, 3000))
			e.storeTraining("run", Training(hist[:2001]...))
			e.wantScores("run", m, slices.Concat(v(0, 1000, 2000), superseded(v(0, 3000))))
		}},
		{"Superseded/SecondRewindFurtherBack", func(e *env) {
			e.storeTraining("run", Training(hist...))
			e.storeScores("run", Scores(m, 1000, 2000, 3000))
			e.storeTraining("run", resumed(hist, 2000, 2500))
			e.storeTraining("run", &statstore.TrainingStats{IterationStats: slices.Concat(Entries(0, Iters(0, 500, 1)...), Entries(2, Iters(500, 600, 1)...))})
			e.wantScores("run", m, slices.Concat(superseded(v(0, 1000, 2000, 3000))))
		}},
		{"Superseded/AppendMarksNothing", func(e *env) {
			e.storeTraining("run", Training(hist[:2000]...))
			e.storeScores("run", Scores(m, 1000))
			e.storeTraining("run", Training(hist...))
			e.wantScores("run", m, v(0, 1000))
		}},
		{"Superseded/NoValidationNothingToMark", func(e *env) {
			e.storeTraining("run", Training(hist...))
			e.storeTraining("run", resumed(hist, 2000, 2500))
			e.wantScores("run", statstore.Metadata{}, nil)
			e.wantRuns(statstore.RunInfo{Run: "run", TrainedUntil: 2500, TrainingIterations: 2500})
		}},
	}
}

// mismatchTests check that merging scores whose metadata differ from the
// stored metadata fails with ErrMetadataMismatch and writes nothing,
// whatever iterations they hold.
func mismatchTests() []test {
	variants := []struct {
		name   string
		change func(m *statstore.Metadata)
	}{
		{"DatasetRenamed", func(m *statstore.Metadata) { m.Datasets = []string{"crop_a", "crop_c"} }},
		{"DatasetAdded", func(m *statstore.Metadata) { m.Datasets = append(m.Datasets, "crop_c") }},
		{"DatasetsReordered", func(m *statstore.Metadata) { m.Datasets = []string{"crop_b", "crop_a"} }},
		{"ParameterValueChanged", func(m *statstore.Metadata) { m.Parameters = statstore.ThresholdParameters(0.3, 0.5, 0.9) }},
		{"ParametersReordered", func(m *statstore.Metadata) { m.Parameters = statstore.ThresholdParameters(0.5, 0.3, 0.7) }},
		{"ParameterRemoved", func(m *statstore.Metadata) { m.Parameters = statstore.ThresholdParameters(0.3, 0.5) }},
		{"ParameterIDChanged", func(m *statstore.Metadata) { m.Parameters[2].ID = 7 }},
		{"CriteriaOtherPreset", func(m *statstore.Metadata) { m.EvaluationScores = statstore.GenericCriteria(3) }},
		{"CriterionDirectionFlipped", func(m *statstore.Metadata) {
			m.EvaluationScores[0].HigherIsBetter = !m.EvaluationScores[0].HigherIsBetter
		}},
		{"CriterionBoundsChanged", func(m *statstore.Metadata) {
			m.EvaluationScores[1].Bounds = statstore.Bounds{Lower: statstore.Bound(-1), Upper: statstore.Bound(1)}
		}},
	}
	var out []test
	for _, v := range variants {
		for _, iters := range [][]int{{20, 30}, {10, 20}, {0}, {5}} {
			name := fmt.Sprintf("MetadataMismatch/%s/Merge%v", v.name, iters)
			out = append(out, test{name, func(e *env) {
				const run = "run"
				meta := Metadata()
				e.storeScores(run, Scores(meta, 0, 20))
				e.storeTraining(run, Training(0, 1, 2))
				before := e.snapshot(run)
				other := Metadata()
				v.change(&other)
				if other.Equal(meta) {
					e.t.Fatalf("test bug: changed metadata %s equals %s", fmtMeta(other), fmtMeta(meta))
				}
				err := e.s.StoreValidationIterationScores(e.ctx, run, ScoresVersion(other, 1, iters...))
				e.wantErr("StoreValidationIterationScores with other metadata", err, statstore.ErrMetadataMismatch)
				e.wantUnchanged(run, before, "a rejected merge")
			}})
		}
	}
	return out
}

// metadataRoundTripTests check that every kind of metadata comes back as it
// was stored.
func metadataRoundTripTests() []test {
	multi, multiErr := statstore.MultiChannelBinarySegmentationCriteria("mito", "er")
	list := []statstore.ParameterSet{
		{ID: 0, Values: statstore.ParameterValues{{Name: "bias", Value: 0.5}, {Name: "context", Value: []any{int64(32), int64(32), int64(32)}}}},
		{ID: 1, Values: statstore.ParameterValues{{Name: "bias", Value: 0.75}, {Name: "context", Value: []any{int64(16), int64(16), int64(16)}}}},
	}
	metas := []struct {
		name string
		meta statstore.Metadata
	}{
		{"Default", Metadata()},
		{"BinarySegmentation", statstore.Metadata{Datasets: []string{"d"}, Parameters: statstore.ThresholdParameters(0.5), EvaluationScores: statstore.BinarySegmentationCriteria()}},
		{"MultiChannel", statstore.Metadata{Datasets: []string{"d1", "d2", "d3"}, Parameters: statstore.ThresholdParameters(0.1, 0.9), EvaluationScores: multi}},
		{"Dummy", statstore.Metadata{Datasets: []string{"d"}, Parameters: statstore.GenericParameters(1), EvaluationScores: statstore.DummyCriteria()}},
		{"Generic", statstore.GenericMetadata(4, 5, 6)},
		{"ListValuedParameters", statstore.Metadata{Datasets: []string{"jrc_mus-liver", "jrc_hela-2 ✓"}, Parameters: list, EvaluationScores: statstore.InstanceCriteria()}},
		{"Bounds", statstore.Metadata{Datasets: []string{"d"}, Parameters: statstore.GenericParameters(1), EvaluationScores: []statstore.Criterion{
			{Name: "open", HigherIsBetter: true},
			{Name: "closed", Bounds: statstore.Bounds{Lower: statstore.Bound(0), Upper: statstore.Bound(1)}, StoreBest: true},
			{Name: "lower", Bounds: statstore.Bounds{Lower: statstore.Bound(-2.5)}},
			{Name: "upper", HigherIsBetter: true, Bounds: statstore.Bounds{Upper: statstore.Bound(1e300)}},
		}}},
	}
	var out []test
	for _, mc := range metas {
		out = append(out, test{"Metadata/" + mc.name, func(e *env) {
			if multiErr != nil && mc.name == "MultiChannel" {
				e.t.Fatalf("MultiChannelBinarySegmentationCriteria: got error %v, want nil", multiErr)
			}
			if err := mc.meta.Validate(); err != nil {
				e.t.Fatalf("test bug: metadata %s: %v", mc.name, err)
			}
			e.storeScores("run", Scores(mc.meta, 0, 5))
			e.wantScores("run", mc.meta, entries(mc.meta, 0, 0, 5))
			got := e.validation("run").Metadata
			if g, w := got.ParameterDisplayNames(), mc.meta.ParameterDisplayNames(); !slices.Equal(g, w) {
				e.t.Errorf("parameter display names: got %q, want %q", g, w)
			}
			if g, w := got.ParameterNames(), mc.meta.ParameterNames(); !slices.Equal(g, w) {
				e.t.Errorf("parameter names: got %q, want %q", g, w)
			}
			// The metadata must stay usable for an append.
			e.storeScores("run", Scores(mc.meta, 0, 5, 10))
			e.wantScores("run", mc.meta, entries(mc.meta, 0, 0, 5, 10))
		}})
	}
	return out
}
