package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/httpapi"
)

// browserTimeout bounds a whole browser test, so that a hung browser fails
// the test instead of hanging CI. It is a guard, not a performance bound.
const browserTimeout = 4 * time.Minute

// pollTimeout bounds one wait for the page, for a readable failure instead
// of the whole test's deadline. It is a guard, not a performance bound.
const pollTimeout = time.Minute

// envScreenshots names a directory to keep the screenshots in; without it
// they go to the test's temporary directory.
const envScreenshots = "STATSTORE_SCREENSHOTS"

// recorder remembers the API requests for training stats the dashboard made:
// the GETs of one run's, and the bodies of the batched compare requests.
type recorder struct {
	mu       sync.Mutex
	training []*url.URL
	buckets  []*url.URL // GET …/training/buckets
	compare  []compareRequest
}

// compareRequest is the body of a POST /api/v1/compare/training or
// /compare/training/buckets.
type compareRequest struct {
	Runs      []string `json:"runs"`
	MaxPoints int      `json:"max_points"`
	Buckets   int      `json:"buckets"`
}

func (rc *recorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/training") {
			rc.mu.Lock()
			rc.training = append(rc.training, r.URL)
			rc.mu.Unlock()
		}
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/training/buckets") {
			rc.mu.Lock()
			rc.buckets = append(rc.buckets, r.URL)
			rc.mu.Unlock()
		}
		if r.Method == http.MethodPost && (r.URL.Path == "/api/v1/compare/training" || r.URL.Path == "/api/v1/compare/training/buckets") {
			body, err := io.ReadAll(r.Body)
			var req compareRequest
			if err == nil && json.Unmarshal(body, &req) == nil {
				rc.mu.Lock()
				rc.compare = append(rc.compare, req)
				rc.mu.Unlock()
			}
			r.Body = io.NopCloser(strings.NewReader(string(body)))
		}
		h.ServeHTTP(w, r)
	})
}

func (rc *recorder) compareRequests() []compareRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]compareRequest(nil), rc.compare...)
}

func (rc *recorder) bucketRequests() []*url.URL {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]*url.URL(nil), rc.buckets...)
}

func (rc *recorder) trainingRequests() []*url.URL {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]*url.URL(nil), rc.training...)
}

// dashboard is a real server (the API and the UI) over the fixture store,
// and a headless Chromium tab.
type dashboard struct {
	t       *testing.T
	store   statstore.StatsStore
	baseURL string
	rec     *recorder
	ctx     context.Context
	shots   string
}

func startDashboard(t *testing.T, opts httpapi.ServerOptions) *dashboard {
	t.Helper()
	chromiumPath(t) // skip or fail before building the store
	return startDashboardOver(t, newFixtureStore(t), opts, nil)
}

// startDashboardOver is startDashboard over store; extra, when not nil,
// wraps the API handler (a test's own routes).
func startDashboardOver(t *testing.T, store statstore.StatsStore, opts httpapi.ServerOptions, extra func(http.Handler) http.Handler) *dashboard {
	t.Helper()
	chrome := chromiumPath(t)
	opts.UI = Handler()
	srv := httpapi.NewServer(store, opts)
	var api http.Handler = srv
	if extra != nil {
		api = extra(api)
	}
	rec := &recorder{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen on 127.0.0.1: %v", err)
	}
	hs := &httptest.Server{Listener: ln, Config: httpapi.NewHTTPServer("", rec.wrap(api))}
	hs.Start()
	t.Cleanup(func() {
		srv.Close()
		hs.Close()
	})

	ctx := startChromium(t, chrome, browserTimeout)
	shots := os.Getenv(envScreenshots)
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatalf("screenshot directory: %v", err)
	}
	return &dashboard{t: t, store: store, baseURL: hs.URL, rec: rec, ctx: ctx, shots: shots}
}

// run runs browser actions, failing the test with what was being done.
func (d *dashboard) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	d.t.Helper()
	if err := chromedp.Do(d.ctx, actions...); err != nil {
		d.t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression into out (a pointer).
func eval[T any](d *dashboard, expr string, out *T, opts ...chromedp.EvaluateOption) {
	d.t.Helper()
	v, err := chromedp.Run(d.ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		d.t.Fatalf("evaluate %s: %v", expr, err)
	}
	*out = v
}

// waitFor waits until the JavaScript condition holds.
func (d *dashboard) waitFor(cond string) {
	d.t.Helper()
	d.run("wait for "+cond, chromedp.Poll[chromedp.Void](cond,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(pollTimeout)))
}

// screenshot saves a full-page PNG named name.
func (d *dashboard) screenshot(name string) {
	d.t.Helper()
	png, err := chromedp.Run(d.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		d.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(d.shots, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		d.t.Fatalf("save screenshot: %v", err)
	}
	d.t.Logf("screenshot: %s", path)
}

// open shows the dashboard at fragment: a new fragment of the loaded page
// (as following a link does), or a fresh load.
func (d *dashboard) open(fragment string) {
	d.t.Helper()
	var loaded bool
	eval(d, fmt.Sprintf(`document.body?.dataset.view !== undefined && location.origin === %q`, d.baseURL), &loaded)
	if !loaded {
		d.run("open "+fragment, chromedp.Navigate(d.baseURL+"/"+fragment))
		return
	}
	eval(d, fmt.Sprintf(`(location.hash = %q, true)`, fragment), &loaded)
}

// countEntries fetches a recorded training URL again and counts the entries.
func (d *dashboard) countEntries(u *url.URL) int {
	d.t.Helper()
	resp, err := http.Get(d.baseURL + u.RequestURI())
	if err != nil {
		d.t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		d.t.Fatalf("GET %s: status %d, %v", u, resp.StatusCode, err)
	}
	var out struct {
		IterationStats []json.RawMessage `json:"iteration_stats"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		d.t.Fatalf("GET %s: %v", u, err)
	}
	return len(out.IterationStats)
}

// checkSubsampled checks that every training request since index from asked
// for a subsample (never the whole history) and got at most max_points
// entries; it returns the entries of the last one that asked for chartMax
// points (the chart's, not the 2-point requests for the last loss).
func (d *dashboard) checkSubsampled(from, chartMax int) (last int) {
	d.t.Helper()
	reqs := d.rec.trainingRequests()
	if len(reqs) <= from {
		d.t.Fatalf("the dashboard made no training request (want subsample requests with max_points)")
	}
	for _, u := range reqs[from:] {
		q := u.Query()
		mp, err := strconv.Atoi(q.Get("max_points"))
		if err != nil || mp < 2 {
			d.t.Fatalf("training request %s: max_points=%q, want every request subsampled", u, q.Get("max_points"))
		}
		n := d.countEntries(u)
		if n > mp {
			d.t.Errorf("training request %s: %d entries, want at most max_points=%d", u, n, mp)
		}
		if mp == chartMax {
			last = n
		}
	}
	return last
}

// attrText reads a data attribute of the element matching sel.
func (d *dashboard) attrText(sel, attr string) string {
	d.t.Helper()
	var s string
	eval(d, fmt.Sprintf(`document.querySelector(%q)?.dataset[%q] || ""`, sel, attr), &s)
	return s
}

// attrInt reads an integer data attribute of the element matching sel.
func (d *dashboard) attrInt(sel, attr string) int {
	d.t.Helper()
	s := d.attrText(sel, attr)
	n, err := strconv.Atoi(s)
	if err != nil {
		d.t.Fatalf("%s data-%s = %q, want an integer", sel, attr, s)
	}
	return n
}

// bestCell is one cell of the best table, from its data attributes.
type bestCell struct {
	Dataset    string `json:"dataset"`
	Mean       string `json:"mean"`
	Criterion  string `json:"criterion"`
	Iteration  string `json:"iteration"`
	Parameters string `json:"parameters"`
	Value      string `json:"value"`
}

// waitForBestTable waits until the best table shows the store's best
// report of run (every cell's iteration and parameters). After a validation
// event the dashboard redraws the charts at once but fetches the server's
// best report up to a second later (throttled), so a test that read the
// table as soon as the charts changed compared the report with the old
// table. A table that never matches is left to checkBestTable to describe.
func (d *dashboard) waitForBestTable(run string) {
	d.t.Helper()
	v, err := d.store.RetrieveValidationScores(context.Background(), run)
	if err != nil {
		d.t.Fatalf("RetrieveValidationScores(%s): %v", run, err)
	}
	report := v.BestReportIncluding(false)
	want := map[string][2]string{}
	add := func(b statstore.Best, mean bool) {
		it, params := "", ""
		if b.Found {
			it, params = strconv.Itoa(b.Iteration), b.Parameters
		}
		want[fmt.Sprintf("%t/%s/%s", mean, b.Dataset, b.Criterion)] = [2]string{it, params}
	}
	for _, b := range report.PerDataset {
		add(b, false)
	}
	for _, b := range report.OverDatasets {
		add(b, true)
	}
	js, err := json.Marshal(want)
	if err != nil {
		d.t.Fatal(err)
	}
	cond := fmt.Sprintf(`(() => {
		const want = %s;
		const cells = [...document.querySelectorAll('#best-table .best-cell')];
		return cells.length === %d && cells.every((td) => {
			const w = want[td.dataset.mean + '/' + td.dataset.dataset + '/' + td.dataset.criterion];
			return w !== undefined && td.dataset.iteration === w[0] && td.dataset.parameters === w[1];
		});
	})()`, js, len(want))
	// A timeout is not reported here: checkBestTable says what differs.
	_, _ = chromedp.Run(d.ctx, chromedp.Poll[chromedp.Void](cond,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(pollTimeout)))
}

// checkBestTable compares the best table with the store's best report.
func (d *dashboard) checkBestTable(run string) {
	d.t.Helper()
	d.checkBestTableIncluding(run, false)
}

// checkBestTableIncluding compares the best table with the store's best
// report, superseded checkpoints taken into account when superseded is true,
// and returns the table's cells.
func (d *dashboard) checkBestTableIncluding(run string, superseded bool) []bestCell {
	d.t.Helper()
	v, err := d.store.RetrieveValidationScores(context.Background(), run)
	if err != nil {
		d.t.Fatalf("RetrieveValidationScores(%s): %v", run, err)
	}
	report := v.BestReportIncluding(superseded)
	var cells []bestCell
	eval(d, `[...document.querySelectorAll('#best-table .best-cell')].map(td => ({...td.dataset}))`, &cells)
	if want := len(report.PerDataset) + len(report.OverDatasets); len(cells) != want {
		d.t.Fatalf("best table of %s has %d cells, want %d (the best report's lines)", run, len(cells), want)
	}
	byKey := map[string]bestCell{}
	for _, c := range cells {
		byKey[c.Mean+"/"+c.Dataset+"/"+c.Criterion] = c
	}
	check := func(b statstore.Best, mean bool) {
		key := fmt.Sprintf("%t/%s/%s", mean, b.Dataset, b.Criterion)
		c, ok := byKey[key]
		if !ok {
			d.t.Errorf("best table has no cell for %s", key)
			return
		}
		wantIt, wantParams := "", ""
		if b.Found {
			wantIt, wantParams = strconv.Itoa(b.Iteration), b.Parameters
		}
		got, err := strconv.ParseFloat(c.Value, 64)
		sameValue := err == nil && (got == b.Value || math.IsNaN(got) && math.IsNaN(b.Value))
		if c.Iteration != wantIt || c.Parameters != wantParams || !sameValue {
			d.t.Errorf("best table %s: iteration %q, parameters %q, value %q; want %q, %q, %v",
				key, c.Iteration, c.Parameters, c.Value, wantIt, wantParams, b.Value)
		}
	}
	for _, b := range report.PerDataset {
		check(b, false)
	}
	for _, b := range report.OverDatasets {
		check(b, true)
	}
	return cells
}

func TestDashboardInBrowser(t *testing.T) {
	d := startDashboard(t, httpapi.ServerOptions{})

	t.Run("runs list", func(t *testing.T) {
		d.t = t
		d.open("#/")
		d.waitFor(`document.querySelector('#runs-table[data-state="ready"]') !== null`)
		var rows []map[string]string
		eval(d, `[...document.querySelectorAll('#runs-table tbody tr')].map(tr => ({
			run: tr.dataset.run,
			trained: tr.querySelector('[data-field="trained_until"]').textContent,
			validated: tr.querySelector('[data-field="last_validated"]').textContent,
			best: tr.querySelector('[data-field="best"]').dataset.value || "",
		}))`, &rows)
		if len(rows) != 3 {
			t.Fatalf("runs table has %d rows, want 3: %v", len(rows), rows)
		}
		var big map[string]string
		for _, r := range rows {
			if r["run"] == bigRun {
				big = r
			}
		}
		if big == nil {
			t.Fatalf("runs table has no row for %s: %v", bigRun, rows)
		}
		// The last validated checkpoint, not validated-until (one more).
		if big["trained"] != "1,000,000" || big["validated"] != "990,000" {
			t.Errorf("%s row: trained until %q, last validated %q; want 1,000,000 and 990,000", bigRun, big["trained"], big["validated"])
		}
		// The default column is the first dataset × criterion of the run
		// summaries (dice on the first dataset).
		v, err := d.store.RetrieveValidationScores(context.Background(), bigRun)
		if err != nil {
			t.Fatal(err)
		}
		want := v.BestReport().PerDataset[0]
		if got, err := strconv.ParseFloat(big["best"], 64); err != nil || got != want.Value {
			t.Errorf("%s best %s on %s = %q, want %v", bigRun, want.Criterion, want.Dataset, big["best"], want.Value)
		}
		// The list is drawn from the summaries: it reads no history.
		if reqs := d.rec.trainingRequests(); len(reqs) != 0 {
			t.Errorf("the runs list made %d training requests (first %s), want none: summaries carry the last loss", len(reqs), reqs[0])
		}

		d.run("filter runs", chromedp.SendKeys(chromedp.CSS("#run-filter"), "unet"))
		// Every key typed redraws the table (its input event): wait for the
		// last one, or a late redraw replaces the checkbox being clicked
		// ("Could not find node with given id").
		d.waitFor(`document.querySelector('#run-filter').value === "unet" && document.querySelectorAll('#runs-table tbody tr').length === 2`)
		d.screenshot("runs")

		// Select both unet runs and compare them.
		d.run("select runs",
			chromedp.Click(chromedp.CSS(`#runs-table thead input[type="checkbox"]`)),
			chromedp.Click(chromedp.CSS(`#compare-selected`)))
		d.waitFor(`document.body.dataset.view === "compare"`)
		var hash string
		eval(d, `decodeURIComponent(location.hash)`, &hash)
		if !strings.Contains(hash, "run="+bigRun) || !strings.Contains(hash, "run="+smallRun) {
			t.Errorf("compare view opened at %q, want both %s and %s", hash, bigRun, smallRun)
		}
	})

	t.Run("run view", func(t *testing.T) {
		d.t = t
		before := len(d.rec.trainingRequests())
		start := time.Now()
		d.open("#/run/" + bigRun)
		d.waitFor(`document.querySelector('#loss-chart[data-state="ready"] canvas') !== null`)
		d.waitFor(`document.querySelector('#validation-charts[data-state="ready"]') !== null`)
		d.waitFor(`document.querySelector('#best[data-state="ready"]') !== null`)
		t.Logf("run view of a %d-iteration run drawn %v after navigating (informational)", bigRunIters, time.Since(start))
		// The loss is drawn from buckets (M4: at most 4 points each); the
		// only training reads are 2-point subsamples (the last loss).
		points, buckets := d.attrInt("#loss-chart", "points"), d.attrInt("#loss-chart", "maxPoints")
		d.checkSubsampled(before, 2)
		if points > 4*buckets || points < 2 {
			t.Errorf("loss chart draws %d points, want at most 4 per bucket of %d", points, buckets)
		}
		d.checkBuckets(bigRun)
		var canvases int
		eval(d, `document.querySelectorAll('#validation-charts canvas').length`, &canvases)
		if canvases != len(fixtureDatasets) {
			t.Errorf("validation charts: %d canvases, want one per dataset (%d)", canvases, len(fixtureDatasets))
		}
		if n := d.attrInt("#validation-charts .chart", "points"); n != 100 {
			t.Errorf("validation chart draws %d checkpoints, want 100", n)
		}
		d.checkBestTable(bigRun)
		d.screenshot("run")

		// Best over parameter sets: one chart, a line per dataset and the mean.
		setMode := `(() => { const s = document.querySelector('#param-mode'); s.value = %q; s.dispatchEvent(new Event('change')); return true; })()`
		var ok bool
		eval(d, fmt.Sprintf(setMode, "best"), &ok)
		d.waitFor(`document.querySelectorAll('#validation-charts canvas').length === 1`)
		var legend []string
		eval(d, `[...document.querySelectorAll('#validation-charts .u-legend .u-series th')].slice(1).map(th => th.textContent.trim())`, &legend)
		if want := strings.Join(append(append([]string{}, fixtureDatasets...), "mean over datasets"), ","); strings.Join(legend, ",") != want {
			t.Errorf("best-over-parameter-sets chart lines %v, want %s", legend, want)
		}
		d.screenshot("run-best-over-parameters")
		eval(d, fmt.Sprintf(setMode, "each"), &ok)
		d.waitFor(`document.querySelectorAll('#validation-charts canvas').length === 2`)
	})

	t.Run("zoom fetches the range", func(t *testing.T) {
		d.t = t
		before := len(d.rec.bucketRequests())
		d.dragLoss(0.40, 0.50)
		d.waitFor(`(document.querySelector('#loss-chart[data-state="ready"]')?.dataset.from || "") !== ""`)
		from, to := d.attrInt("#loss-chart", "from"), d.attrInt("#loss-chart", "to")
		if from <= 0 || to <= from || to >= bigRunIters {
			t.Errorf("zoomed to iterations [%d, %d), want a range inside the run", from, to)
		}
		if points, buckets := d.attrInt("#loss-chart", "points"), d.attrInt("#loss-chart", "maxPoints"); points > 4*buckets {
			t.Errorf("zoomed loss chart draws %d points, want at most 4 per bucket of %d", points, buckets)
		}
		reqs := d.rec.bucketRequests()
		if len(reqs) != before+1 || !sameRange(reqs[len(reqs)-1], from, to) {
			t.Errorf("bucket requests after the zoom %v, want one with from=%d&to=%d", reqs[before:], from, to)
		}
		d.screenshot("run-zoomed")

		d.run("reset zoom", chromedp.Click(chromedp.CSS("#reset-zoom")))
		d.waitFor(`document.querySelector('#loss-chart[data-state="ready"]')?.dataset.from === ""`)
		d.checkBuckets(bigRun)
	})

	t.Run("log scale and smoothing", func(t *testing.T) {
		d.t = t
		d.run("log scale", chromedp.Click(chromedp.CSS("#log-scale")))
		d.waitFor(`document.querySelector('#loss-chart[data-state="ready"][data-scale="log"] canvas') !== null`)
		d.run("linear scale", chromedp.Click(chromedp.CSS("#log-scale")))
		d.waitFor(`document.querySelector('#loss-chart[data-state="ready"][data-scale="linear"] canvas') !== null`)

		// The page's EMA is statstore.SmoothEMA.
		values := []float64{0.9, 0.8, math.NaN(), 0.7, math.Inf(1), 0.5, 0.55, 0.4}
		const weight = 0.6
		var got []any
		eval(d, `import('./js/smooth.js').then(m => m.smoothEMA([0.9, 0.8, NaN, 0.7, Infinity, 0.5, 0.55, 0.4], 0.6)
			.map(v => Number.isFinite(v) ? v : String(v)))`, &got, chromedp.EvalAwaitPromise)
		want := statstore.SmoothEMA(values, weight)
		if len(got) != len(want) {
			t.Fatalf("smoothEMA gave %d values, want %d", len(got), len(want))
		}
		for i, w := range want {
			switch g := got[i].(type) {
			case float64:
				if math.Abs(g-w) > 1e-12*math.Abs(w) {
					t.Errorf("smoothEMA[%d] = %v, want %v (statstore.SmoothEMA)", i, g, w)
				}
			case string:
				if g != strconv.FormatFloat(w, 'g', -1, 64) && !(g == "NaN" && math.IsNaN(w)) && !(g == "Infinity" && math.IsInf(w, 1)) {
					t.Errorf("smoothEMA[%d] = %s, want %v (statstore.SmoothEMA)", i, g, w)
				}
			default:
				t.Errorf("smoothEMA[%d] = %v (%T), want a number", i, g, g)
			}
		}
	})

	t.Run("follows training live", func(t *testing.T) {
		d.t = t
		d.waitFor(`document.querySelector('#live.live') !== null`)
		c, err := httpapi.NewClient(d.baseURL, httpapi.ClientOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ctx := context.Background()
		if err := c.StoreTrainingStats(ctx, bigRun, fixtureTraining(t, bigRunIters, bigRunIters+1000, bigRunIters, 9)); err != nil {
			t.Fatalf("store more training: %v", err)
		}
		d.waitFor(`document.querySelector('#trained-until').textContent === "1,001,000"`)
		if err := c.StoreValidationIterationScores(ctx, bigRun, fixtureValidation(t, 1_000_000, 1_000_001, 1, bigRunIters, 9)); err != nil {
			t.Fatalf("store more validation: %v", err)
		}
		d.waitFor(`document.querySelector('#last-validated').textContent === "1,000,000"`)
		d.waitFor(`document.querySelector('#validation-charts .chart')?.dataset.points === "101"`)
		d.waitForBestTable(bigRun)
		d.checkBestTable(bigRun)
	})

	t.Run("compare view", func(t *testing.T) {
		d.t = t
		before, beforeCompare := len(d.rec.trainingRequests()), len(d.rec.compareRequests())
		d.open("#/compare?run=" + bigRun + "&run=" + smallRun)
		d.waitFor(`document.querySelector('#loss-chart[data-state="ready"] canvas') !== null`)
		d.waitFor(`document.querySelector('#criterion-chart[data-state="ready"] canvas') !== null`)
		points, maxPoints := d.attrInt("#loss-chart", "points"), d.attrInt("#loss-chart", "maxPoints")
		// One batched, subsampled request for both runs; none per run.
		if n := len(d.rec.trainingRequests()) - before; n != 0 {
			t.Errorf("compare view made %d training requests of one run, want none (one batched request)", n)
		}
		if reqs := d.rec.compareRequests()[beforeCompare:]; len(reqs) != 1 || len(reqs[0].Runs) != 2 || reqs[0].Buckets != maxPoints {
			t.Errorf("compare requests %+v, want one for both runs' buckets, buckets=%d", reqs, maxPoints)
		}
		if points > 2*4*maxPoints || points < 4 {
			t.Errorf("compare loss chart draws %d points, want 4 to 2 runs × 4 per bucket × %d buckets", points, maxPoints)
		}
		var runs []string
		eval(d, `[...document.querySelectorAll('#compare-table tbody tr')].map(tr => tr.dataset.run)`, &runs)
		if strings.Join(runs, ",") != bigRun+","+smallRun {
			t.Errorf("compare table runs %v, want [%s %s]", runs, bigRun, smallRun)
		}
		var legend []string
		eval(d, `[...document.querySelectorAll('#criterion-chart .u-legend .u-series th')].map(th => th.textContent.trim())`, &legend)
		if !strings.Contains(strings.Join(legend, ","), bigRun) || !strings.Contains(strings.Join(legend, ","), smallRun) {
			t.Errorf("criterion chart legend %v, want a line per run", legend)
		}
		d.screenshot("compare")
	})
}

func TestDashboardAsksForTheToken(t *testing.T) {
	const token = "s3cret"
	d := startDashboard(t, httpapi.ServerOptions{Token: token, TokenForReads: true})
	d.open("#/run/" + bigRun)
	d.waitFor(`document.querySelector('#token') !== null`)
	d.screenshot("token")
	var msg string
	eval(d, `document.querySelector('.token-form .muted').textContent`, &msg)
	if !strings.Contains(msg, "token") {
		t.Errorf("token prompt says %q, want the server's message about the token", msg)
	}
	d.run("enter the token",
		chromedp.SendKeys(chromedp.CSS("#token"), token),
		chromedp.Click(chromedp.CSS(".token-form button[type=submit]")))
	// The API and the event stream (which passes the token in the query) now answer.
	d.waitFor(`document.querySelector('#loss-chart[data-state="ready"] canvas') !== null`)
	d.waitFor(`document.querySelector('#best[data-state="ready"]') !== null`)
	d.waitFor(`document.querySelector('#live.live') !== null`)
}
