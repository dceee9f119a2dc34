package statstore_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

func TestValidationScoresAddIterationScores(t *testing.T) {
	tests := []struct {
		name      string
		have      []int
		add       statstore.ValidationIterationScores
		wantErr   error
		wantInMsg string
		want      []int
	}{
		{name: "into empty", add: entry(1000, 0.5), want: []int{1000}},
		{name: "after the last", have: []int{0, 1000}, add: entry(2000, 0.5), want: []int{0, 1000, 2000}},
		{name: "late checkpoint in the middle", have: []int{0, 1000, 3000}, add: entry(2000, 0.5), want: []int{0, 1000, 2000, 3000}},
		{name: "late checkpoint first", have: []int{1000, 2000}, add: entry(0, 0.5), want: []int{0, 1000, 2000}},
		{name: "NaN scores are legal", have: []int{0}, add: entry(1000, math.NaN()), want: []int{0, 1000}},
		{name: "re-validated: the latest wins", have: []int{0, 1000}, add: entry(1000, 0.9), want: []int{0, 1000}},
		{name: "negative iteration", have: []int{0}, add: entry(-1, 0.5), wantErr: statstore.ErrInvalidArgument,
			wantInMsg: "-1", want: []int{0}},
		{name: "too few datasets", have: []int{0},
			add:     statstore.ValidationIterationScores{Iteration: 10, Scores: filled(1, 3, 3, func(int, int, int) float64 { return 0 })},
			wantErr: statstore.ErrShapeMismatch, wantInMsg: "shape 1×3×3, want 2×3×3", want: []int{0}},
		{name: "too many parameter sets", have: []int{0},
			add:     statstore.ValidationIterationScores{Iteration: 10, Scores: filled(2, 4, 3, func(int, int, int) float64 { return 0 })},
			wantErr: statstore.ErrShapeMismatch, wantInMsg: "shape 2×4×3", want: []int{0}},
		{name: "too few criteria", have: []int{0},
			add:     statstore.ValidationIterationScores{Iteration: 10, Scores: filled(2, 3, 2, func(int, int, int) float64 { return 0 })},
			wantErr: statstore.ErrShapeMismatch, wantInMsg: "shape 2×3×2", want: []int{0}},
		{name: "no scores", have: []int{0}, add: statstore.ValidationIterationScores{Iteration: 10},
			wantErr: statstore.ErrShapeMismatch, wantInMsg: "shape 0×0×0", want: []int{0}},
		{name: "ragged criteria", have: []int{0},
			add:     statstore.ValidationIterationScores{Iteration: 10, Scores: [][][]float64{{{1, 2, 3}, {1, 2, 3}, {1, 2}}, {{1, 2, 3}, {1, 2, 3}, {1, 2, 3}}}},
			wantErr: statstore.ErrShapeMismatch, wantInMsg: "ragged", want: []int{0}},
		{name: "ragged parameters", have: []int{0},
			add:     statstore.ValidationIterationScores{Iteration: 10, Scores: [][][]float64{{{1, 2, 3}, {1, 2, 3}, {1, 2, 3}}, {{1, 2, 3}, {1, 2, 3}}}},
			wantErr: statstore.ErrShapeMismatch, wantInMsg: "ragged", want: []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := validationScores(t)
			for _, it := range tt.have {
				if err := v.AddIterationScores(entry(it, float64(it))); err != nil {
					t.Fatalf("AddIterationScores(%d): %v", it, err)
				}
			}
			err := v.AddIterationScores(tt.add)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("AddIterationScores(%d) = %v, want %v", tt.add.Iteration, err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), tt.wantInMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantInMsg)
			}
			if got := validationIterations(v.Scores); !equalInts(got, tt.want) {
				t.Errorf("iterations = %v, want %v", got, tt.want)
			}
			for _, s := range v.Scores {
				want := entry(s.Iteration, float64(s.Iteration))
				if s.Iteration == tt.add.Iteration && err == nil {
					want = tt.add
				}
				if !s.Equal(want) {
					t.Errorf("entry %d = %v, want %v", s.Iteration, s.Scores, want.Scores)
				}
			}
			if err := v.Validate(); err != nil {
				t.Errorf("Validate after AddIterationScores: %v", err)
			}
		})
	}
}

// Metadata with an empty axis cannot describe the length of the axes inside
// it; such scores are still checked on the axes they show.
func TestValidationScoresEmptyAxes(t *testing.T) {
	tests := []struct {
		name    string
		meta    statstore.Metadata
		scores  [][][]float64
		wantErr bool
	}{
		{name: "no parameter sets", meta: statstore.Metadata{Datasets: []string{"a", "b"}, EvaluationScores: statstore.GenericCriteria(3)},
			scores: [][][]float64{{}, {}}},
		{name: "no parameter sets, wrong dataset count", meta: statstore.Metadata{Datasets: []string{"a", "b"}, EvaluationScores: statstore.GenericCriteria(3)},
			scores: [][][]float64{{}}, wantErr: true},
		{name: "no datasets", meta: statstore.Metadata{Parameters: statstore.GenericParameters(2), EvaluationScores: statstore.GenericCriteria(3)},
			scores: [][][]float64{}},
		{name: "no criteria", meta: statstore.GenericMetadata(1, 2, 0), scores: [][][]float64{{{}, {}}}},
		{name: "no criteria, wrong parameter count", meta: statstore.GenericMetadata(1, 2, 0), scores: [][][]float64{{{}}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := statstore.NewValidationScores(tt.meta)
			if err != nil {
				t.Fatalf("NewValidationScores: %v", err)
			}
			err = v.AddIterationScores(statstore.ValidationIterationScores{Iteration: 1, Scores: tt.scores})
			if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, statstore.ErrShapeMismatch)) {
				t.Errorf("AddIterationScores = %v, want error %v (ErrShapeMismatch)", err, tt.wantErr)
			}
		})
	}
}

func TestValidationScoresValidate(t *testing.T) {
	tests := []struct {
		name    string
		scores  []statstore.ValidationIterationScores
		wantErr error
	}{
		{name: "sorted", scores: []statstore.ValidationIterationScores{entry(0, 1), entry(5, 1)}},
		{name: "unsorted", scores: []statstore.ValidationIterationScores{entry(5, 1), entry(0, 1)}, wantErr: statstore.ErrOutOfOrder},
		{name: "duplicate", scores: []statstore.ValidationIterationScores{entry(5, 1), entry(5, 2)}, wantErr: statstore.ErrDuplicateIteration},
		{name: "negative", scores: []statstore.ValidationIterationScores{entry(-5, 1)}, wantErr: statstore.ErrInvalidArgument},
		{name: "wrong shape", scores: []statstore.ValidationIterationScores{{Iteration: 1, Scores: filled(2, 3, 1, func(int, int, int) float64 { return 0 })}},
			wantErr: statstore.ErrShapeMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &statstore.ValidationScores{Metadata: testMetadata(), Scores: tt.scores}
			err := v.Validate()
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("Validate() = %v, want %v", err, tt.wantErr)
			}
		})
	}
	t.Run("invalid metadata", func(t *testing.T) {
		meta := testMetadata()
		meta.Datasets = []string{"a", "a"}
		if _, err := statstore.NewValidationScores(meta); !errors.Is(err, statstore.ErrInvalidArgument) {
			t.Errorf("NewValidationScores with a repeated dataset = %v, want ErrInvalidArgument", err)
		}
	})
}

func TestValidationScoresSubscores(t *testing.T) {
	v := validationScores(t, entry(0, 0.1), entry(1000, 0.2), entry(2000, 0.3))
	tests := []struct {
		name    string
		entries []statstore.ValidationIterationScores
		want    []int
		wantErr error
	}{
		{name: "none", want: []int{}},
		{name: "first", entries: v.Scores[:1], want: []int{0}},
		{name: "all", entries: v.Scores, want: []int{0, 1000, 2000}},
		{name: "any order", entries: []statstore.ValidationIterationScores{v.Scores[2], v.Scores[0]}, want: []int{0, 2000}},
		{name: "equal copy of an entry", entries: []statstore.ValidationIterationScores{entry(1000, 0.2)}, want: []int{1000}},
		{name: "foreign iteration", entries: []statstore.ValidationIterationScores{entry(500, 0.2)}, wantErr: statstore.ErrNotFound},
		{name: "iteration past the end", entries: []statstore.ValidationIterationScores{entry(5000, 0.2)}, wantErr: statstore.ErrNotFound},
		{name: "same iteration, other scores", entries: []statstore.ValidationIterationScores{entry(1000, 0.9)}, wantErr: statstore.ErrNotFound},
		{name: "repeated entry", entries: []statstore.ValidationIterationScores{v.Scores[1], v.Scores[1]}, want: []int{1000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub, err := v.Subscores(tt.entries)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Subscores = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if got := validationIterations(sub.Scores); !equalInts(got, tt.want) {
				t.Errorf("iterations = %v, want %v", got, tt.want)
			}
			if !sub.Metadata.Equal(v.Metadata) {
				t.Errorf("metadata = %+v, want %+v", sub.Metadata, v.Metadata)
			}
		})
	}
	if got := validationIterations(v.Scores); !equalInts(got, []int{0, 1000, 2000}) {
		t.Errorf("Subscores changed the receiver: iterations %v", got)
	}
}

func TestValidationScoresDeleteAfter(t *testing.T) {
	tests := []struct {
		name  string
		after int
		want  []int
	}{
		{name: "keeps iterations below n", after: 2000, want: []int{0, 1000}},
		{name: "n between entries", after: 1, want: []int{0}},
		{name: "zero deletes all", after: 0, want: []int{}},
		{name: "n past the end", after: 5000, want: []int{0, 1000, 2000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := validationScores(t, entry(0, 0.1), entry(1000, 0.2), entry(2000, 0.3))
			v.DeleteAfter(tt.after)
			if got := validationIterations(v.Scores); !equalInts(got, tt.want) {
				t.Errorf("DeleteAfter(%d) left %v, want %v", tt.after, got, tt.want)
			}
		})
	}
}

func TestValidationScoresValidatedUntil(t *testing.T) {
	tests := []struct {
		name string
		have []int
		want int
	}{
		{name: "empty", want: 0},
		{name: "untrained weights only", have: []int{0}, want: 1},
		{name: "several", have: []int{0, 1000, 2000}, want: 2001},
		{name: "late checkpoint does not move it", have: []int{2000, 500}, want: 2001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := validationScores(t)
			for _, it := range tt.have {
				if err := v.AddIterationScores(entry(it, 1)); err != nil {
					t.Fatal(err)
				}
			}
			if got := v.ValidatedUntil(); got != tt.want {
				t.Errorf("ValidatedUntil() = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestValidationScoresCompare(t *testing.T) {
	ours := validationScores(t, entry(0, 1), entry(1000, 1), entry(2000, 1)) // validated until 2001
	tests := []struct {
		name        string
		existing    []statstore.ValidationIterationScores
		wantReplace bool
		wantFrom    int
	}{
		{name: "no existing scores", wantReplace: false, wantFrom: 0},
		{name: "empty non-nil existing", existing: []statstore.ValidationIterationScores{}, wantReplace: false, wantFrom: 0},
		{name: "existing reach further", existing: []statstore.ValidationIterationScores{entry(0, 1), entry(3000, 1)}, wantReplace: true, wantFrom: 0},
		{name: "existing behind", existing: []statstore.ValidationIterationScores{entry(0, 1), entry(1000, 1)}, wantReplace: false, wantFrom: 1001},
		{name: "existing equal", existing: []statstore.ValidationIterationScores{entry(2000, 1)}, wantReplace: false, wantFrom: 2001},
		{name: "existing unsorted", existing: []statstore.ValidationIterationScores{entry(3000, 1), entry(0, 1)}, wantReplace: true, wantFrom: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			replace, from := ours.Compare(tt.existing)
			if replace != tt.wantReplace || from != tt.wantFrom {
				t.Errorf("Compare = (%v, %d), want (%v, %d)", replace, from, tt.wantReplace, tt.wantFrom)
			}
		})
	}
	t.Run("empty receiver against existing", func(t *testing.T) {
		empty := validationScores(t)
		if replace, from := empty.Compare([]statstore.ValidationIterationScores{entry(0, 1)}); !replace || from != 0 {
			t.Errorf("Compare = (%v, %d), want (true, 0)", replace, from)
		}
	})
}

func TestMetadataParameterNames(t *testing.T) {
	tests := []struct {
		name   string
		params []statstore.ParameterSet
		want   []string
	}{
		{name: "thresholds", params: statstore.ThresholdParameters(0.3, 0.5), want: []string{"threshold"}},
		{name: "several values in order", params: []statstore.ParameterSet{{ID: 0, Values: statstore.ParameterValues{
			{Name: "bias", Value: 0.5}, {Name: "context", Value: []any{int64(32), int64(32)}}}}}, want: []string{"bias", "context"}},
		{name: "no values", params: statstore.GenericParameters(3), want: []string{"id"}},
		{name: "no parameter sets", want: []string{"id"}},
		{name: "first set without values", params: []statstore.ParameterSet{{ID: 0}, {ID: 1, Values: statstore.ParameterValues{{Name: "t", Value: 1.0}}}},
			want: []string{"t"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := statstore.Metadata{Parameters: tt.params}.ParameterNames()
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("ParameterNames() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMetadataCriteria(t *testing.T) {
	meta := testMetadata()
	if got, want := strings.Join(meta.Criteria(), ","), "dice,voi,loss"; got != want {
		t.Errorf("Criteria() = %s, want %s", got, want)
	}
	tests := []struct {
		name       string
		lookup     string
		wantFound  bool
		wantHigher bool
	}{
		{name: "higher is better", lookup: "dice", wantFound: true, wantHigher: true},
		{name: "lower is better", lookup: "voi", wantFound: true},
		{name: "unknown", lookup: "f1_score"},
		{name: "case-sensitive", lookup: "Dice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := meta.Criterion(tt.lookup)
			if ok != tt.wantFound || c.HigherIsBetter != tt.wantHigher || (ok && c.Name != tt.lookup) {
				t.Errorf("Criterion(%q) = %+v, %v; want found %v, higher %v", tt.lookup, c, ok, tt.wantFound, tt.wantHigher)
			}
		})
	}
}

func TestValidationScoresToLabeled(t *testing.T) {
	v := validationScores(t,
		statstore.ValidationIterationScores{Iteration: 0, Scores: filled(2, 3, 3, func(d, p, c int) float64 { return float64(100*d + 10*p + c) })},
		statstore.ValidationIterationScores{Iteration: 1000, Scores: filled(2, 3, 3, func(d, p, c int) float64 { return float64(1000 + 100*d + 10*p + c) })},
	)
	a, err := v.ToLabeled()
	if err != nil {
		t.Fatalf("ToLabeled: %v", err)
	}
	wantDims := []string{statstore.DimIterations, statstore.DimDatasets, statstore.DimParameters, statstore.DimCriteria}
	if got := strings.Join(a.Dims(), ","); got != strings.Join(wantDims, ",") {
		t.Fatalf("dims = %s, want %v", got, wantDims)
	}
	wantCoords := map[string][]any{
		statstore.DimIterations: {0, 1000},
		statstore.DimDatasets:   {"crop_a", "crop_b"},
		statstore.DimParameters: {"threshold_0.3", "threshold_0.5", "threshold_0.7"},
		statstore.DimCriteria:   {"dice", "voi", "loss"},
	}
	for dim, want := range wantCoords {
		got, _ := a.Coords(dim)
		if len(got) != len(want) {
			t.Errorf("%s coordinates = %v, want %v", dim, got, want)
			continue
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s coordinate %d = %v, want %v", dim, i, got[i], want[i])
			}
		}
	}
	for i, s := range v.Scores {
		for d := range 2 {
			for p := range 3 {
				for c := range 3 {
					if got := a.At(i, d, p, c); got != s.Scores[d][p][c] {
						t.Errorf("At(%d,%d,%d,%d) = %v, want %v", i, d, p, c, got, s.Scores[d][p][c])
					}
				}
			}
		}
	}
	t.Run("no scores", func(t *testing.T) {
		a, err := validationScores(t).ToLabeled()
		if err != nil {
			t.Fatalf("ToLabeled: %v", err)
		}
		if got := a.Shape(); got[0] != 0 || got[1] != 2 || got[2] != 3 || got[3] != 3 {
			t.Errorf("shape = %v, want [0 2 3 3]", got)
		}
	})
	t.Run("invalid scores", func(t *testing.T) {
		bad := &statstore.ValidationScores{Metadata: testMetadata(), Scores: []statstore.ValidationIterationScores{entry(5, 1), entry(5, 1)}}
		if _, err := bad.ToLabeled(); !errors.Is(err, statstore.ErrDuplicateIteration) {
			t.Errorf("ToLabeled of duplicate iterations = %v, want ErrDuplicateIteration", err)
		}
	})
}

func TestValidationIterationScoresShapeAndEqual(t *testing.T) {
	tests := []struct {
		name      string
		scores    [][][]float64
		wantShape [3]int
		wantOK    bool
	}{
		{name: "empty", wantShape: [3]int{0, 0, 0}, wantOK: true},
		{name: "regular", scores: filled(2, 3, 4, func(int, int, int) float64 { return 0 }), wantShape: [3]int{2, 3, 4}, wantOK: true},
		{name: "ragged first dataset", scores: [][][]float64{{{1}, {1, 2}}}, wantOK: false},
		{name: "empty parameter sets", scores: [][][]float64{{}, {}}, wantShape: [3]int{2, 0, 0}, wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := statstore.ValidationIterationScores{Scores: tt.scores}.Shape()
			if ok != tt.wantOK || (ok && got != tt.wantShape) {
				t.Errorf("Shape() = %v, %v; want %v, %v", got, ok, tt.wantShape, tt.wantOK)
			}
		})
	}
	nan := entry(1, math.NaN())
	equalTests := []struct {
		name string
		a, b statstore.ValidationIterationScores
		want bool
	}{
		{name: "same", a: entry(1, 0.5), b: entry(1, 0.5), want: true},
		{name: "NaN equals NaN", a: nan, b: entry(1, math.NaN()), want: true},
		{name: "other iteration", a: entry(1, 0.5), b: entry(2, 0.5)},
		{name: "other value", a: entry(1, 0.5), b: entry(1, 0.6)},
		{name: "other shape", a: entry(1, 0.5), b: statstore.ValidationIterationScores{Iteration: 1, Scores: filled(2, 3, 2, func(int, int, int) float64 { return 0.5 })}},
	}
	for _, tt := range equalTests {
		t.Run("Equal/"+tt.name, func(t *testing.T) {
			if got := tt.a.Equal(tt.b); got != tt.want {
				t.Errorf("Equal = %v, want %v", got, tt.want)
			}
		})
	}
}
