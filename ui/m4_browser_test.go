package ui

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/httpapi"
)

// Runs of TestDashboardDrawsM4Buckets.
const (
	spikyRun   = "spiky_1m" // 1,000,000 iterations: one spike, a streak of NaN
	spikeAt    = 777_777
	spikeLoss  = 50.0
	nanFrom    = 400_000 // NaN at 400,000–400,009
	nanCount   = 10
	liveSpike  = 99.0 // in the entries appended live
	liveAppend = 1_000
)

// spikyTraining returns iterations [from, to) of a smooth decaying loss
// (never above 1) with the losses of bad replaced.
func spikyTraining(from, to int, bad func(i int) (float64, bool)) *statstore.TrainingStats {
	s := &statstore.TrainingStats{}
	for i := from; i < to; i++ {
		loss := 0.5/(1+float64(i)/50_000) + 0.02*math.Sin(float64(i)/300)
		if v, ok := bad(i); ok {
			loss = v
		}
		s.IterationStats = append(s.IterationStats, statstore.TrainingIterationStats{Iteration: i, Loss: loss, Time: 0.1})
	}
	return s
}

// drawnBucket is one bucket of the loss chart's sample, as the page holds it.
type drawnBucket struct {
	From, To, Count, NaN, First, Last int
	Min, Max                          float64 // when Finite > 0
	Finite                            int
}

// chartBuckets reads the buckets the loss chart draws and their width.
func (d *dashboard) chartBuckets() (buckets []drawnBucket, width int) {
	d.t.Helper()
	var got struct {
		Width   int
		Buckets []drawnBucket
	}
	eval(d, `(() => {
		const s = document.querySelector('#loss-chart').lossChart.samples.values().next().value;
		return {Width: s.width, Buckets: s.buckets.map(b => ({From: b.from, To: b.to, Count: b.count, NaN: b.nan,
			First: b.first.iteration, Last: b.last.iteration, Finite: b.finite,
			Min: b.finite ? b.min.loss : 0, Max: b.finite ? b.max.loss : 0}))};
	})()`, &got)
	return got.Buckets, got.Width
}

// checkBuckets compares the chart's buckets with statstore.BucketTraining
// of the run's history in as many buckets as the chart asked for.
func (d *dashboard) checkBuckets(run string) {
	d.t.Helper()
	stats, err := d.store.RetrieveTrainingStats(context.Background(), run)
	if err != nil {
		d.t.Fatal(err)
	}
	n := d.attrInt("#loss-chart", "maxPoints")
	want, wantWidth, err := statstore.BucketTraining(stats.IterationStats, statstore.BucketOptions{Buckets: n})
	if err != nil {
		d.t.Fatal(err)
	}
	got, width := d.chartBuckets()
	if width != wantWidth || len(got) != len(want) {
		d.t.Fatalf("chart draws %d buckets of width %d, want %d of width %d (BucketTraining in %d)", len(got), width, len(want), wantWidth, n)
	}
	for i, w := range want {
		g := got[i]
		wb := drawnBucket{From: w.From, To: w.To, Count: w.Count, NaN: w.NaN, First: w.First.Iteration, Last: w.Last.Iteration, Finite: w.Finite}
		if w.Finite > 0 {
			wb.Min, wb.Max = w.Min.Loss, w.Max.Loss
		}
		if g != wb {
			d.t.Fatalf("bucket %d: %+v, want %+v", i, g, wb)
		}
	}
}

// drawnMax is the highest finite loss of the raw series the chart draws
// (uPlot's data[1]).
func (d *dashboard) drawnMax() float64 {
	d.t.Helper()
	var m float64
	eval(d, `document.querySelector('#loss-chart').lossChart.u.data[1].reduce((m, v) => v !== null && v > m ? v : m, -1)`, &m)
	return m
}

// lastDrawn is the last iteration the chart draws.
func (d *dashboard) lastDrawn() int {
	d.t.Helper()
	var n int
	eval(d, `(() => { const xs = document.querySelector('#loss-chart').lossChart.u.data[0]; return xs[xs.length - 1]; })()`, &n)
	return n
}

// dragLoss drags across the loss chart from fraction a to b of its width.
func (d *dashboard) dragLoss(a, b float64) {
	d.t.Helper()
	var box struct{ X, Y, W, H float64 }
	eval(d, `(() => { const r = document.querySelector('#loss-chart .u-over').getBoundingClientRect();
		return {X: r.left, Y: r.top, W: r.width, H: r.height}; })()`, &box)
	y := box.Y + box.H/2
	d.run("drag across the loss chart",
		chromedp.MouseEvent(chromedp.MouseMoved, box.X+box.W*a, y),
		chromedp.MouseEvent(chromedp.MousePressed, box.X+box.W*a, y, chromedp.ButtonLeft),
		chromedp.MouseEvent(chromedp.MouseMoved, box.X+box.W*(a+b)/2, y, chromedp.ButtonLeft),
		chromedp.MouseEvent(chromedp.MouseMoved, box.X+box.W*b, y, chromedp.ButtonLeft),
		chromedp.MouseEvent(chromedp.MouseReleased, box.X+box.W*b, y, chromedp.ButtonLeft),
	)
}

// TestDashboardDrawsM4Buckets: the run view draws a 1,000,000-iteration run
// from M4 buckets, one per pixel column, so its one spike is drawn and its
// NaN streak flagged at its first iteration; a zoom asks the server for
// the buckets of the visible range, and for the raw entries of a range
// smaller than the plot; a live append reads again from the last bucket
// on only, and the chart then holds the buckets of the whole new history.
func TestDashboardDrawsM4Buckets(t *testing.T) {
	d := startDashboard(t, httpapi.ServerOptions{})
	ctx := context.Background()
	stats := spikyTraining(0, bigRunIters, func(i int) (float64, bool) {
		switch {
		case i == spikeAt:
			return spikeLoss, true
		case i >= nanFrom && i < nanFrom+nanCount:
			return math.NaN(), true
		}
		return 0, false
	})
	if err := d.store.StoreTrainingStats(ctx, spikyRun, stats); err != nil {
		t.Fatal(err)
	}
	ready := `document.querySelector('#loss-chart[data-state="ready"] canvas') !== null`

	d.open("#/run/" + spikyRun)
	d.waitFor(ready)
	n := d.attrInt("#loss-chart", "maxPoints")
	var plotWidth float64
	eval(d, `document.querySelector('#loss-chart .u-over').getBoundingClientRect().width`, &plotWidth)
	if math.Abs(float64(n)-plotWidth) > 100 {
		t.Errorf("asked for %d buckets, want about one per pixel column of the %.0f px plot", n, plotWidth)
	}
	reqs := d.rec.bucketRequests()
	if len(reqs) != 1 || reqs[0].Query().Get("buckets") != strconv.Itoa(n) || reqs[0].Query().Has("from") {
		t.Fatalf("bucket requests %v, want one for the whole run in buckets=%d", reqs, n)
	}
	for _, u := range d.rec.trainingRequests() {
		if !u.Query().Has("max_points") {
			t.Errorf("training request %s reads a history, want only buckets for the plot", u)
		}
	}
	d.checkBuckets(spikyRun)
	if m := d.drawnMax(); m != spikeLoss {
		t.Errorf("the drawn loss peaks at %v, want the spike %v", m, spikeLoss)
	}
	flags := d.flags()
	if len(flags) != 1 || flags[0].Kind != "nan" || flags[0].From != nanFrom || flags[0].Count != nanCount {
		t.Errorf("flags %+v, want one NaN flag at %d counting %d", flags, nanFrom, nanCount)
	}
	var status string
	eval(d, `document.querySelector('#loss-status').textContent`, &status)
	if want := fmt.Sprintf("flagged %d NaN losses", nanCount); !strings.Contains(status, want) {
		t.Errorf("footer %q, want it to say %q", status, want)
	}
	d.screenshot("loss-m4-1m")

	t.Run("zoom asks for the visible range", func(t *testing.T) {
		d.t = t
		before := len(d.rec.bucketRequests())
		d.dragLoss(0.70, 0.85)
		d.waitFor(`(document.querySelector('#loss-chart[data-state="ready"]')?.dataset.from || "") !== ""`)
		from, to := d.attrInt("#loss-chart", "from"), d.attrInt("#loss-chart", "to")
		if from > spikeAt || to <= spikeAt {
			t.Fatalf("zoomed to [%d, %d), want a range holding the spike at %d", from, to, spikeAt)
		}
		reqs := d.rec.bucketRequests()[before:]
		if len(reqs) != 1 || !sameRange(reqs[0], from, to) || reqs[0].Query().Get("buckets") != d.attrText("#loss-chart", "maxPoints") {
			t.Fatalf("bucket requests after the zoom %v, want one for from=%d&to=%d in buckets=%s", reqs, from, to, d.attrText("#loss-chart", "maxPoints"))
		}
		if w := d.attrInt("#loss-chart", "width"); w >= 1024 || w < 1 {
			t.Errorf("zoomed buckets %d iterations wide, want narrower than the whole run's", w)
		}
		if m := d.drawnMax(); m != spikeLoss {
			t.Errorf("zoomed, the drawn loss peaks at %v, want the spike %v", m, spikeLoss)
		}
		d.screenshot("loss-m4-zoomed")

		// A range of fewer entries than pixels: its raw entries.
		d.dragLoss(0.40, 0.60)
		d.waitFor(fmt.Sprintf(`+(document.querySelector('#loss-chart[data-state="ready"]')?.dataset.from || 0) > %d`, from))
		beforeRaw := len(d.rec.trainingRequests())
		d.dragLoss(0.50, 0.52)
		d.waitFor(`document.querySelector('#loss-chart[data-state="ready"]')?.dataset.width === "1"`)
		from2, to2 := d.attrInt("#loss-chart", "from"), d.attrInt("#loss-chart", "to")
		var raw []*url.URL
		for _, u := range d.rec.trainingRequests()[beforeRaw:] {
			if !u.Query().Has("max_points") {
				raw = append(raw, u)
			}
		}
		if len(raw) != 1 || !sameRange(raw[0], from2, to2) {
			t.Errorf("raw requests %v, want one for from=%d&to=%d", raw, from2, to2)
		}
		if got, want := d.attrInt("#loss-chart", "points"), to2-from2; got != want {
			t.Errorf("raw range [%d, %d) draws %d points, want its %d entries", from2, to2, got, want)
		}

		d.run("reset zoom", chromedp.Click(chromedp.CSS("#reset-zoom")))
		d.waitFor(`document.querySelector('#loss-chart[data-state="ready"]')?.dataset.from === ""`)
		d.checkBuckets(spikyRun)
	})

	t.Run("a live append re-reads the last bucket", func(t *testing.T) {
		d.t = t
		d.waitFor(`document.querySelector('#live.live') !== null`)
		_, width := d.chartBuckets()
		lastFrom := (bigRunIters - 1) / width * width
		before := len(d.rec.bucketRequests())
		c, err := httpapi.NewClient(d.baseURL, httpapi.ClientOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		more := spikyTraining(bigRunIters, bigRunIters+liveAppend, func(i int) (float64, bool) { return liveSpike, i == bigRunIters+liveAppend/2 })
		if err := c.StoreTrainingStats(ctx, spikyRun, more); err != nil {
			t.Fatalf("store more training: %v", err)
		}
		d.waitFor(fmt.Sprintf(`document.querySelector('#loss-chart').lossChart.u.data[0].at(-1) === %d`, bigRunIters+liveAppend-1))
		reqs := d.rec.bucketRequests()[before:]
		if len(reqs) == 0 {
			t.Fatal("no bucket request after the append")
		}
		// The first from the last bucket's start; a later one (the store's
		// change feed reports the append too) from the new last bucket's.
		for i, u := range reqs {
			f, err := strconv.Atoi(u.Query().Get("from"))
			if err != nil || f < lastFrom || i == 0 && f != lastFrom {
				t.Errorf("bucket request %d after the append: %s, want it from the last bucket's start, from=%d (or later)", i, u, lastFrom)
			}
		}
		d.checkBuckets(spikyRun)
		if m := d.drawnMax(); m != liveSpike {
			t.Errorf("after the append the drawn loss peaks at %v, want the appended spike %v", m, liveSpike)
		}
		if got := d.lastDrawn(); got != bigRunIters+liveAppend-1 {
			t.Errorf("last drawn iteration %d, want %d", got, bigRunIters+liveAppend-1)
		}
	})

	t.Run("the compare view draws buckets too", func(t *testing.T) {
		d.t = t
		before := len(d.rec.compareRequests())
		d.open(fmt.Sprintf("#/compare?run=%s&run=%s", spikyRun, smallRun))
		d.waitFor(ready + ` && document.querySelector('#loss-chart').dataset.runs === "2"`)
		reqs := d.rec.compareRequests()[before:]
		if len(reqs) != 1 || reqs[0].Buckets != d.attrInt("#loss-chart", "maxPoints") {
			t.Fatalf("compare requests %+v, want one for both runs' buckets", reqs)
		}
		if m := d.drawnMax(); m != liveSpike {
			t.Errorf("the compare view draws %s's loss up to %v, want its spike %v", spikyRun, m, liveSpike)
		}
		if flags := d.flags(); len(flags) == 0 || flags[0].From != nanFrom {
			t.Errorf("compare flags %+v, want the NaN streak of %s at %d first", flags, spikyRun, nanFrom)
		}
	})
}

// sameRange reports whether u asks for from=from&to=to.
func sameRange(u *url.URL, from, to int) bool {
	q := u.Query()
	return q.Get("from") == strconv.Itoa(from) && q.Get("to") == strconv.Itoa(to)
}
