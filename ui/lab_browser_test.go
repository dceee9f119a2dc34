package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/httpapi"
	"github.com/statstore/statstore/memstore"
)

// The lab store: 10,000 runs named like DaCapo's,
// seg_<split>_<architecture>_<trainer>__<repetition>.
const (
	labRuns   = 10_000
	labLong   = 20_000 // iterations of the runs a compare shows
	labShort  = 50     // iterations of the others
	labFilter = "_t0__"
)

var labArchitectures = []string{"attn", "resnet", "unet", "vnet"}

// labName is the name of run i of the lab store: 50 splits × 4
// architectures × 10 trainers × 5 repetitions.
func labName(i int) string {
	rep, i := i%5, i/5
	trainer, i := i%10, i/10
	arch, split := i%4, i/4
	return fmt.Sprintf("seg_s%02d_%s_t%d__%d", split, labArchitectures[arch], trainer, rep)
}

// labLongRun reports whether run i is one of the 100 long ones: trainer
// t0 in the first five splits.
func labLongRun(i int) bool {
	return (i/5)%10 == 0 && i/200 < 5
}

// newLabStore returns a memstore of labRuns runs: each trained (the 100
// long runs for labLong iterations, the others for labShort) and validated
// at two checkpoints (one dataset, one parameter set, dice), and the names
// sorted and the long runs' names.
func newLabStore(tb testing.TB) (statstore.StatsStore, []string, []string) {
	tb.Helper()
	ctx := context.Background()
	s := memstore.New(nil)
	tb.Cleanup(func() { s.Close() })
	meta := statstore.Metadata{
		Datasets:         []string{"val"},
		Parameters:       statstore.ThresholdParameters(0.5),
		EvaluationScores: statstore.BinarySegmentationCriteria()[:1],
	}
	var names, long []string
	for i := range labRuns {
		run := labName(i)
		names = append(names, run)
		n := labShort
		if labLongRun(i) {
			n = labLong
			long = append(long, run)
		}
		entries := make([]statstore.TrainingIterationStats, n)
		for it := range entries {
			entries[it] = statstore.TrainingIterationStats{Iteration: it, Loss: 0.05 + math.Exp(-4*float64(it)/float64(n))*(1+0.1*float64(i%7)), Time: 0.2}
		}
		if err := s.StoreTrainingStats(ctx, run, &statstore.TrainingStats{IterationStats: entries}); err != nil {
			tb.Fatalf("store training of %s: %v", run, err)
		}
		v, err := statstore.NewValidationScores(meta)
		if err != nil {
			tb.Fatal(err)
		}
		for k, it := range []int{n / 2, n - 1} {
			dice := 0.5 + 0.1*float64(k) + 0.02*float64(i%13)
			if err := v.AddIterationScores(statstore.ValidationIterationScores{Iteration: it, Scores: [][][]float64{{{dice}}}}); err != nil {
				tb.Fatal(err)
			}
		}
		if err := s.StoreValidationIterationScores(ctx, run, v); err != nil {
			tb.Fatalf("store validation of %s: %v", run, err)
		}
	}
	if len(long) != 100 {
		tb.Fatalf("lab store has %d long runs, want 100", len(long))
	}
	slices.Sort(names)
	return s, names, long
}

// shownRows returns the runs list's rows in the page: index and run.
func (d *dashboard) shownRows() (indexes []int, runs []string) {
	d.t.Helper()
	var rows []struct {
		Index string `json:"index"`
		Run   string `json:"run"`
	}
	eval(d, `[...document.querySelectorAll('#runs-table tbody tr')].map(tr => ({index: tr.dataset.index || '', run: tr.dataset.run || ''}))`, &rows)
	for _, r := range rows {
		i, err := strconv.Atoi(r.Index)
		if err != nil {
			d.t.Fatalf("runs table row %+v has no index", r)
		}
		indexes, runs = append(indexes, i), append(runs, r.Run)
	}
	return indexes, runs
}

// maxDOMRows bounds the rows of a virtual table in the page: those in view
// (a 1000-pixel window) and the few drawn around them.
const maxDOMRows = 80

func TestDashboardAtLabScale(t *testing.T) {
	chromiumPath(t)
	store, names, long := newLabStore(t)
	d := startDashboardOver(t, store, httpapi.ServerOptions{}, nil)

	t.Run("runs list scrolls", func(t *testing.T) {
		d.t = t
		d.open("#/")
		d.waitFor(fmt.Sprintf(`document.querySelector('#runs-table[data-state="ready"][data-total="%d"]') !== null`, labRuns))
		idx, runs := d.shownRows()
		if len(runs) == 0 || len(runs) > maxDOMRows {
			t.Fatalf("runs table holds %d rows of %d runs, want 1 to %d (only those in view)", len(runs), labRuns, maxDOMRows)
		}
		if runs[0] != names[0] || idx[0] != 0 {
			t.Errorf("first row %d %q, want 0 %q (sorted by name)", idx[0], runs[0], names[0])
		}
		d.screenshot("runs-10000")

		// Scroll to the middle: other rows, as few, in order.
		var ok bool
		eval(d, `(() => { const s = document.querySelector('#runs-scroll'); s.scrollTop = s.scrollHeight / 2; return true; })()`, &ok)
		d.waitFor(`Number(document.querySelector('#runs-table').dataset.first) > 4000 && document.querySelector('#runs-table').dataset.state === 'ready'`)
		idx, runs = d.shownRows()
		if len(runs) == 0 || len(runs) > maxDOMRows {
			t.Fatalf("after scrolling the runs table holds %d rows, want 1 to %d", len(runs), maxDOMRows)
		}
		for k, i := range idx {
			if i < 0 || i >= labRuns || runs[k] != names[i] || k > 0 && i != idx[k-1]+1 {
				t.Fatalf("after scrolling row %d is index %d run %q; want consecutive indexes, each the run of that place by name (%q)", k, i, runs[k], names[min(max(i, 0), labRuns-1)])
			}
		}
		if idx[0] < 4500 || idx[0] > 5500 {
			t.Errorf("scrolled half way, the first row drawn is run %d, want about 5000", idx[0])
		}
		// The rows drawn are those in view: the first visible one is at the top of the scroller.
		var gap float64
		eval(d, `(() => { const s = document.querySelector('#runs-scroll').getBoundingClientRect();
			const head = document.querySelector('#runs-table thead').getBoundingClientRect();
			const rows = [...document.querySelectorAll('#runs-table tbody tr')];
			const visible = rows.filter(tr => tr.getBoundingClientRect().bottom > head.bottom + 1 && tr.getBoundingClientRect().top < s.bottom);
			return visible.length ? visible[0].getBoundingClientRect().top - head.bottom : 999; })()`, &gap)
		if gap > 1 || gap < -40 {
			t.Errorf("the first row in view starts %.1f px below the header, want it under the header (within a row)", gap)
		}
		d.screenshot("runs-10000-scrolled")
	})

	t.Run("runs list filters and sorts", func(t *testing.T) {
		d.t = t
		var ok bool
		eval(d, `(() => { document.querySelector('#runs-scroll').scrollTop = 0; return true; })()`, &ok)
		d.run("filter", chromedp.SendKeys(chromedp.CSS("#run-filter"), labFilter))
		want := 0
		for _, n := range names {
			if strings.Contains(n, labFilter) {
				want++
			}
		}
		d.waitFor(fmt.Sprintf(`document.querySelector('#runs-table[data-state="ready"][data-total="%d"]') !== null`, want))
		_, runs := d.shownRows()
		for _, r := range runs {
			if !strings.Contains(r, labFilter) {
				t.Errorf("filtered by %q, the table shows %q", labFilter, r)
			}
		}
		var countText string
		eval(d, `document.querySelector('#runs-count').textContent`, &countText)
		if wantText := fmt.Sprintf("%s of %s runs", fmtThousands(want), fmtThousands(labRuns)); countText != wantText {
			t.Errorf("count says %q, want %q", countText, wantText)
		}
		// Longest first: the 100 long runs lead.
		d.run("sort by trained until", chromedp.Click(chromedp.CSS(`#runs-table th[data-sort="trained"]`)))
		d.waitFor(`document.querySelector('#runs-table th[data-sort="trained"][aria-sort="ascending"]') !== null`)
		d.run("sort by trained until, descending", chromedp.Click(chromedp.CSS(`#runs-table th[data-sort="trained"]`)))
		d.waitFor(`document.querySelector('#runs-table th[data-sort="trained"][aria-sort="descending"]') !== null && document.querySelector('#runs-table').dataset.state === 'ready'`)
		var trained []string
		eval(d, `[...document.querySelectorAll('#runs-table tbody tr [data-field="trained_until"]')].slice(0, 5).map(td => td.textContent)`, &trained)
		if len(trained) == 0 || trained[0] != fmtThousands(labLong) {
			t.Errorf("sorted by trained until, descending: first rows trained %v, want %s first", trained, fmtThousands(labLong))
		}
		d.screenshot("runs-filtered-sorted")
	})

	t.Run("compare of 100 runs draws", func(t *testing.T) {
		d.t = t
		before, beforeCompare := len(d.rec.trainingRequests()), len(d.rec.compareRequests())
		q := url.Values{"run": long}
		d.open("#/compare?" + q.Encode())
		d.waitFor(`document.querySelector('#loss-chart[data-state="ready"] canvas') !== null`)
		d.waitFor(`document.querySelector('#criterion-chart[data-state="ready"] canvas') !== null`)
		var lossSeries, critSeries int
		eval(d, `document.querySelectorAll('#loss-chart .u-legend .u-series:not(.legend-hidden)').length - 1`, &lossSeries)
		eval(d, `document.querySelectorAll('#criterion-chart .u-legend .u-series').length - 1`, &critSeries)
		if lossSeries != 100 || critSeries != 100 || d.attrInt("#loss-chart", "runs") != 100 || d.attrInt("#criterion-chart", "runs") != 100 {
			t.Errorf("compare of 100 runs: %d loss series, %d criterion series (data-runs %s, %s), want 100 each",
				lossSeries, critSeries, d.attrText("#loss-chart", "runs"), d.attrText("#criterion-chart", "runs"))
		}
		maxPoints := d.attrInt("#loss-chart", "maxPoints")
		if points := d.attrInt("#loss-chart", "points"); points > 100*4*maxPoints || points < 200 {
			t.Errorf("compare loss chart draws %d points, want 200 to 100 runs × 4 per bucket × %d buckets", points, maxPoints)
		}
		// The runs list's requests for last losses (max_points=2) may still
		// arrive; the chart's own would ask for a chart's worth.
		for _, u := range d.rec.trainingRequests()[before:] {
			if u.Query().Get("max_points") != "2" {
				t.Errorf("compare of 100 runs made a training request of one run, %s; want one batched request", u)
			}
		}
		if reqs := d.rec.compareRequests()[beforeCompare:]; len(reqs) != 1 || len(reqs[0].Runs) != 100 || reqs[0].Buckets != maxPoints {
			t.Errorf("compare of 100 runs: %d batched requests (%v), want one for the 100 runs' buckets, buckets=%d", len(reqs), reqs, maxPoints)
		}
		var tableRuns []string
		eval(d, `[...document.querySelectorAll('#compare-table tbody tr')].map(tr => tr.dataset.run)`, &tableRuns)
		if !slices.Equal(tableRuns, long) {
			t.Errorf("compare table lists %d runs, want the 100 asked for, in order", len(tableRuns))
		}
		d.screenshot("compare-100")
		var disabled bool
		eval(d, `document.querySelector('#add-run').disabled`, &disabled)
		if !disabled {
			t.Errorf("the run picker of a 100-run compare is enabled, want it disabled (100 is the most)")
		}
	})

	t.Run("run picker searches", func(t *testing.T) {
		d.t = t
		d.open("#/compare?run=" + url.QueryEscape(long[0]))
		d.waitFor(`document.querySelector('#loss-chart[data-state="ready"] canvas') !== null`)
		d.run("search a run", chromedp.Click(chromedp.CSS("#add-run")), chromedp.SendKeys(chromedp.CSS("#add-run"), "s49_vnet_t9__"))
		d.waitFor(`document.querySelectorAll('#add-run-list li[data-run]').length === 5`)
		var offered []string
		eval(d, `[...document.querySelectorAll('#add-run-list li[data-run]')].map(li => li.dataset.run)`, &offered)
		for _, r := range offered {
			if !strings.Contains(r, "s49_vnet_t9__") {
				t.Errorf("the picker offers %q for \"s49_vnet_t9__\"", r)
			}
		}
		d.run("choose a run", chromedp.Click(chromedp.CSS(`#add-run-list li[data-run]`)))
		d.waitFor(`document.querySelectorAll('#compare-runs .chip').length === 2`)
		var hash string
		eval(d, `decodeURIComponent(location.hash)`, &hash)
		if !strings.Contains(hash, "run="+long[0]) || !strings.Contains(hash, "run="+offered[0]) {
			t.Errorf("after choosing %s the compare is at %q, want both runs", offered[0], hash)
		}
	})
}

// fmtThousands writes n as the dashboard does: 10,000.
func fmtThousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// fakeLeaderboard answers GET /api/v1/leaderboard with body, in the
// contract's shape (docs/api.md), for a server built without it.
func fakeLeaderboard(body string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && r.URL.Path == "/api/v1/leaderboard" {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, body)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// TestLeaderboardPageDrawsTheContract checks the leaderboard page against
// an answer of the API's shape: groups with mean ± std, min, max and count,
// opening to their runs.
func TestLeaderboardPageDrawsTheContract(t *testing.T) {
	chromiumPath(t)
	const answer = `{"datasets": ["val"], "criteria": ["dice"], "boards": [{"dataset": "val", "criterion": "dice", "direction": "higher", "rows": [
		{"group": "seg_s00_unet_t0", "runs": ["seg_s00_unet_t0__0", "seg_s00_unet_t0__1", "seg_s00_unet_t0__2"], "count": 3,
		 "mean": 0.8, "std": 0.05, "min": 0.75, "max": 0.85, "best_run": "seg_s00_unet_t0__2", "best_iteration": 1000, "best_parameters": "threshold_0.5"},
		{"group": "seg_s00_vnet_t0", "runs": ["seg_s00_vnet_t0__0"], "count": 1,
		 "mean": 0.7, "std": 0, "min": 0.7, "max": 0.7, "best_run": "seg_s00_vnet_t0__0", "best_iteration": 500, "best_parameters": "threshold_0.5"}]}]}`
	d := startDashboardOver(t, newFixtureStore(t), httpapi.ServerOptions{}, fakeLeaderboard(answer))
	d.open("#/leaderboard")
	d.waitFor(`document.querySelector('#leaderboard[data-state="ready"]') !== null`)
	var rows []map[string]string
	eval(d, `[...document.querySelectorAll('#leaderboard tr.group-row')].map(tr => ({group: tr.dataset.group, count: tr.dataset.count,
		mean: tr.querySelector('[data-field="mean"]').textContent, min: tr.querySelector('[data-field="min"]').textContent,
		max: tr.querySelector('[data-field="max"]').textContent}))`, &rows)
	want := []map[string]string{
		{"group": "seg_s00_unet_t0", "count": "3", "mean": "0.8 ± 0.05", "min": "0.75", "max": "0.85"},
		{"group": "seg_s00_vnet_t0", "count": "1", "mean": "0.7", "min": "0.7", "max": "0.7"},
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("leaderboard rows %v, want %v", rows, want)
	}
	d.run("open a group", chromedp.Click(chromedp.CSS(`#leaderboard tr.group-row button.expand`)))
	d.waitFor(`document.querySelectorAll('#leaderboard tr.group-runs .chip').length === 3`)
	var runs []string
	eval(d, `[...document.querySelectorAll('#leaderboard tr.group-runs .chip')].map(a => a.dataset.run)`, &runs)
	if strings.Join(runs, ",") != "seg_s00_unet_t0__0,seg_s00_unet_t0__1,seg_s00_unet_t0__2" {
		t.Errorf("the open group lists %v, want its three repetitions", runs)
	}
	d.screenshot("leaderboard-contract")
}

// fakeRunPages answers GET /api/v1/runs with any of filter, sort, limit,
// offset or best in the paged shape of the API's contract (docs/api.md), for
// the runs of infos: filter name~"text" only, sort by name, trained_until or
// best.val.dice (- for descending, then by name). It records the queries.
type fakeRunPages struct {
	infos []statstore.RunInfo // sorted by name
	best  map[string]float64
	mu    sync.Mutex
	asked []url.Values
}

func (f *fakeRunPages) queries() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.asked...)
}

func (f *fakeRunPages) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.Method != http.MethodGet || r.URL.Path != "/api/v1/runs" || len(q) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		f.mu.Lock()
		f.asked = append(f.asked, q)
		f.mu.Unlock()
		var rows []statstore.RunInfo
		needle := ""
		if fl := q.Get("filter"); fl != "" {
			s, ok := strings.CutPrefix(fl, "name~")
			if ok {
				needle, ok = strings.CutSuffix(strings.TrimPrefix(s, `"`), `"`)
			}
			if !ok {
				http.Error(w, `{"error": {"code": "invalid_argument", "message": "fake: only name~\"text\""}}`, http.StatusBadRequest)
				return
			}
		}
		for _, ri := range f.infos {
			if strings.Contains(ri.Run, needle) {
				rows = append(rows, ri)
			}
		}
		key, _, _ := strings.Cut(q.Get("sort"), ",")
		desc := strings.HasPrefix(key, "-")
		key = strings.TrimPrefix(key, "-")
		value := func(ri statstore.RunInfo) float64 {
			switch key {
			case "trained_until":
				return float64(ri.TrainedUntil)
			case "best.val.dice":
				return f.best[ri.Run]
			}
			return 0
		}
		sort.SliceStable(rows, func(i, j int) bool {
			a, b := value(rows[i]), value(rows[j])
			if a == b {
				return rows[i].Run < rows[j].Run
			}
			return (a < b) != desc
		})
		limit, _ := strconv.Atoi(q.Get("limit"))
		offset, _ := strconv.Atoi(q.Get("offset"))
		page := []map[string]any{}
		for i := offset; i < min(offset+limit, len(rows)); i++ {
			ri := rows[i]
			page = append(page, map[string]any{"run": ri.Run, "trained_until": ri.TrainedUntil, "training_iterations": ri.TrainingIterations,
				"validated_until": ri.ValidatedUntil, "validation_iterations": ri.ValidationIterations, "last_loss": 0.5, "min_loss": 0.4,
				"best": []map[string]any{{"dataset": "val", "mean_over_datasets": false, "criterion": "dice", "higher_is_better": true,
					"iteration": ri.ValidatedUntil - 1, "parameter_id": 0, "parameters": "threshold_0.5", "value": f.best[ri.Run]}},
				"health": []string{}, "tags": map[string]string{}, "meta_digest": ""})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"runs": page, "total": len(rows), "offset": offset, "limit": limit})
	})
}

// TestRunsListPagedByTheServer checks the runs list against a server that
// filters, sorts and pages (the API's contract, answered by a fake until
// the summaries are merged): it asks for the pages in view only, sends the
// search as a filter and a column's sort as the server's sort.
func TestRunsListPagedByTheServer(t *testing.T) {
	chromiumPath(t)
	store, names, _ := newLabStore(t)
	infos, err := store.ListRuns(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fake := &fakeRunPages{infos: infos, best: map[string]float64{}}
	for _, ri := range infos {
		v, err := store.RetrieveValidationScores(context.Background(), ri.Run)
		if err != nil {
			t.Fatal(err)
		}
		fake.best[ri.Run] = v.BestReport().PerDataset[0].Value
	}
	d := startDashboardOver(t, store, httpapi.ServerOptions{}, fake.wrap)
	d.open("#/")
	d.waitFor(fmt.Sprintf(`document.querySelector('#runs-table[data-mode="server"][data-state="ready"][data-total="%d"]') !== null`, labRuns))
	var ok bool
	eval(d, `(() => { const s = document.querySelector('#runs-scroll'); s.scrollTop = s.scrollHeight * 0.7; return true; })()`, &ok)
	d.waitFor(`Number(document.querySelector('#runs-table').dataset.first) > 6000 && document.querySelector('#runs-table').dataset.state === 'ready'`)
	idx, runs := d.shownRows()
	if len(runs) == 0 || len(runs) > maxDOMRows {
		t.Fatalf("runs table holds %d rows, want 1 to %d", len(runs), maxDOMRows)
	}
	for k, i := range idx {
		if runs[k] != names[i] {
			t.Fatalf("row %d: index %d is %q, want %q", k, i, runs[k], names[i])
		}
	}
	// The pages in view only: the first, and the one or two scrolled to.
	qs := fake.queries()
	if len(qs) > 4 {
		t.Errorf("scrolling to 70%% asked for %d pages, want the first and those in view (≤ 3): %v", len(qs), qs)
	}
	for _, q := range qs {
		if q.Get("best") != "1" || q.Get("limit") == "" || q.Get("sort") != "name" {
			t.Errorf("page query %v, want best=1, a limit and sort=name", q)
		}
	}

	before := len(qs)
	d.run("filter", chromedp.SendKeys(chromedp.CSS("#run-filter"), labFilter))
	d.waitFor(`document.querySelector('#runs-table[data-state="ready"][data-total="1000"]') !== null`)
	qs = fake.queries()[before:]
	if len(qs) == 0 || qs[len(qs)-1].Get("filter") != `name~"`+labFilter+`"` || qs[len(qs)-1].Get("offset") != "0" {
		t.Errorf("after typing %q the last query is %v, want filter=name~%q from offset 0", labFilter, qs, labFilter)
	}
	// The search waits for the typing to stop: one query, not one per key.
	if len(qs) != 1 {
		t.Errorf("typing %d characters sent %d queries, want 1 (debounced)", len(labFilter), len(qs))
	}

	d.run("sort by best", chromedp.Click(chromedp.CSS(`#runs-table th[data-sort="best"]`)))
	d.waitFor(`document.querySelector('#runs-table th[data-sort="best"][aria-sort="ascending"]') !== null && document.querySelector('#runs-table').dataset.state === 'ready'`)
	qs = fake.queries()
	if got := qs[len(qs)-1].Get("sort"); got != "-best.val.dice,name" {
		t.Errorf("sorting by best dice sent sort=%q, want -best.val.dice,name (higher is better: best first)", got)
	}
	var values []string
	eval(d, `[...document.querySelectorAll('#runs-table tbody tr [data-field="best"]')].slice(0, 3).map(td => td.dataset.value)`, &values)
	top := 0.0
	for _, n := range names {
		if strings.Contains(n, labFilter) {
			top = max(top, fake.best[n])
		}
	}
	if len(values) == 0 || values[0] != strconv.FormatFloat(top, 'g', -1, 64) {
		t.Errorf("best first: top rows' dice %v, want %v first", values, top)
	}
	d.screenshot("runs-paged")
}
