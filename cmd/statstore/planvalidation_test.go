package main

import (
	"strings"
	"testing"
)

func TestPlanValidation(t *testing.T) {
	store, weights := keepFixture(t)
	var p struct {
		Best        *int `json:"current_best"`
		Checkpoints []struct {
			Iteration int    `json:"iteration"`
			Reason    string `json:"reason"`
		} `json:"checkpoints"`
		Parameters []struct {
			Droppable bool `json:"droppable"`
		} `json:"parameters"`
	}
	// From the weights: 5000 is the one checkpoint not validated.
	decodeJSON(t, mustRun(t, "--store", store, "plan-validation", "r", "--weights", weights, "--json"), &p)
	if len(p.Checkpoints) != 1 || p.Checkpoints[0].Iteration != 5000 || p.Best == nil {
		t.Errorf("from weights: %+v", p)
	}
	// Every 1000 (the validated spacing) up to 6000: 0 and 5000.
	decodeJSON(t, mustRun(t, "--store", store, "plan-validation", "r", "--json", "--budget", "5"), &p)
	if len(p.Checkpoints) != 2 || p.Checkpoints[0].Iteration+p.Checkpoints[1].Iteration != 5000 {
		t.Errorf("every 1000: %+v", p.Checkpoints)
	}
	if len(p.Parameters) != 2 {
		t.Errorf("parameters: %+v", p.Parameters)
	}
	out := mustRun(t, "--store", store, "plan-validation", "r", "--every", "500", "--budget", "2").stdout
	for _, w := range []string{"candidates every 500 iterations up to 6000", "validate next:", "parameter values the grid can drop:"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if r := run(t, "--store", store, "plan-validation", "r", "--every", "5", "--weights", weights); r.code != exitUsage {
		t.Errorf("--every with --weights: exit %d", r.code)
	}
	if r := run(t, "--store", store, "plan-validation", "r", "--budget", "0"); r.code == 0 || !strings.Contains(r.stderr, "budget") {
		t.Errorf("--budget 0: exit %d %s", r.code, r.stderr)
	}
}
