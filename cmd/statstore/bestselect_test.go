package main

import (
	"strings"
	"testing"
)

func TestBestSelectOn(t *testing.T) {
	store, _ := keepFixture(t) // one dataset "a": frizz_level best 0.9 at 2000 (threshold 0.3)
	var sel struct {
		Iteration  int    `json:"iteration"`
		Parameters string `json:"parameters"`
		Lines      []struct {
			Criterion string  `json:"criterion"`
			Value     float64 `json:"value"`
			Gap       float64 `json:"gap"`
		} `json:"lines"`
	}
	decodeJSON(t, mustRun(t, "--store", store, "best", "r", "--select-on", "dataset=a,criterion=frizz_level", "--json"), &sel)
	// At 2000 with threshold 0.3: blipp_score is 0.3, its own best 0.1 (3000): gap 0.2.
	if sel.Iteration != 2000 || sel.Parameters != "threshold_0.3" || len(sel.Lines) != 2 || sel.Lines[0].Gap != 0 ||
		sel.Lines[1].Criterion != "blipp_score" || sel.Lines[1].Value != 0.3 || sel.Lines[1].Gap < 0.1999 || sel.Lines[1].Gap > 0.2001 {
		t.Errorf("selection %+v", sel)
	}
	out := mustRun(t, "--store", store, "best", "r", "--select-on", "criterion=blipp_score,dataset=a").stdout
	if !strings.Contains(out, "chosen on blipp_score of a: checkpoint 3000 with threshold_0.3 (0.1)") {
		t.Errorf("table:\n%s", out)
	}
	for _, bad := range [][]string{
		{"--select-on", "dataset=a"}, {"--select-on", "dataset=a,criterion=frizz_level,x=1"},
		{"--held-out", "a"}, {"--select-on", "dataset=a,criterion=frizz_level", "--criterion", "blipp_score"},
	} {
		if r := run(t, append([]string{"--store", store, "best", "r"}, bad...)...); r.code != exitUsage {
			t.Errorf("best %v: exit %d, want usage (%s)", bad, r.code, r.stderr)
		}
	}
	if r := run(t, "--store", store, "best", "r", "--select-on", "dataset=zz,criterion=frizz_level"); r.code == 0 || !strings.Contains(r.stderr, "want one of a") {
		t.Errorf("unknown dataset: exit %d %s", r.code, r.stderr)
	}
}
