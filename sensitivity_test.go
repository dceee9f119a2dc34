package statstore_test

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/statstore/statstore"
)

// sensitivityScores is a hand-checked grid: one dataset, thresholds 0.3,
// 0.5, 0.7, dice (↑, bounds [0, 1]) and hausdorff (↓, open upper bound).
func sensitivityScores() *statstore.ValidationScores {
	dice, haus := criterion("dice", true), criterion("hausdorff", false)
	haus.Bounds = statstore.Bounds{Lower: statstore.Bound(0)}
	nan := math.NaN()
	rows := []struct {
		it         int
		dice, haus [3]float64
	}{
		{1000, [3]float64{0.5, 0.6, 0.4}, [3]float64{3, 2, 5}},
		{2000, [3]float64{0.7, 0.65, 0.3}, [3]float64{4, 4.01, 6}},
		{3000, [3]float64{0.8, 0.795, nan}, [3]float64{3, 3, 3}},
		{4000, [3]float64{nan, nan, nan}, [3]float64{nan, nan, nan}},
		{5000, [3]float64{0.6, 0.9, 0.2}, [3]float64{2.5, 2.5, 6}},
	}
	v := &statstore.ValidationScores{Metadata: statstore.Metadata{
		Datasets: []string{"crop_a"}, Parameters: statstore.ThresholdParameters(0.3, 0.5, 0.7),
		EvaluationScores: []statstore.Criterion{dice, haus},
	}}
	for _, r := range rows {
		s := statstore.ValidationIterationScores{Iteration: r.it, Scores: [][][]float64{make([][]float64, 3)}}
		for p := range 3 {
			s.Scores[0][p] = []float64{r.dice[p], r.haus[p]}
		}
		v.Scores = append(v.Scores, s)
	}
	return v
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 || math.IsNaN(a) && math.IsNaN(b) }

func TestGridDice(t *testing.T) {
	g, err := sensitivityScores().Grid("crop_a", "dice", statstore.GridOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(g.Iterations, []int{1000, 2000, 3000, 4000, 5000}) || !slices.Equal(g.Best, []int{1, 0, 0, -1, 1}) {
		t.Errorf("iterations %v best %v", g.Iterations, g.Best)
	}
	if g.BestChanges != 1 || g.Steps != 2 || g.BestChangeRate != 0.5 {
		t.Errorf("stability: %d changes in %d steps (%g), want 1 in 2 (0.5)", g.BestChanges, g.Steps, g.BestChangeRate)
	}
	if g.Fixed != 1 {
		t.Errorf("fixed parameter set %d, want 1 (threshold 0.5: mean 0.73625)", g.Fixed)
	}
	for i, want := range []float64{0, 0.05, 0.005, math.NaN(), 0} {
		if !near(g.Regret[i], want) {
			t.Errorf("regret at %d: %g, want %g", g.Iterations[i], g.Regret[i], want)
		}
	}
	if !near(g.MaxRegret, 0.05) || !near(g.MeanRegret, 0.01375) {
		t.Errorf("max regret %g mean %g, want 0.05 0.01375", g.MaxRegret, g.MeanRegret)
	}
	if g.Epsilon != 0.01 || !slices.Equal(g.Width, []int{1, 1, 2, 0, 1}) {
		t.Errorf("epsilon %g width %v, want 0.01 [1 1 2 0 1]", g.Epsilon, g.Width)
	}
	if g.Axis != "threshold" || !slices.Equal(g.AxisValues, []any{0.3, 0.5, 0.7}) {
		t.Errorf("axis %q %v, want threshold [0.3 0.5 0.7]", g.Axis, g.AxisValues)
	}
}

func TestGridLowerIsBetterAndEpsilon(t *testing.T) {
	v := sensitivityScores()
	g, err := v.Grid("crop_a", "hausdorff", statstore.GridOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Open upper bound: epsilon is 1% of the finite values' range, 2..6.
	if !near(g.Epsilon, 0.04) || !slices.Equal(g.Best, []int{1, 0, 0, -1, 0}) || !slices.Equal(g.Width, []int{1, 2, 3, 0, 2}) {
		t.Errorf("epsilon %g best %v width %v, want 0.04 [1 0 0 -1 0] [1 2 3 0 2]", g.Epsilon, g.Best, g.Width)
	}
	// Means: 3.125, 2.8775, 5 → threshold 0.5 is the fixed set.
	if g.Fixed != 1 || g.BestChanges != 1 || !near(g.Regret[1], 0.01) || !near(g.Regret[4], 0) {
		t.Errorf("fixed %d changes %d regret %v", g.Fixed, g.BestChanges, g.Regret)
	}
	if g, _ = v.Grid("crop_a", "hausdorff", statstore.GridOptions{Epsilon: 2}); !slices.Equal(g.Width, []int{2, 3, 3, 0, 2}) {
		t.Errorf("epsilon 2: width %v, want [2 3 3 0 2]", g.Width)
	}
	v.Scores[4].Superseded = true
	if g, _ = v.Grid("crop_a", "hausdorff", statstore.GridOptions{}); len(g.Iterations) != 4 || g.Superseded != 1 {
		t.Errorf("superseded 5000: %d checkpoints, %d left out; want 4, 1", len(g.Iterations), g.Superseded)
	}
	for _, bad := range []func() error{
		func() error { _, err := v.Grid("nope", "dice", statstore.GridOptions{}); return err },
		func() error { _, err := v.Grid("crop_a", "nope", statstore.GridOptions{}); return err },
		func() error { _, err := v.Grid("crop_a", "dice", statstore.GridOptions{Epsilon: -1}); return err },
		func() error {
			_, err := v.Grid("crop_a", "dice", statstore.GridOptions{Epsilon: math.NaN()})
			return err
		},
	} {
		if err := bad(); !errors.Is(err, statstore.ErrInvalidArgument) {
			t.Errorf("%v, want ErrInvalidArgument", err)
		}
	}
}

func TestGridAxis(t *testing.T) {
	v := sensitivityScores()
	v.Parameters = []statstore.ParameterSet{
		{ID: 0, Values: statstore.ParameterValues{{Name: "bias", Value: 0.5}, {Name: "context", Value: []any{int64(32)}}}},
		{ID: 1, Values: statstore.ParameterValues{{Name: "bias", Value: 0.7}, {Name: "context", Value: []any{int64(32)}}}},
		{ID: 2, Values: statstore.ParameterValues{{Name: "bias", Value: 0.9}, {Name: "context", Value: []any{int64(32)}}}},
	}
	if g, _ := v.Grid("crop_a", "dice", statstore.GridOptions{}); g.Axis != "bias" || !slices.Equal(g.AxisValues, []any{0.5, 0.7, 0.9}) {
		t.Errorf("axis %q %v, want bias [0.5 0.7 0.9]", g.Axis, g.AxisValues)
	}
	v.Parameters[2].Values[1].Value = []any{int64(16)}
	if g, _ := v.Grid("crop_a", "dice", statstore.GridOptions{}); g.Axis != "" {
		t.Errorf("two values vary: axis %q, want none", g.Axis)
	}
}
