package storetest

import (
	"fmt"
	"slices"

	"github.com/statstore/statstore"
)

// validationStep is one StoreValidationIterationScores call.
type validationStep struct {
	meta    statstore.Metadata
	version int
	iters   []int
}

// entries returns the validation entries of version v at iters.
func entries(meta statstore.Metadata, v int, iters ...int) []statstore.ValidationIterationScores {
	return ScoresVersion(meta, v, iters...).Scores
}

// otherMetadata returns Metadata with its datasets renamed: the same shape,
// a different meaning.
func otherMetadata() statstore.Metadata {
	m := Metadata()
	m.Datasets = []string{"crop_x", "crop_y"}
	return m
}

// validationTests check SPEC §2 "Validation, extend or overwrite".
func validationTests() []test {
	m, m2 := Metadata(), otherMetadata()
	cases := []struct {
		name     string
		steps    []validationStep
		wantMeta statstore.Metadata
		want     []statstore.ValidationIterationScores
	}{
		{
			name:     "First/StoresAll",
			steps:    []validationStep{{m, 0, []int{0, 10, 20}}},
			wantMeta: m, want: entries(m, 0, 0, 10, 20),
		},
		{
			name:     "Append/OnlyFromStoredValidatedUntil",
			steps:    []validationStep{{m, 0, []int{0, 10}}, {m, 1, []int{0, 10, 20, 30}}},
			wantMeta: m, want: slices.Concat(entries(m, 0, 0, 10), entries(m, 1, 20, 30)),
		},
		{
			name:     "Append/Disjoint",
			steps:    []validationStep{{m, 0, []int{0, 10}}, {m, 1, []int{20, 30}}},
			wantMeta: m, want: slices.Concat(entries(m, 0, 0, 10), entries(m, 1, 20, 30)),
		},
		{
			// DaCapo rewrites the file with only the new entries here.
			name:     "Append/StoredEntriesNeverLost",
			steps:    []validationStep{{m, 0, []int{0, 10, 20}}, {m, 1, []int{30}}, {m, 2, []int{40}}},
			wantMeta: m, want: slices.Concat(entries(m, 0, 0, 10, 20), entries(m, 1, 30), entries(m, 2, 40)),
		},
		{
			name:     "Append/SameReachNothingNew",
			steps:    []validationStep{{m, 0, []int{0, 10, 20}}, {m, 1, []int{20}}},
			wantMeta: m, want: entries(m, 0, 0, 10, 20),
		},
		{
			name:     "Append/SameReachAddsLateCheckpoint",
			steps:    []validationStep{{m, 0, []int{0, 20}}, {m, 1, []int{10, 20}}},
			wantMeta: m, want: slices.Concat(entries(m, 0, 0), entries(m, 1, 10), entries(m, 0, 20)),
		},
		{
			name:     "Late/InsertedInOrder",
			steps:    []validationStep{{m, 0, []int{0, 20}}, {m, 1, []int{10, 30}}},
			wantMeta: m, want: slices.Concat(entries(m, 0, 0), entries(m, 1, 10), entries(m, 0, 20), entries(m, 1, 30)),
		},
		{
			name:     "Late/Several",
			steps:    []validationStep{{m, 0, []int{20, 40}}, {m, 1, []int{0, 10, 30, 50}}},
			wantMeta: m, want: slices.Concat(entries(m, 1, 0, 10), entries(m, 0, 20), entries(m, 1, 30),
				entries(m, 0, 40), entries(m, 1, 50)),
		},
		{
			name:     "Late/ThenAppend",
			steps:    []validationStep{{m, 0, []int{0, 20}}, {m, 1, []int{10, 20}}, {m, 2, []int{30}}},
			wantMeta: m, want: slices.Concat(entries(m, 0, 0), entries(m, 1, 10), entries(m, 0, 20), entries(m, 2, 30)),
		},
		{
			name:     "Replace/ExistingReachFurther",
			steps:    []validationStep{{m, 0, []int{0, 10, 20, 30}}, {m, 1, []int{0, 10}}},
			wantMeta: m, want: entries(m, 1, 0, 10),
		},
		{
			name:     "Replace/DisjointEarlier",
			steps:    []validationStep{{m, 0, []int{100, 200}}, {m, 1, []int{5}}},
			wantMeta: m, want: entries(m, 1, 5),
		},
		{
			name:     "Replace/WithOtherMetadata",
			steps:    []validationStep{{m, 0, []int{0, 10, 20}}, {m2, 1, []int{5}}},
			wantMeta: m2, want: entries(m2, 1, 5),
		},
		{
			name:     "Replace/ThenAppend",
			steps:    []validationStep{{m, 0, []int{0, 10, 20}}, {m, 1, []int{0}}, {m, 2, []int{0, 10}}},
			wantMeta: m, want: slices.Concat(entries(m, 1, 0), entries(m, 2, 10)),
		},
		{
			name:     "NewEmpty/NothingHappens",
			steps:    []validationStep{{m, 0, []int{0, 10}}, {m, 1, nil}},
			wantMeta: m, want: entries(m, 0, 0, 10),
		},
		{
			name:     "NewEmpty/OtherMetadataNothingHappens",
			steps:    []validationStep{{m, 0, []int{0, 10}}, {m2, 1, nil}},
			wantMeta: m, want: entries(m, 0, 0, 10),
		},
	}
	var out []test
	for _, c := range cases {
		out = append(out, test{c.name, func(e *env) {
			const run = "run"
			for _, st := range c.steps {
				e.storeScores(run, ScoresVersion(st.meta, st.version, st.iters...))
			}
			e.wantScores(run, c.wantMeta, c.want)
			e.wantRuns(statstore.RunInfo{Run: run, ValidatedUntil: c.want[len(c.want)-1].Iteration + 1, ValidationIterations: len(c.want)})
		}})
	}
	out = append(out, test{"NewEmpty/UnknownRunStaysUnknown", func(e *env) {
		e.storeScores("run", Scores(m))
		e.storeScores("run", &statstore.ValidationScores{})
		e.wantScores("run", statstore.Metadata{}, nil)
		e.wantRuns()
	}})
	out = append(out, mismatchTests()...)
	out = append(out, metadataRoundTripTests()...)
	return out
}

// mismatchTests check that appending scores whose metadata differ from the
// stored metadata fails with ErrMetadataMismatch and writes nothing.
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
		for _, iters := range [][]int{{20, 30}, {10, 20}} {
			name := fmt.Sprintf("MetadataMismatch/%s/Append%v", v.name, iters)
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
				e.wantUnchanged(run, before, "a rejected append")
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
