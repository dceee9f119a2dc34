package ui

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/httpapi"
)

// Runs of TestDashboardFlagsNonFinite.
const (
	divergedRun = "diverged" // 5,000 iterations: NaN, +Inf and −Inf, NaN from 4,500 on
	longNaNRun  = "long_nan" // 200,000 iterations, one NaN that stride mode skips
)

// nonFiniteTraining returns iterations 0..n-1 with a decreasing loss and
// the losses of bad replaced.
func nonFiniteTraining(n int, bad func(i int) (float64, bool)) *statstore.TrainingStats {
	s := &statstore.TrainingStats{}
	for i := 0; i < n; i++ {
		loss := 1/(1+float64(i)/500) + 0.05*math.Sin(float64(i)/7)
		if v, ok := bad(i); ok {
			loss = v
		}
		s.IterationStats = append(s.IterationStats, statstore.TrainingIterationStats{Iteration: i, Loss: loss, Time: 0.1})
	}
	return s
}

// flag is one flag of a non-finite loss on the loss chart, as drawn.
type flag struct {
	Kind, Title, Color string
	From, To, Count    int
	Left, Top, Bottom  float64 // the flag's box, relative to the plot area
	Height             float64 // of the plot area
}

// flags reads the loss chart's flags of non-finite losses.
func (d *dashboard) flags() []flag {
	d.t.Helper()
	var out []flag
	eval(d, `(() => {
		const over = document.querySelector('#loss-chart .u-over').getBoundingClientRect();
		return [...document.querySelectorAll('#loss-chart .nf-flag')].map(el => {
			const r = el.getBoundingClientRect();
			return {Kind: el.dataset.kind, Title: el.title, Color: getComputedStyle(el).color,
				From: +el.dataset.from, To: +el.dataset.to, Count: +el.dataset.count,
				Left: r.left - over.left, Top: r.top - over.top, Bottom: r.bottom - over.top, Height: over.height};
		});
	})()`, &out)
	return out
}

// kindOf names a non-finite loss as the page does.
func kindOf(v float64) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case v > 0:
		return "posinf"
	}
	return "neginf"
}

// flagSpan is a flag the loss chart should draw.
type flagSpan struct {
	Loss            float64
	From, To, Count int
}

// bucketFlags is the model of m4.js's nonFiniteSpans: per kind, a span
// per streak of buckets (joined when entries of the kind meet at a
// bucket boundary), from the kind's first iteration (the bucket's first
// non-finite one when its first entry is finite) to the last known.
func bucketFlags(buckets []statstore.TrainingBucket) []flagSpan {
	var spans []flagSpan
	open := map[string]int{} // kind → index of its span running at the last bucket's end
	for _, b := range buckets {
		firstKind, lastKind := kindOrFinite(b.First.Loss), kindOrFinite(b.Last.Loss)
		for _, k := range []struct {
			kind string
			n    int
			loss float64
		}{{"nan", b.NaN, math.NaN()}, {"posinf", b.PosInf, math.Inf(1)}, {"neginf", b.NegInf, math.Inf(-1)}} {
			if k.n == 0 {
				delete(open, k.kind)
				continue
			}
			from := b.FirstNonFinite
			if firstKind == k.kind {
				from = b.First.Iteration
			}
			to := from
			if lastKind == k.kind {
				to = b.Last.Iteration
			}
			i, ok := open[k.kind]
			if ok && firstKind == k.kind {
				spans[i].To = to
				spans[i].Count += k.n
			} else {
				i = len(spans)
				spans = append(spans, flagSpan{Loss: k.loss, From: from, To: to, Count: k.n})
			}
			delete(open, k.kind)
			if lastKind == k.kind {
				open[k.kind] = i
			}
		}
	}
	slices.SortStableFunc(spans, func(a, b flagSpan) int { return a.From - b.From })
	return spans
}

// kindOrFinite names a loss as m4.js's lossKind does.
func kindOrFinite(v float64) string {
	if !math.IsNaN(v) && !math.IsInf(v, 0) {
		return "finite"
	}
	return kindOf(v)
}

// TestDashboardFlagsNonFinite checks that the loss chart flags NaN and ±Inf
// losses as the buckets report them, however sparse: NaN and +Inf at the
// top, −Inf at the bottom, at the iteration of the first of each streak,
// coloured by kind, with a tooltip; and that the footer counts them.
func TestDashboardFlagsNonFinite(t *testing.T) {
	d := startDashboard(t, httpapi.ServerOptions{})
	ctx := context.Background()
	diverged := nonFiniteTraining(5000, func(i int) (float64, bool) {
		switch {
		case i >= 1200 && i <= 1202, i >= 4500:
			return math.NaN(), true
		case i == 2500:
			return math.Inf(1), true
		case i == 3300:
			return math.Inf(-1), true
		}
		return 0, false
	})
	long := nonFiniteTraining(200_000, func(i int) (float64, bool) { return math.NaN(), i == 123_457 })
	for run, s := range map[string]*statstore.TrainingStats{divergedRun: diverged, longNaNRun: long} {
		if err := d.store.StoreTrainingStats(ctx, run, s); err != nil {
			t.Fatal(err)
		}
	}

	check := func(t *testing.T, stats *statstore.TrainingStats) {
		t.Helper()
		n := d.attrInt("#loss-chart", "maxPoints")
		buckets, _, err := statstore.BucketTraining(stats.IterationStats, statstore.BucketOptions{Buckets: n})
		if err != nil {
			t.Fatal(err)
		}
		want := bucketFlags(buckets)
		got := d.flags()
		if len(got) != len(want) {
			t.Fatalf("%d flags %+v, want %d: %+v", len(got), got, len(want), want)
		}
		last := float64(stats.IterationStats[len(stats.IterationStats)-1].Iteration)
		var width float64
		eval(d, `document.querySelector('#loss-chart .u-over').getBoundingClientRect().width`, &width)
		for i, f := range got {
			w := want[i]
			kind := kindOf(w.Loss)
			if f.Kind != kind || f.From != w.From || f.To != w.To || f.Count != w.Count {
				t.Errorf("flag %d: %s %d–%d (%d), want %s %d–%d (%d)", i, f.Kind, f.From, f.To, f.Count, kind, w.From, w.To, w.Count)
			}
			// At its iteration: the triangle's centre is 5 px right of the box's left.
			if x := w.From * 1.0; math.Abs(f.Left+5-float64(x)/last*width) > 2 {
				t.Errorf("flag %d (iteration %d) at x=%.1f, want %.1f", i, w.From, f.Left+5, float64(x)/last*width)
			}
			wantColor := "rgb(125, 91, 166)" // ±Inf
			if kind == "nan" {
				wantColor = "rgb(209, 73, 91)"
			}
			if f.Color != wantColor {
				t.Errorf("flag %d (%s) colour %s, want %s", i, kind, f.Color, wantColor)
			}
			top := kind != "neginf"
			if top && math.Abs(f.Top) > 0.5 || !top && math.Abs(f.Bottom-f.Height) > 0.5 {
				t.Errorf("flag %d (%s) spans y %.1f–%.1f of a %.1f px plot, want it at the %s", i, kind, f.Top, f.Bottom, f.Height, map[bool]string{true: "top", false: "bottom"}[top])
			}
			what := map[string]string{"nan": "NaN", "posinf": "+Inf", "neginf": "−Inf"}[kind]
			if !strings.HasPrefix(f.Title, what+" loss at iteration") || !strings.Contains(f.Title, fmt.Sprint(w.Count)) {
				t.Errorf("flag %d tooltip %q, want %q… with its count %d", i, f.Title, what+" loss at iteration", w.Count)
			}
		}
	}
	status := func() string {
		var s string
		eval(d, `document.querySelector('#loss-status').textContent`, &s)
		return s
	}

	t.Run("buckets", func(t *testing.T) {
		d.t = t
		d.open("#/run/" + divergedRun)
		d.waitFor(`document.querySelector('#loss-chart[data-state="ready"] canvas') !== null`)
		check(t, diverged)
		if want := "flagged 503 NaN, 1 +Inf, 1 −Inf losses"; !strings.Contains(status(), want) {
			t.Errorf("footer %q, want it to say %q", status(), want)
		}
		if strings.Contains(status(), "drawn points only") {
			t.Errorf("footer %q says the check is partial, want complete (5,000 iterations)", status())
		}
		d.screenshot("loss-nonfinite")

		// Iteration ticks every 250 read as what they are, not rounded.
		var labels []string
		eval(d, `import('./js/format.js').then(m => [1250, 2750, 12500, 1250000].map(m.fmtCompact))`, &labels, chromedp.EvalAwaitPromise)
		if want := "1.25K 2.75K 12.5K 1.25M"; strings.Join(labels, " ") != want {
			t.Errorf("axis labels %v, want %s", labels, want)
		}
	})

	t.Run("one NaN in 200,000 iterations", func(t *testing.T) {
		d.t = t
		d.open("#/run/" + longNaNRun)
		d.waitFor(`document.querySelector('#loss-chart[data-state="ready"] canvas') !== null && document.querySelectorAll('#loss-chart .nf-flag').length > 0`)
		check(t, long)
		if want := "flagged 1 NaN loss"; !strings.Contains(status(), want) {
			t.Errorf("footer %q, want it to say %q", status(), want)
		}
		if strings.Contains(status(), "drawn points only") {
			t.Errorf("footer %q says the check is partial, want complete (buckets count every entry)", status())
		}
		d.screenshot("loss-nonfinite-sparse")
	})
}
