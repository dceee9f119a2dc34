package ui

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/httpapi"
)

// supersededTitle is the tooltip of a superseded checkpoint.
const supersededTitle = "superseded: weights overwritten by a resumed training"

// checkpointRow is one row of the validated-checkpoints table.
type checkpointRow struct {
	Iteration  int
	Superseded bool
	Class      string
	Title      string
	Color      string    // the computed text colour of the row's heading
	Values     []float64 // the cells' data-value: per dataset, then the mean
}

// checkpointRows reads the validated-checkpoints table of the run view.
func (d *dashboard) checkpointRows() []checkpointRow {
	d.t.Helper()
	var raw []struct {
		Iteration, Superseded, Class, Title, Color string
		Values                                     []string
	}
	eval(d, `[...document.querySelectorAll('#checkpoints-table tbody tr')].map(tr => ({
		Iteration: tr.dataset.iteration, Superseded: tr.dataset.superseded, Class: tr.className,
		Title: tr.title, Color: getComputedStyle(tr.querySelector('th')).color,
		Values: [...tr.querySelectorAll('td[data-value]')].map(td => td.dataset.value),
	}))`, &raw)
	rows := make([]checkpointRow, len(raw))
	for i, r := range raw {
		it, err := strconv.Atoi(r.Iteration)
		if err != nil {
			d.t.Fatalf("checkpoints row %d: data-iteration %q, want an integer", i, r.Iteration)
		}
		rows[i] = checkpointRow{Iteration: it, Superseded: r.Superseded == "true", Class: r.Class, Title: r.Title, Color: r.Color}
		for _, v := range r.Values {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				d.t.Fatalf("checkpoints row %d: data-value %q, want a number", it, v)
			}
			rows[i].Values = append(rows[i].Values, f)
		}
	}
	return rows
}

// rowIterations lists the iterations of rows, in table order.
func rowIterations(rows []checkpointRow) []int {
	out := make([]int, len(rows))
	for i, r := range rows {
		out[i] = r.Iteration
	}
	return out
}

// bestOverParameters is the score of criterion c on dataset d at one
// checkpoint as the checkpoints table shows it: the best over parameter
// sets, NaN skipped.
func bestOverParameters(v *statstore.ValidationScores, e statstore.ValidationIterationScores, d, c int) float64 {
	best := math.NaN()
	hib := v.EvaluationScores[c].HigherIsBetter
	for _, p := range e.Scores[d] {
		x := p[c]
		if !math.IsNaN(x) && (math.IsNaN(best) || hib && x > best || !hib && x < best) {
			best = x
		}
	}
	return best
}

// text returns the text of the element matching sel ("" when absent or
// hidden).
func (d *dashboard) text(sel string) string {
	d.t.Helper()
	var s string
	eval(d, fmt.Sprintf(`(() => { const el = document.querySelector(%q); return el && !el.hidden && el.offsetParent !== null ? el.textContent : ""; })()`, sel), &s)
	return s
}

// setIncludeSuperseded sets the "include superseded" preference for the
// views opened next, as the toggle saves it.
func (d *dashboard) setIncludeSuperseded(include bool) {
	d.t.Helper()
	var ok bool
	eval(d, fmt.Sprintf(`(() => {
		const p = JSON.parse(localStorage.getItem('statstore.prefs') || '{}');
		localStorage.setItem('statstore.prefs', JSON.stringify({ ...p, includeSuperseded: %t }));
		return true;
	})()`, include), &ok)
}

// TestDashboardSuperseded opens a run that was resumed from checkpoint 2000
// after 3000 had been validated: 3000 is listed greyed, left out of the
// plots, the best report and the compare view until "include superseded" is
// ticked; validation events merge by iteration; a training rewind marks the
// later checkpoints superseded without reloading the page.
func TestDashboardSuperseded(t *testing.T) {
	d := startDashboard(t, httpapi.ServerOptions{})
	storeResumedRun(t, d.store)
	ctx := context.Background()
	datasets := len(fixtureDatasets)
	params := len(fixtureThresholds)
	const superseded = 3000
	names := func(cells []bestCell, it int) bool {
		return slices.ContainsFunc(cells, func(c bestCell) bool { return c.Iteration == strconv.Itoa(it) })
	}

	t.Run("superseded checkpoint left out by default", func(t *testing.T) {
		d.t = t
		d.open("#/run/" + resumedRun)
		d.waitFor(`document.querySelector('#checkpoints[data-state="ready"]') !== null`)
		d.waitFor(`document.querySelector('#validation-charts[data-state="ready"]') !== null`)
		d.waitFor(`document.querySelector('#best[data-state="ready"][data-include="false"]') !== null`)

		rows := d.checkpointRows()
		if got := rowIterations(rows); !slices.Equal(got, []int{3000, 2000, 1000, 0}) {
			t.Fatalf("checkpoints table rows %v, want every validated checkpoint, newest first: [3000 2000 1000 0]", got)
		}
		for _, r := range rows {
			old := r.Iteration == superseded
			if r.Superseded != old || strings.Contains(r.Class, "superseded") != old || (r.Title == supersededTitle) != old {
				t.Errorf("checkpoint %d: superseded %t, class %q, title %q; want superseded %t with the tooltip %q",
					r.Iteration, r.Superseded, r.Class, r.Title, old, supersededTitle)
			}
		}
		if rows[0].Color == rows[1].Color {
			t.Errorf("superseded checkpoint drawn in %s like the others, want it greyed", rows[0].Color)
		}
		if got := d.text("#superseded-note"); got != "1 superseded left out" {
			t.Errorf("validation note %q, want %q", got, "1 superseded left out")
		}
		if got := d.text("#best-superseded-note"); got != "1 superseded left out" {
			t.Errorf("best report note %q, want %q (the server's Statstore-Superseded-Left-Out)", got, "1 superseded left out")
		}
		if cells := d.checkBestTableIncluding(resumedRun, false); names(cells, superseded) {
			t.Errorf("best table names checkpoint %d, whose weights the resumed training overwrote", superseded)
		}
		var charts []map[string]string
		eval(d, `[...document.querySelectorAll('#validation-charts .chart')].map(el => ({...el.dataset}))`, &charts)
		if len(charts) != datasets {
			t.Fatalf("%d validation charts, want one per dataset (%d)", len(charts), datasets)
		}
		for i, c := range charts {
			if c["points"] != "3" || c["superseded"] != "0" {
				t.Errorf("validation chart %d: %s checkpoints, %s superseded points; want 3 and 0", i, c["points"], c["superseded"])
			}
		}
		if got := d.text("#superseded-legend"); got != "" {
			t.Errorf("legend of superseded points shown (%q) while they are left out", got)
		}
		d.screenshot("run-superseded")
	})

	t.Run("include superseded", func(t *testing.T) {
		d.t = t
		d.run("tick include superseded", chromedp.Click(chromedp.CSS("#include-superseded")))
		d.waitFor(`document.querySelector('#best[data-state="ready"][data-include="true"]') !== null`)
		cells := d.checkBestTableIncluding(resumedRun, true)
		if !names(cells, superseded) {
			t.Fatalf("with superseded included, the best table never names checkpoint %d (the best of every criterion): %v", superseded, cells)
		}
		var greyed []string
		eval(d, fmt.Sprintf(`[...document.querySelectorAll('#best-table .best-cell[data-iteration="%d"]')].map(td => td.className + "|" + td.title)`, superseded), &greyed)
		for _, g := range greyed {
			if g != "best-cell superseded|"+supersededTitle {
				t.Errorf("best cell at the superseded checkpoint: class|title %q, want it greyed with the tooltip", g)
			}
		}
		if got := d.text("#superseded-note"); got != "1 superseded included" {
			t.Errorf("validation note %q, want %q", got, "1 superseded included")
		}
		if got := d.text("#best-superseded-note"); got != "" {
			t.Errorf("best report note %q, want none: nothing was left out", got)
		}
		if got := d.text("#superseded-legend"); got != supersededTitle {
			t.Errorf("legend of the hollow points %q, want %q", got, supersededTitle)
		}
		var charts []map[string]string
		eval(d, `[...document.querySelectorAll('#validation-charts .chart')].map(el => ({...el.dataset}))`, &charts)
		for i, c := range charts {
			if c["points"] != "4" || c["superseded"] != strconv.Itoa(params) {
				t.Errorf("validation chart %d: %s checkpoints, %s superseded points; want 4, and a hollow point per parameter set (%d)", i, c["points"], c["superseded"], params)
			}
		}
		d.screenshot("run-superseded-included")

		// The choice is kept like the other preferences.
		d.run("reload", chromedp.Reload())
		d.waitFor(`document.querySelector('#best[data-state="ready"]') !== null`)
		var checked bool
		eval(d, `document.querySelector('#include-superseded').checked`, &checked)
		if !checked || d.attrText("#best", "include") != "true" {
			t.Errorf("after a reload: include superseded ticked %t, best table including them %q; want the choice kept", checked, d.attrText("#best", "include"))
		}
	})

	t.Run("compare view", func(t *testing.T) {
		d.t = t
		v, err := d.store.RetrieveValidationScores(ctx, resumedRun)
		if err != nil {
			t.Fatal(err)
		}
		d.open("#/compare?run=" + resumedRun)
		d.waitFor(`document.querySelector('#criterion-chart[data-state="ready"] canvas') !== null`)
		if p, s := d.attrText("#criterion-chart", "points"), d.attrText("#criterion-chart", "superseded"); p != "4" || s != "1" {
			t.Errorf("compare chart with superseded included: %s checkpoints, %s superseded points; want 4 and 1", p, s)
		}
		if got := d.attrText("#compare-table tbody tr", "iteration"); got != strconv.Itoa(v.BestReportIncluding(true).OverDatasets[0].Iteration) {
			t.Errorf("compare table names checkpoint %s with superseded included, want the best report's", got)
		}
		d.run("untick include superseded", chromedp.Click(chromedp.CSS("#include-superseded")))
		d.waitFor(`document.querySelector('#criterion-chart[data-state="ready"][data-superseded="0"]') !== null`)
		if p := d.attrText("#criterion-chart", "points"); p != "3" {
			t.Errorf("compare chart: %s checkpoints, want 3 (superseded left out)", p)
		}
		want := v.BestReport().OverDatasets[0]
		d.waitFor(fmt.Sprintf(`document.querySelector('#compare-table tbody tr')?.dataset.iteration === %q`, strconv.Itoa(want.Iteration)))
		if want.Iteration == superseded {
			t.Fatalf("the store's best report names the superseded checkpoint %d", superseded)
		}
		if got := d.text("#superseded-note"); got != "1 superseded left out" {
			t.Errorf("compare note %q, want %q", got, "1 superseded left out")
		}
		d.screenshot("compare-superseded")
	})

	c, err := httpapi.NewClient(d.baseURL, httpapi.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	meta := fixtureMetadata()
	// revalidate stores new scores for one checkpoint through the API (a
	// validation event, action "merge") and returns the chosen criterion's
	// (the first) per dataset, as the checkpoints table shows them.
	revalidate := func(t *testing.T, it int, seed uint64) []float64 {
		t.Helper()
		v := fixtureValidation(t, it, it+1, 1, 300, seed)
		m, err := c.MergeValidationScores(ctx, resumedRun, v)
		if err != nil || !slices.Equal(m.Replaced, []int{it}) {
			t.Fatalf("re-validate %d: %v, %v; want it replaced", it, m, err)
		}
		var want []float64
		for ds := range meta.Datasets {
			want = append(want, bestOverParameters(v, v.Scores[0], ds, 0))
		}
		return want
	}
	checkRows := func(t *testing.T, what string, wantSuperseded map[int]bool) []checkpointRow {
		t.Helper()
		rows := d.checkpointRows()
		if got := rowIterations(rows); !slices.Equal(got, []int{3000, 2000, 1000, 0}) {
			t.Fatalf("%s: checkpoints table rows %v, want one row per iteration: [3000 2000 1000 0]", what, got)
		}
		for _, r := range rows {
			if r.Superseded != wantSuperseded[r.Iteration] {
				t.Errorf("%s: checkpoint %d superseded %t, want %t", what, r.Iteration, r.Superseded, wantSuperseded[r.Iteration])
			}
		}
		return rows
	}

	t.Run("validation event merges by iteration", func(t *testing.T) {
		d.t = t
		d.setIncludeSuperseded(false)
		d.open("#/run/" + resumedRun)
		d.waitFor(`document.querySelector('#checkpoints[data-state="ready"]') !== null && document.querySelector('#live.live') !== null`)
		if got := d.text("#superseded-note"); got != "1 superseded left out" {
			t.Fatalf("validation note %q, want %q", got, "1 superseded left out")
		}
		// A checkpoint validated again with other scores: its row changes in place.
		want := revalidate(t, 1000, 11)
		d.waitFor(fmt.Sprintf(`document.querySelector('#checkpoints-table tr[data-iteration="1000"] td[data-value]')?.dataset.value === %q`,
			strconv.FormatFloat(want[0], 'g', -1, 64)))
		rows := checkRows(t, "after re-validating 1000", map[int]bool{3000: true})
		if got := rows[2].Values[:datasets]; !slices.Equal(got, want) {
			t.Errorf("row 1000 after re-validation %v, want the new scores %v", got, want)
		}
		// The superseded checkpoint validated again: current again, the note goes.
		want = revalidate(t, superseded, 12)
		d.waitFor(`document.querySelector('#checkpoints-table tr[data-iteration="3000"]')?.dataset.superseded === "false"`)
		rows = checkRows(t, "after re-validating 3000", nil)
		if got := rows[0].Values[:datasets]; !slices.Equal(got, want) {
			t.Errorf("row 3000 after re-validation %v, want the new scores %v", got, want)
		}
		d.waitFor(`document.querySelector('#superseded-note').hidden`)
		d.waitFor(`document.querySelector('#last-validated').textContent === "3,000" && document.querySelector('#validations').textContent === "4"`)
		d.waitFor(`document.querySelector('#validation-charts .chart')?.dataset.points === "4"`)
		d.waitFor(`document.querySelector('#best-table .best-cell[data-iteration="3000"]') !== null`)
		d.checkBestTableIncluding(resumedRun, false)
	})

	t.Run("mergeValidation", func(t *testing.T) {
		d.t = t
		// The page's merge of a validation event, on entries tagged by score.
		var got map[string]string
		eval(d, `import('./js/validation.js').then(m => {
			const meta = { datasets: ['a'], parameters: [{ name: 'p' }], criteria: [{ name: 'dice' }] };
			const e = (iteration, x, superseded = false) => ({ iteration, scores: [[[x]]], superseded });
			const v = { ...meta, scores: [e(0, 1), e(1000, 2, true), e(2000, 3)] };
			const show = (r) => r.scores.map(s => s.iteration + '=' + s.scores[0][0][0] + (s.superseded ? 's' : '')).join(' ');
			const before = show(v);
			const out = {
				merge: show(m.mergeValidation(v, { action: 'merge', ...meta, scores: [e(3000, 5), e(1000, 4), e(500, 6)] })),
				olderReplace: show(m.mergeValidation(v, { action: 'replace', ...meta, scores: [e(1000, 4), e(0, 7)] })),
				olderAppend: show(m.mergeValidation(v, { action: 'append', ...meta, scores: [e(3000, 5)] })),
				first: show(m.mergeValidation(null, { action: 'merge', ...meta, scores: [e(800, 8), e(400, 9)] })),
				otherMetadata: show(m.mergeValidation(v, { action: 'merge', ...meta, datasets: ['b'], scores: [e(800, 8)] })),
			};
			out.unchanged = String(show(v) === before);
			return out;
		})`, &got, chromedp.EvalAwaitPromise)
		want := map[string]string{
			"merge":         "0=1 500=6 1000=4 2000=3 3000=5",
			"olderReplace":  "0=7 1000=4",
			"olderAppend":   "0=1 1000=2s 2000=3 3000=5",
			"first":         "400=9 800=8",
			"otherMetadata": "800=8",
			"unchanged":     "true",
		}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("mergeValidation %s: %q, want %q", k, got[k], w)
			}
		}
	})

	t.Run("training rewind marks checkpoints superseded", func(t *testing.T) {
		d.t = t
		stored, err := d.store.RetrieveTrainingStats(ctx, resumedRun)
		if err != nil {
			t.Fatal(err)
		}
		// Resumed again, from checkpoint 1000: 2000 and 3000 are overwritten.
		resumed := &statstore.TrainingStats{IterationStats: slices.Concat(
			stored.IterationStats[:1000], fixtureTraining(t, 1000, 1500, 20_000, 13).IterationStats)}
		if err := c.StoreTrainingStats(ctx, resumedRun, resumed); err != nil {
			t.Fatal(err)
		}
		d.waitFor(`document.querySelector('#checkpoints-table tr[data-iteration="2000"]')?.dataset.superseded === "true"`)
		checkRows(t, "after resuming from 1000", map[int]bool{2000: true, 3000: true})
		d.waitFor(`document.querySelector('#superseded-note')?.textContent === "2 superseded left out"`)
		d.waitFor(`document.querySelector('#trained-until').textContent === "1,500"`)
		d.screenshot("run-rewound")
	})
}
