package statstore_test

import (
	"errors"
	"math"
	"testing"

	"github.com/statstore/statstore"
)

// selectionScores is a hand-checked grid: 2 checkpoints × 2 datasets × 2
// thresholds × (dice ↑, voi ↓, hausdorff ↓).
func selectionScores() *statstore.ValidationScores {
	return &statstore.ValidationScores{Metadata: decisionMetadata(), Scores: []statstore.ValidationIterationScores{
		gridEntry(1000, [3]float64{0.6, 0.5, 4}, [3]float64{0.8, 0.4, 3}, [3]float64{0.7, 0.3, 2}, [3]float64{0.5, 0.6, 5}),
		gridEntry(2000, [3]float64{0.7, 0.2, 6}, [3]float64{0.75, 0.3, 1}, [3]float64{0.9, 0.1, 3}, [3]float64{0.4, 0.5, 2}),
	}}
}

func TestSelect(t *testing.T) {
	sel, err := selectionScores().Select(statstore.SelectOn{Dataset: "crop_a", Criterion: "dice", HeldOut: []string{"crop_b"}})
	if err != nil {
		t.Fatal(err)
	}
	if sel.Iteration != 1000 || sel.ParameterID != 1 || sel.Parameters != "threshold_0.5" || sel.Value != 0.8 {
		t.Fatalf("chose %d %d %s %g, want 1000 1 threshold_0.5 0.8", sel.Iteration, sel.ParameterID, sel.Parameters, sel.Value)
	}
	want := []struct {
		dataset, criterion string
		held               bool
		value, best, gap   float64
		bestAt             int
	}{
		{"crop_a", "dice", false, 0.8, 0.8, 0, 1000},
		{"crop_a", "voi", false, 0.4, 0.2, 0.2, 2000},
		{"crop_a", "hausdorff", false, 3, 1, 2, 2000},
		{"crop_b", "dice", true, 0.5, 0.9, 0.4, 2000},
		{"crop_b", "voi", true, 0.6, 0.1, 0.5, 2000},
		{"crop_b", "hausdorff", true, 5, 2, 3, 1000},
	}
	if len(sel.Lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(sel.Lines), len(want))
	}
	for i, w := range want {
		l := sel.Lines[i]
		if l.Dataset != w.dataset || l.Criterion != w.criterion || l.HeldOut != w.held || l.Value != w.value ||
			l.Best.Value != w.best || l.Best.Iteration != w.bestAt || math.Abs(l.Gap-w.gap) > 1e-12 {
			t.Errorf("line %d: %+v, want %+v", i, l, w)
		}
	}
}

func TestSelectSupersededAndErrors(t *testing.T) {
	v := selectionScores()
	v.Scores[0].Superseded = true
	sel, err := v.Select(statstore.SelectOn{Dataset: "crop_a", Criterion: "dice"})
	if err != nil {
		t.Fatal(err)
	}
	if sel.Iteration != 2000 || sel.Superseded != 1 || sel.Parameters != "threshold_0.5" {
		t.Errorf("with 1000 superseded: chose %d %s, left out %d; want 2000 threshold_0.5, 1", sel.Iteration, sel.Parameters, sel.Superseded)
	}
	if sel, _ = v.Select(statstore.SelectOn{Dataset: "crop_a", Criterion: "dice", IncludeSuperseded: true}); sel.Iteration != 1000 {
		t.Errorf("including superseded: chose %d, want 1000", sel.Iteration)
	}
	for _, on := range []statstore.SelectOn{
		{Dataset: "nope", Criterion: "dice"},
		{Dataset: "crop_a", Criterion: "nope"},
		{Dataset: "crop_a", Criterion: "dice", HeldOut: []string{"crop_a"}},
		{Dataset: "crop_a", Criterion: "dice", HeldOut: []string{"crop_z"}},
	} {
		if _, err := v.Select(on); !errors.Is(err, statstore.ErrInvalidArgument) {
			t.Errorf("%+v: %v, want ErrInvalidArgument", on, err)
		}
	}
	nan := math.NaN()
	allNaN := &statstore.ValidationScores{Metadata: decisionMetadata(), Scores: []statstore.ValidationIterationScores{flat(1000, nan, 0.1, 1)}}
	if _, err := allNaN.Select(statstore.SelectOn{Dataset: "crop_a", Criterion: "dice"}); !errors.Is(err, statstore.ErrNotFound) {
		t.Errorf("all NaN: %v, want ErrNotFound", err)
	}
}
