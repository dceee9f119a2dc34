package statstore_test

import (
	"math"
	"testing"

	"github.com/statstore/statstore"
)

// trainingStats builds a history from iteration/loss pairs, failing the
// test if it is not strictly increasing.
func trainingStats(tb testing.TB, iterations ...int) *statstore.TrainingStats {
	tb.Helper()
	entries := make([]statstore.TrainingIterationStats, len(iterations))
	for i, it := range iterations {
		entries[i] = statstore.TrainingIterationStats{Iteration: it, Loss: float64(it) / 10, Time: 0.5}
	}
	stats, err := statstore.NewTrainingStats(entries...)
	if err != nil {
		tb.Fatalf("NewTrainingStats(%v): %v", iterations, err)
	}
	return stats
}

// iterationsOf returns the iterations of training entries.
func iterationsOf(entries []statstore.TrainingIterationStats) []int {
	out := make([]int, len(entries))
	for i, e := range entries {
		out[i] = e.Iteration
	}
	return out
}

// validationIterations returns the iterations of validation entries.
func validationIterations(entries []statstore.ValidationIterationScores) []int {
	out := make([]int, len(entries))
	for i, e := range entries {
		out[i] = e.Iteration
	}
	return out
}

// criterion returns a criterion with unit bounds.
func criterion(name string, higherIsBetter bool) statstore.Criterion {
	return statstore.Criterion{Name: name, HigherIsBetter: higherIsBetter,
		Bounds: statstore.Bounds{Lower: statstore.Bound(0), Upper: statstore.Bound(1)}}
}

// testMetadata describes two datasets, three thresholds and three criteria
// whose directions differ: dice (higher is better), voi and loss (lower is
// better). The first criterion is higher-is-better, so a GetBest that used
// the first criterion's direction for all (DaCapo's bug) gives wrong answers.
func testMetadata() statstore.Metadata {
	return statstore.Metadata{
		Datasets:         []string{"crop_a", "crop_b"},
		Parameters:       statstore.ThresholdParameters(0.3, 0.5, 0.7),
		EvaluationScores: []statstore.Criterion{criterion("dice", true), criterion("voi", false), criterion("loss", false)},
	}
}

// filled returns a scores array of shape d×p×c whose values come from f.
func filled(d, p, c int, f func(d, p, c int) float64) [][][]float64 {
	out := make([][][]float64, d)
	for i := range out {
		out[i] = make([][]float64, p)
		for j := range out[i] {
			out[i][j] = make([]float64, c)
			for k := range out[i][j] {
				out[i][j][k] = f(i, j, k)
			}
		}
	}
	return out
}

// entry returns a validation entry of the testMetadata shape with every
// score equal to v.
func entry(iteration int, v float64) statstore.ValidationIterationScores {
	return statstore.ValidationIterationScores{Iteration: iteration, Scores: filled(2, 3, 3, func(int, int, int) float64 { return v })}
}

// validationScores returns testMetadata scores holding entries, failing the
// test on error.
func validationScores(tb testing.TB, entries ...statstore.ValidationIterationScores) *statstore.ValidationScores {
	tb.Helper()
	v, err := statstore.NewValidationScores(testMetadata())
	if err != nil {
		tb.Fatalf("NewValidationScores: %v", err)
	}
	for _, e := range entries {
		if err := v.AddIterationScores(e); err != nil {
			tb.Fatalf("AddIterationScores(%d): %v", e.Iteration, err)
		}
	}
	return v
}

// sameFloat reports whether a and b are the same float: bit-identical or both NaN.
func sameFloat(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
}

// equalInts reports whether two int slices hold the same values.
func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
