package ui

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/httpapi"
)

// TestDecisionCardsInBrowser checks the run view's decision cards against
// the domain's answers: the keep plan, the parameter grid heatmap of the
// chosen criterion and the choice made on one dataset.
func TestDecisionCardsInBrowser(t *testing.T) {
	d := startDashboard(t, httpapi.ServerOptions{})
	d.open("#/run/" + smallRun)
	for _, id := range []string{"keep", "grid", "select"} {
		d.waitFor(fmt.Sprintf(`document.querySelector('#%s[data-state="ready"]') !== null`, id))
	}
	v, err := d.store.RetrieveValidationScores(context.Background(), smallRun)
	if err != nil {
		t.Fatal(err)
	}
	crit := v.EvaluationScores[0].Name // the view's default criterion: the run's first

	// Keep: one row per validated checkpoint, the plan's decisions.
	plan, err := statstore.PlanRetention(v, nil, statstore.RetentionOptions{Top: 1, Last: 1})
	if err != nil {
		t.Fatal(err)
	}
	var keep []map[string]string
	eval(d, `[...document.querySelectorAll('#keep tbody tr')].map(tr => ({...tr.dataset}))`, &keep)
	if len(keep) != len(plan.Checkpoints) {
		t.Fatalf("keep table: %d rows, want %d", len(keep), len(plan.Checkpoints))
	}
	for i, c := range plan.Checkpoints {
		if keep[i]["iteration"] != strconv.Itoa(c.Iteration) || keep[i]["keep"] != strconv.FormatBool(c.Keep) {
			t.Errorf("keep row %d: %v, want iteration %d keep %v", i, keep[i], c.Iteration, c.Keep)
		}
	}

	// Grid: crop_a × the chosen criterion, every value, the best outlined.
	g, err := v.Grid(fixtureDatasets[0], crit, statstore.GridOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var cells []map[string]string
	eval(d, `[...document.querySelectorAll('#grid-table td.heat')].map(td => ({...td.dataset}))`, &cells)
	if len(cells) != len(g.Iterations)*len(g.Parameters) {
		t.Fatalf("grid: %d cells, want %d × %d", len(cells), len(g.Iterations), len(g.Parameters))
	}
	for i, c := range cells {
		r, p := i/len(g.Parameters), i%len(g.Parameters)
		want := g.Values[r][p]
		got, err := strconv.ParseFloat(c["value"], 64)
		if err != nil || !(got == want || math.IsNaN(got) && math.IsNaN(want)) || c["best"] != strconv.FormatBool(g.Best[r] == p) {
			t.Errorf("grid cell %d,%d: %v, want value %v best %v", r, p, c, want, g.Best[r] == p)
		}
	}
	var stability string
	eval(d, `document.querySelector('#grid-stability').textContent`, &stability)
	if want := fmt.Sprintf("best changed %d of %d steps", g.BestChanges, g.Steps); !strings.Contains(stability, want) {
		t.Errorf("stability %q, want it to say %q", stability, want)
	}

	// The choice on crop_a: every dataset × criterion with its gap.
	sel, err := v.Select(statstore.SelectOn{Dataset: fixtureDatasets[0], Criterion: crit, HeldOut: fixtureDatasets[1:]})
	if err != nil {
		t.Fatal(err)
	}
	var lines []map[string]string
	eval(d, `[...document.querySelectorAll('#select-table tbody tr')].map(tr => ({...tr.dataset}))`, &lines)
	if len(lines) != len(sel.Lines) {
		t.Fatalf("choice table: %d rows, want %d", len(lines), len(sel.Lines))
	}
	for i, l := range sel.Lines {
		got, err := strconv.ParseFloat(lines[i]["gap"], 64)
		if err != nil || lines[i]["dataset"] != l.Dataset || lines[i]["criterion"] != l.Criterion || !(got == l.Gap || math.IsNaN(got) && math.IsNaN(l.Gap)) {
			t.Errorf("choice row %d: %v, want %s %s gap %v", i, lines[i], l.Dataset, l.Criterion, l.Gap)
		}
	}
	d.screenshot("run-decide")
}

// TestHealthBadgesInBrowser: the runs list shows each run's health (statstore
// check) as a badge, as CheckRun finds it.
func TestHealthBadgesInBrowser(t *testing.T) {
	d := startDashboard(t, httpapi.ServerOptions{})
	d.open("#/")
	d.waitFor(`[...document.querySelectorAll('#runs-table tbody tr')].length === 3 && [...document.querySelectorAll('#runs-table tbody tr')].every(tr => tr.dataset.health !== '')`)
	var rows []map[string]string
	eval(d, `[...document.querySelectorAll('#runs-table tbody tr')].map(tr => ({run: tr.dataset.run, health: tr.dataset.health, kinds: tr.querySelector('.health-badge')?.dataset.kinds || ''}))`, &rows)
	for _, r := range rows {
		rep, err := statstore.CheckRun(context.Background(), d.store, r["run"], statstore.HealthOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, f := range rep.Findings {
			kinds = append(kinds, f.Kind)
		}
		if r["health"] != rep.Worst.String() || r["kinds"] != strings.Join(kinds, " ") {
			t.Errorf("run %s: health %q badge %q, want %s %v", r["run"], r["health"], r["kinds"], rep.Worst, kinds)
		}
	}
	d.screenshot("runs-health")
}
