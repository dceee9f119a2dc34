package main

import (
	"slices"
	"strings"
	"testing"
)

func TestGrid(t *testing.T) {
	store, _ := keepFixture(t)
	// One dataset: --dataset may be left out; two criteria: --criterion may not.
	if r := run(t, "--store", store, "grid", "r"); r.code != exitUsage || !strings.Contains(r.stderr, "frizz_level, blipp_score") {
		t.Errorf("grid without --criterion: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := run(t, "--store", store, "grid", "r", "--criterion", "frizz"); r.code != exitUsage || !strings.Contains(r.stderr, "frizz_level") {
		t.Errorf("grid with a wrong criterion: exit %d, stderr %q", r.code, r.stderr)
	}
	var g struct {
		Iterations  []int     `json:"iterations"`
		Best        []int     `json:"best"`
		Axis        string    `json:"axis"`
		BestChanges int       `json:"best_changes"`
		Steps       int       `json:"steps"`
		Fixed       int       `json:"fixed"`
		Regret      []float64 `json:"regret"`
		Width       []int     `json:"width"`
	}
	decodeJSON(t, mustRun(t, "--store", store, "grid", "r", "--criterion", "blipp_score", "--json"), &g)
	// blipp_score, lower is better: 1000 [0.5 0.4], 2000 [0.3 0.6], 3000 [0.1 0.2], 4000 [0.7 0.8], 6000 [0.9 0.9].
	if !slices.Equal(g.Iterations, []int{1000, 2000, 3000, 4000, 6000}) || !slices.Equal(g.Best, []int{1, 0, 0, 0, 0}) {
		t.Errorf("iterations %v best %v", g.Iterations, g.Best)
	}
	if g.Axis != "threshold" || g.BestChanges != 1 || g.Steps != 4 || g.Fixed != 0 {
		t.Errorf("axis %q changes %d/%d fixed %d; want threshold 1/4 0", g.Axis, g.BestChanges, g.Steps, g.Fixed)
	}
	if g.Regret[0] < 0.0999 || g.Regret[0] > 0.1001 || !slices.Equal(g.Width, []int{1, 1, 1, 1, 2}) {
		t.Errorf("regret %v width %v", g.Regret, g.Width)
	}
	out := mustRun(t, "--store", store, "grid", "r", "--criterion", "frizz_level").stdout
	for _, w := range []string{"threshold=0.3", "0.9*", "changed 1 times in 4 steps (25%)", "regret of fixing threshold=0.3"} {
		if !strings.Contains(out, w) {
			t.Errorf("grid output lacks %q:\n%s", w, out)
		}
	}
}
