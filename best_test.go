package statstore_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/labeled"
)

// directionScores returns testMetadata scores at iterations 0, 1000 and
// 2000 where dice (higher is better) and voi (lower is better) grow and
// shrink together: dice is best at 1000, voi at 0, loss at 1000. Using
// dice's direction for every criterion (DaCapo's bug) would pick 1000 for voi.
func directionScores(tb testing.TB) *statstore.ValidationScores {
	tb.Helper()
	base := map[string][]float64{
		"dice": {0.1, 0.5, 0.3},
		"voi":  {0.1, 0.5, 0.3},
		"loss": {0.5, 0.1, 0.3},
	}
	names := testMetadata().Criteria()
	var entries []statstore.ValidationIterationScores
	for i, it := range []int{0, 1000, 2000} {
		entries = append(entries, statstore.ValidationIterationScores{Iteration: it, Scores: filled(2, 3, 3, func(d, p, c int) float64 {
			return base[names[c]][i] + 0.01*float64(d) + 0.001*float64(p)
		})})
	}
	return validationScores(tb, entries...)
}

// labelAt returns the label of l at idx, or "<missing>".
func labelAt(l *labeled.Labels, idx ...int) any {
	v, ok := l.At(idx...)
	if !ok {
		return "<missing>"
	}
	return v
}

func TestGetBestUsesEachCriterionsDirection(t *testing.T) {
	v := directionScores(t)
	data, err := v.ToLabeled()
	if err != nil {
		t.Fatal(err)
	}
	labels, values, err := v.GetBest(data, statstore.DimIterations)
	if err != nil {
		t.Fatalf("GetBest: %v", err)
	}
	wantDims := "datasets,parameters,criteria"
	if got := strings.Join(labels.Dims(), ","); got != wantDims {
		t.Errorf("label dims = %s, want %s", got, wantDims)
	}
	if got := strings.Join(values.Dims(), ","); got != wantDims {
		t.Errorf("value dims = %s, want %s", got, wantDims)
	}
	tests := []struct {
		criterion int
		name      string
		wantIter  int
		wantBase  float64
	}{
		{criterion: 0, name: "dice, higher is better", wantIter: 1000, wantBase: 0.5},
		{criterion: 1, name: "voi, lower is better", wantIter: 0, wantBase: 0.1},
		{criterion: 2, name: "loss, lower is better", wantIter: 1000, wantBase: 0.1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for d := range 2 {
				for p := range 3 {
					if got := labelAt(labels, d, p, tt.criterion); got != tt.wantIter {
						t.Errorf("dataset %d parameters %d: best iteration %v, want %d", d, p, got, tt.wantIter)
					}
					want := tt.wantBase + 0.01*float64(d) + 0.001*float64(p)
					if got := values.At(d, p, tt.criterion); got != want {
						t.Errorf("dataset %d parameters %d: best value %v, want %v", d, p, got, want)
					}
				}
			}
		})
	}
}

func TestGetBestOnSelections(t *testing.T) {
	v := directionScores(t)
	full, err := v.ToLabeled()
	if err != nil {
		t.Fatal(err)
	}
	sel := func(a *labeled.Array, dim string, label any) *labeled.Array {
		t.Helper()
		out, err := a.Sel(dim, label)
		if err != nil {
			t.Fatalf("Sel(%s=%v): %v", dim, label, err)
		}
		return out
	}
	tests := []struct {
		name       string
		data       *labeled.Array
		dim        string
		wantDims   string
		wantLabels []any
		wantValues []float64
	}{
		{
			name: "one dataset along iterations", data: sel(full, statstore.DimDatasets, "crop_b"), dim: statstore.DimIterations,
			wantDims:   "parameters,criteria",
			wantLabels: []any{1000, 0, 1000, 1000, 0, 1000, 1000, 0, 1000},
			wantValues: []float64{0.51, 0.11, 0.11, 0.511, 0.111, 0.111, 0.512, 0.112, 0.112},
		},
		{
			name: "one criterion (scalar coordinate) along iterations", data: sel(full, statstore.DimCriteria, "voi"), dim: statstore.DimIterations,
			wantDims:   "datasets,parameters",
			wantLabels: []any{0, 0, 0, 0, 0, 0},
			wantValues: []float64{0.1, 0.101, 0.102, 0.11, 0.111, 0.112},
		},
		{
			name: "one dataset and criterion along iterations", data: sel(sel(full, statstore.DimDatasets, "crop_a"), statstore.DimCriteria, "dice"),
			dim: statstore.DimIterations, wantDims: "parameters",
			wantLabels: []any{1000, 1000, 1000},
			wantValues: []float64{0.5, 0.501, 0.502},
		},
		{
			name: "one checkpoint along parameters", data: sel(full, statstore.DimIterations, 2000), dim: statstore.DimParameters,
			wantDims:   "datasets,criteria",
			wantLabels: []any{"threshold_0.7", "threshold_0.3", "threshold_0.3", "threshold_0.7", "threshold_0.3", "threshold_0.3"},
			wantValues: []float64{0.302, 0.3, 0.3, 0.312, 0.31, 0.31},
		},
		{
			name: "full array along parameters", data: full, dim: statstore.DimParameters,
			wantDims: "iterations,datasets,criteria",
		},
		{
			name: "along datasets", data: sel(sel(full, statstore.DimIterations, 0), statstore.DimParameters, "threshold_0.5"), dim: statstore.DimDatasets,
			wantDims:   "criteria",
			wantLabels: []any{"crop_b", "crop_a", "crop_a"},
			wantValues: []float64{0.111, 0.101, 0.501},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			labels, values, err := v.GetBest(tt.data, tt.dim)
			if err != nil {
				t.Fatalf("GetBest: %v", err)
			}
			if got := strings.Join(values.Dims(), ","); got != tt.wantDims {
				t.Errorf("dims = %s, want %s", got, tt.wantDims)
			}
			if got := strings.Join(labels.Dims(), ","); got != tt.wantDims {
				t.Errorf("label dims = %s, want %s", got, tt.wantDims)
			}
			if tt.wantLabels != nil {
				got := labels.Values()
				if len(got) != len(tt.wantLabels) {
					t.Fatalf("labels = %v, want %v", got, tt.wantLabels)
				}
				for i := range got {
					if got[i] != tt.wantLabels[i] {
						t.Errorf("label %d = %v, want %v", i, got[i], tt.wantLabels[i])
					}
				}
			}
			if tt.wantValues != nil {
				got := values.Values()
				if len(got) != len(tt.wantValues) {
					t.Fatalf("values = %v, want %v", got, tt.wantValues)
				}
				for i := range got {
					if math.Abs(got[i]-tt.wantValues[i]) > 1e-12 {
						t.Errorf("value %d = %v, want %v", i, got[i], tt.wantValues[i])
					}
				}
			}
			checkAgainstReference(t, v, tt.data, tt.dim, labels, values)
		})
	}
}

// checkAgainstReference recomputes GetBest's answer for every position of
// the result with a plain loop over the reduced dimension.
func checkAgainstReference(t *testing.T, v *statstore.ValidationScores, data *labeled.Array, dim string, labels *labeled.Labels, values *labeled.Array) {
	t.Helper()
	dims := data.Dims()
	shape := data.Shape()
	k := -1
	for i, d := range dims {
		if d == dim {
			k = i
		}
	}
	coords, _ := data.Coords(dim)
	scalar, isScalar := data.Scalar(statstore.DimCriteria)
	outShape := values.Shape()
	outDims := values.Dims()
	idx := make([]int, len(outShape))
	for n := range values.Len() {
		rem := n
		for i := len(outShape) - 1; i >= 0; i-- {
			idx[i] = rem % outShape[i]
			rem /= outShape[i]
		}
		// The criterion of this output position.
		name := scalar
		if !isScalar {
			cs, _ := values.Coords(statstore.DimCriteria)
			for i, d := range outDims {
				if d == statstore.DimCriteria {
					name = cs[idx[i]]
				}
			}
		}
		c, ok := v.Criterion(name.(string))
		if !ok {
			t.Fatalf("no criterion %v", name)
		}
		// The input index: the output dims in order with dim inserted at k.
		in := make([]int, 0, len(dims))
		in = append(in, idx[:k]...)
		in = append(in, 0)
		in = append(in, idx[k:]...)
		best, bestAt := math.NaN(), -1
		for j := range shape[k] {
			in[k] = j
			if x := data.At(in...); c.Better(x, best) {
				best, bestAt = x, j
			}
		}
		got, found := labels.At(idx...)
		if bestAt < 0 {
			if found || !math.IsNaN(values.At(idx...)) {
				t.Errorf("position %v: got %v (found %v) = %v, want missing and NaN", idx, got, found, values.At(idx...))
			}
			continue
		}
		if !found || got != coords[bestAt] || values.At(idx...) != best {
			t.Errorf("position %v (%s): got %v = %v, want %v = %v", idx, c.Name, got, values.At(idx...), coords[bestAt], best)
		}
	}
}

func TestGetBestSkipsNaN(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name      string
		dice, voi []float64 // per iteration 0, 1000, 2000
		wantDice  any
		wantVoi   any
	}{
		{name: "NaN at the best position is skipped", dice: []float64{0.2, nan, 0.1}, voi: []float64{nan, 0.5, 0.4}, wantDice: 0, wantVoi: 2000},
		{name: "all NaN gives a missing label", dice: []float64{nan, nan, nan}, voi: []float64{0.3, nan, nan}, wantDice: "<missing>", wantVoi: 0},
		{name: "infinities are ordinary values", dice: []float64{math.Inf(1), 1, nan}, voi: []float64{0, math.Inf(-1), 1}, wantDice: 0, wantVoi: 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			meta := statstore.Metadata{
				Datasets:         []string{"a"},
				Parameters:       statstore.GenericParameters(1),
				EvaluationScores: []statstore.Criterion{criterion("dice", true), criterion("voi", false)},
			}
			v, err := statstore.NewValidationScores(meta)
			if err != nil {
				t.Fatal(err)
			}
			for i, it := range []int{0, 1000, 2000} {
				if err := v.AddIterationScores(statstore.ValidationIterationScores{Iteration: it, Scores: [][][]float64{{{tt.dice[i], tt.voi[i]}}}}); err != nil {
					t.Fatal(err)
				}
			}
			data, err := v.ToLabeled()
			if err != nil {
				t.Fatal(err)
			}
			labels, values, err := v.GetBest(data, statstore.DimIterations)
			if err != nil {
				t.Fatalf("GetBest: %v", err)
			}
			for c, want := range []any{tt.wantDice, tt.wantVoi} {
				got := labelAt(labels, 0, 0, c)
				if got != want {
					t.Errorf("criterion %d: best iteration %v, want %v", c, got, want)
				}
				if want == "<missing>" && !math.IsNaN(values.At(0, 0, c)) {
					t.Errorf("criterion %d: value %v for an all-NaN slice, want NaN", c, values.At(0, 0, c))
				}
			}
			checkAgainstReference(t, v, data, statstore.DimIterations, labels, values)
		})
	}
}

func TestGetBestErrors(t *testing.T) {
	v := directionScores(t)
	full, err := v.ToLabeled()
	if err != nil {
		t.Fatal(err)
	}
	meanOverCriteria, err := full.Mean(statstore.DimCriteria)
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := labeled.New([]float64{1, 2},
		labeled.Dim{Name: statstore.DimIterations, Coords: []any{0, 1}},
		labeled.Dim{Name: statstore.DimCriteria, Coords: []any{"f1_score"}})
	if err != nil {
		t.Fatal(err)
	}
	noCriteria, err := full.SelLabels(statstore.DimCriteria)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		data      *labeled.Array
		dim       string
		wantErr   error
		wantInMsg string
	}{
		{name: "data without criteria", data: meanOverCriteria, dim: statstore.DimIterations,
			wantErr: statstore.ErrInvalidArgument, wantInMsg: "cannot determine best without a criterion"},
		{name: "nil data", data: nil, dim: statstore.DimIterations,
			wantErr: statstore.ErrInvalidArgument, wantInMsg: "cannot determine best without a criterion"},
		{name: "along criteria", data: full, dim: statstore.DimCriteria, wantErr: statstore.ErrInvalidArgument, wantInMsg: "criteria"},
		{name: "unknown dimension", data: full, dim: "epochs", wantErr: statstore.ErrInvalidArgument, wantInMsg: "epochs"},
		{name: "unknown dimension, labeled's sentinel", data: full, dim: "epochs", wantErr: labeled.ErrDim},
		{name: "criterion not in the metadata", data: foreign, dim: statstore.DimIterations, wantErr: statstore.ErrNotFound, wantInMsg: "f1_score"},
		{name: "empty criteria dimension", data: noCriteria, dim: statstore.DimIterations, wantErr: statstore.ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, a, err := v.GetBest(tt.data, tt.dim)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("GetBest = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantInMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantInMsg)
			}
			if l != nil || a != nil {
				t.Errorf("GetBest returned results with an error")
			}
		})
	}
}

// bestRef computes one line of a best report by brute force.
func bestRef(v *statstore.ValidationScores, dataset, c int) (found bool, iteration, param int, value float64) {
	crit := v.EvaluationScores[c]
	value, iteration, param = math.NaN(), -1, -1
	for _, s := range v.Scores {
		for p := range v.Parameters {
			var x float64
			if dataset >= 0 {
				x = s.Scores[dataset][p][c]
			} else {
				sum, n := 0.0, 0
				for d := range v.Datasets {
					if y := s.Scores[d][p][c]; !math.IsNaN(y) {
						sum += y
						n++
					}
				}
				x = math.NaN()
				if n > 0 {
					x = sum / float64(n)
				}
			}
			if math.IsNaN(x) {
				continue
			}
			if !found || (crit.HigherIsBetter && x > value) || (!crit.HigherIsBetter && x < value) {
				found, iteration, param, value = true, s.Iteration, p, x
			}
		}
	}
	return found, iteration, param, value
}

func checkBest(t *testing.T, v *statstore.ValidationScores, b statstore.Best, dataset, c int) {
	t.Helper()
	found, it, p, value := bestRef(v, dataset, c)
	wantDataset := ""
	if dataset >= 0 {
		wantDataset = v.Datasets[dataset]
	}
	crit := v.EvaluationScores[c]
	if b.Dataset != wantDataset || b.Criterion != crit.Name || b.HigherIsBetter != crit.HigherIsBetter {
		t.Errorf("line for %q/%s is %+v", wantDataset, crit.Name, b)
	}
	if b.Found != found || b.Iteration != it || !sameFloat(b.Value, value) {
		t.Errorf("%q/%s: got found=%v iteration=%d value=%v, want found=%v iteration=%d value=%v",
			wantDataset, crit.Name, b.Found, b.Iteration, b.Value, found, it, value)
	}
	if found && (b.ParameterID != v.Parameters[p].ID || b.Parameters != v.Parameters[p].DisplayName()) {
		t.Errorf("%q/%s: got parameters %d %q, want %d %q", wantDataset, crit.Name, b.ParameterID, b.Parameters, v.Parameters[p].ID, v.Parameters[p].DisplayName())
	}
}

func checkReport(t *testing.T, v *statstore.ValidationScores, r statstore.BestReport) {
	t.Helper()
	nd, nc := len(v.Datasets), len(v.EvaluationScores)
	if len(r.PerDataset) != nd*nc || len(r.OverDatasets) != nc {
		t.Fatalf("report has %d + %d lines, want %d + %d", len(r.PerDataset), len(r.OverDatasets), nd*nc, nc)
	}
	for d := range nd {
		for c := range nc {
			checkBest(t, v, r.PerDataset[d*nc+c], d, c)
		}
	}
	for c := range nc {
		checkBest(t, v, r.OverDatasets[c], -1, c)
	}
}

func TestBestReport(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name    string
		entries []statstore.ValidationIterationScores
		check   func(t *testing.T, r statstore.BestReport)
	}{
		{
			name:    "each criterion's own direction",
			entries: directionScores(t).Scores,
			check: func(t *testing.T, r statstore.BestReport) {
				// dice: highest at 1000 with the last threshold; voi: lowest at 0
				// with the first; loss: lowest at 1000 with the first.
				want := []struct{ it, param int }{{1000, 2}, {0, 0}, {1000, 0}}
				for i, b := range r.PerDataset {
					if w := want[i%3]; b.Iteration != w.it || b.ParameterID != w.param {
						t.Errorf("%s/%s: iteration %d parameters %d, want %d %d", b.Dataset, b.Criterion, b.Iteration, b.ParameterID, w.it, w.param)
					}
				}
			},
		},
		{
			name: "ties go to the earliest iteration, then the first parameter set",
			entries: []statstore.ValidationIterationScores{
				{Iteration: 0, Scores: filled(2, 3, 3, func(d, p, c int) float64 { return 0.5 })},
				{Iteration: 1000, Scores: filled(2, 3, 3, func(d, p, c int) float64 { return 0.5 })},
			},
			check: func(t *testing.T, r statstore.BestReport) {
				for _, b := range append(r.PerDataset, r.OverDatasets...) {
					if b.Iteration != 0 || b.ParameterID != 0 || b.Value != 0.5 {
						t.Errorf("%s/%s: iteration %d parameters %d value %v, want 0 0 0.5", b.Dataset, b.Criterion, b.Iteration, b.ParameterID, b.Value)
					}
				}
			},
		},
		{
			name: "NaN skipped, all-NaN not found",
			entries: []statstore.ValidationIterationScores{
				{Iteration: 0, Scores: filled(2, 3, 3, func(d, p, c int) float64 {
					if d == 1 || c == 2 {
						return nan
					}
					return 0.2
				})},
				{Iteration: 1000, Scores: filled(2, 3, 3, func(d, p, c int) float64 {
					if c == 2 || p == 0 {
						return nan
					}
					return 0.4
				})},
			},
			check: func(t *testing.T, r statstore.BestReport) {
				for _, b := range append(r.PerDataset, r.OverDatasets...) {
					if b.Criterion == "loss" {
						if b.Found || b.Iteration != -1 || !math.IsNaN(b.Value) {
							t.Errorf("%s/loss: %+v, want not found, iteration -1, NaN", b.Dataset, b)
						}
						continue
					}
					if !b.Found {
						t.Errorf("%s/%s: not found", b.Dataset, b.Criterion)
					}
				}
				// crop_b has values only at 1000 (parameters 1 and 2).
				if b := r.PerDataset[3]; b.Iteration != 1000 || b.ParameterID != 1 {
					t.Errorf("crop_b/dice: iteration %d parameters %d, want 1000 1", b.Iteration, b.ParameterID)
				}
				// The mean over datasets skips crop_b's NaN: 0.2 at (0, p0).
				if b := r.OverDatasets[1]; b.Iteration != 0 || b.ParameterID != 0 || b.Value != 0.2 {
					t.Errorf("mean/voi: %+v, want iteration 0 parameters 0 value 0.2", b)
				}
			},
		},
		{
			name:    "no scores",
			entries: nil,
			check: func(t *testing.T, r statstore.BestReport) {
				for _, b := range append(r.PerDataset, r.OverDatasets...) {
					if b.Found {
						t.Errorf("%s/%s found in empty scores", b.Dataset, b.Criterion)
					}
				}
			},
		},
		{
			name: "mean over datasets differs from each dataset's best",
			entries: []statstore.ValidationIterationScores{
				{Iteration: 0, Scores: [][][]float64{{{0.9, 0, 0}, {0.1, 0, 0}, {0.5, 0, 0}}, {{0.1, 0, 0}, {0.9, 0, 0}, {0.6, 0, 0}}}},
			},
			check: func(t *testing.T, r statstore.BestReport) {
				if r.PerDataset[0].ParameterID != 0 || r.PerDataset[3].ParameterID != 1 {
					t.Errorf("per-dataset dice bests at parameters %d and %d, want 0 and 1", r.PerDataset[0].ParameterID, r.PerDataset[3].ParameterID)
				}
				if b := r.OverDatasets[0]; b.ParameterID != 2 || math.Abs(b.Value-0.55) > 1e-12 {
					t.Errorf("mean dice best: parameters %d value %v, want 2 and 0.55", b.ParameterID, b.Value)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := validationScores(t, tt.entries...)
			r := v.BestReport()
			checkReport(t, v, r)
			tt.check(t, r)
		})
	}
}

// TestBestReportRandom compares BestReport with a brute-force reference on
// random scores full of ties and NaN.
func TestBestReportRandom(t *testing.T) {
	for seed := range uint64(20) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 1))
			v := validationScores(t)
			for it := 0; it < 30; it++ {
				if rng.IntN(3) == 0 {
					continue
				}
				s := statstore.ValidationIterationScores{Iteration: it * 100, Scores: filled(2, 3, 3, func(int, int, int) float64 {
					if rng.IntN(4) == 0 {
						return math.NaN()
					}
					return float64(rng.IntN(5)) / 4
				})}
				if err := v.AddIterationScores(s); err != nil {
					t.Fatal(err)
				}
			}
			checkReport(t, v, v.BestReport())
		})
	}
}
