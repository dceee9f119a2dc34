package dacapo

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// sampleExpected is the expected.json of a shared DaCapo sample.
type sampleExpected struct {
	Protocol int                  `json:"protocol"`
	Runs     map[string]sampleRun `json:"runs"`
}

// sampleRun is what expected.json says of one run.
type sampleRun struct {
	TrainedUntil   int      `json:"trained_until"`
	NTraining      int      `json:"n_training"`
	NaNLosses      int      `json:"nan_losses"`
	LossSumFinite  float64  `json:"loss_sum_finite"`
	ValidatedUntil int      `json:"validated_until"`
	NValidation    int      `json:"n_validation"`
	Preset         string   `json:"preset"`
	Datasets       []string `json:"datasets"`
	Parameters     []string `json:"parameters"`
	Criteria       []string `json:"criteria"`
	Best           map[string]struct {
		Iteration int     `json:"iteration"`
		Value     float64 `json:"value"`
	} `json:"best"`
	BestReport []struct {
		Dataset    string  `json:"dataset"`
		Criterion  string  `json:"criterion"`
		Iteration  int     `json:"iteration"`
		Parameters string  `json:"parameters"`
		Value      float64 `json:"value"`
	} `json:"best_report"`
}

// parameterSpec turns display names like threshold_0.3 into the
// ParseParameters spec "threshold=0.3,...".
func parameterSpec(t *testing.T, names []string) string {
	var name string
	values := make([]string, len(names))
	for i, n := range names {
		cut := strings.LastIndex(n, "_")
		if cut < 0 || (name != "" && n[:cut] != name) {
			t.Fatalf("parameter name %q is not <name>_<value> like the others", n)
		}
		name, values[i] = n[:cut], n[cut+1:]
	}
	return name + "=" + strings.Join(values, ",")
}

// TestSharedSamples reads the DaCapo samples of shared/dacapo and checks them
// against their expected.json, naming the axes as DaCapo's evaluator did.
func TestSharedSamples(t *testing.T) {
	ctx := context.Background()
	for _, sample := range []string{"sample-stats", "sample-stats-numpy"} {
		dir := filepath.Join(sharedDir, sample)
		t.Run(sample, func(t *testing.T) {
			if !IsStatsDir(dir) {
				t.Skipf("shared sample %s not present (it lives next to the repository on development machines)", dir)
			}
			var want sampleExpected
			readJSON(t, filepath.Join(dir, "expected.json"), &want)
			for run, w := range want.Runs {
				t.Run(run, func(t *testing.T) {
					params, err := ParseParameters(parameterSpec(t, w.Parameters))
					if err != nil {
						t.Fatal(err)
					}
					s := mustOpen(t, dir, Options{Preset: w.Preset, Datasets: w.Datasets, Parameters: params})
					checkSampleRun(ctx, t, s, run, w)
				})
			}
		})
	}
}

func checkSampleRun(ctx context.Context, t *testing.T, s *Store, run string, w sampleRun) {
	stats, err := s.RetrieveTrainingStats(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	nan, sum := 0, 0.0
	for _, e := range stats.IterationStats {
		if math.IsNaN(e.Loss) {
			nan++
		} else {
			sum += e.Loss
		}
	}
	if got := [3]int{stats.TrainedUntil(), stats.Len(), nan}; got != [3]int{w.TrainedUntil, w.NTraining, w.NaNLosses} {
		t.Errorf("trained until, entries, NaN losses: got %v, want %v", got, [3]int{w.TrainedUntil, w.NTraining, w.NaNLosses})
	}
	if math.Abs(sum-w.LossSumFinite) > 1e-9*math.Abs(w.LossSumFinite) {
		t.Errorf("sum of finite losses: got %v, want %v", sum, w.LossSumFinite)
	}
	v, err := s.RetrieveValidationScores(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	if v.ValidatedUntil() != w.ValidatedUntil || v.Len() != w.NValidation {
		t.Errorf("validated until, entries: got %d, %d, want %d, %d", v.ValidatedUntil(), v.Len(), w.ValidatedUntil, w.NValidation)
	}
	if strings.Join(v.ParameterDisplayNames(), ",") != strings.Join(w.Parameters, ",") || strings.Join(v.Criteria(), ",") != strings.Join(w.Criteria, ",") {
		t.Errorf("axes: got parameters %v, criteria %v, want %v, %v", v.ParameterDisplayNames(), v.Criteria(), w.Parameters, w.Criteria)
	}
	checked := 0
	for d, ds := range v.Datasets {
		for p, ps := range v.ParameterDisplayNames() {
			for c, crit := range v.EvaluationScores {
				key := fmt.Sprintf("%s|%s|%s", ds, ps, crit.Name)
				bw, ok := w.Best[key]
				if !ok {
					t.Fatalf("expected.json has no best for %s", key)
				}
				best, bestIt := math.NaN(), -1
				for _, e := range v.Scores {
					if x := e.Scores[d][p][c]; crit.Better(x, best) {
						best, bestIt = x, e.Iteration
					}
				}
				if bestIt != bw.Iteration || best != bw.Value {
					t.Errorf("best %s: got iteration %d value %v, want %d, %v", key, bestIt, best, bw.Iteration, bw.Value)
				}
				checked++
			}
		}
	}
	if checked != len(w.Best) {
		t.Errorf("checked %d best entries, expected.json has %d", checked, len(w.Best))
	}
	report := v.BestReport().PerDataset
	if len(report) != len(w.BestReport) {
		t.Fatalf("best report: got %d entries, want %d", len(report), len(w.BestReport))
	}
	for i, b := range w.BestReport {
		g := report[i]
		if g.Dataset != b.Dataset || g.Criterion != b.Criterion || g.Iteration != b.Iteration || g.Parameters != b.Parameters || g.Value != b.Value {
			t.Errorf("best report %d: got %+v, want %+v", i, g, b)
		}
	}
}
