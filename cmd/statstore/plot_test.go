package main

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/filestore"
	"github.com/statstore/statstore/internal/cliplot"
	"github.com/statstore/statstore/memstore"
)

// plotStore returns a memstore with run "r": n iterations of a slowly
// falling loss with the losses of bad replaced.
func plotStore(t *testing.T, n int, bad map[int]float64) statstore.StatsStore {
	t.Helper()
	s := memstore.New(nil)
	t.Cleanup(func() { s.Close() })
	stats := &statstore.TrainingStats{}
	for i := 0; i < n; i++ {
		loss := 1 + 0.1*math.Sin(float64(i)/3)
		if v, ok := bad[i]; ok {
			loss = v
		}
		stats.IterationStats = append(stats.IterationStats, statstore.TrainingIterationStats{Iteration: i, Loss: loss, Time: 1})
	}
	if err := s.StoreTrainingStats(context.Background(), "r", stats); err != nil {
		t.Fatal(err)
	}
	return s
}

// lossPanel builds the figure of run "r" with opts and returns its loss panel.
func lossPanel(t *testing.T, s statstore.StatsStore, o plotOptions) cliplot.Panel {
	t.Helper()
	fig, err := buildFigure(context.Background(), s, []string{"r"}, o)
	if err != nil {
		t.Fatal(err)
	}
	return fig.Panels[0]
}

// yRange returns the lowest and highest finite y of a panel's series.
func yRange(p cliplot.Panel) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, s := range p.Series {
		for _, y := range s.Y {
			if !math.IsNaN(y) && !math.IsInf(y, 0) {
				lo, hi = math.Min(lo, y), math.Max(hi, y)
			}
		}
	}
	return lo, hi
}

func TestPlotKeepsSpikes(t *testing.T) {
	const spikeAt, dipAt = 54_321, 77_777
	s := plotStore(t, 100_000, map[int]float64{spikeAt: 1000, dipAt: 1e-3})
	o := plotOptions{points: 5000}
	stride, err := s.SubsampleTraining(context.Background(), "r", statstore.SubsampleOptions{MaxPoints: o.points})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range stride {
		if p.Iteration == spikeAt || p.Iteration == dipAt {
			t.Fatalf("the stride subsample picks iteration %d: the test wants a spike between its points", p.Iteration)
		}
	}
	lo, hi := yRange(lossPanel(t, s, o))
	if hi < 1000 || lo > 1e-3 {
		t.Errorf("loss panel spans y %g to %g, want the spike 1000 and the dip 0.001 inside", lo, hi)
	}
}

func TestPlotSmoothingWindowGrowsWithPoints(t *testing.T) {
	s := plotStore(t, 100_000, nil)
	prev := 0
	for _, points := range []int{100, 1000, 5000, 20_000} {
		p := lossPanel(t, s, plotOptions{points: points})
		want := cliplot.SmoothingWindow(points)
		if want < prev {
			t.Errorf("window %d at %d points after %d: want it to grow", want, points, prev)
		}
		prev = want
		title := "moving average over " + itoa(want) + " points"
		if want == 1 {
			title = "training loss (faint"
		}
		if !strings.Contains(p.Title, title) {
			t.Errorf("%d points: title %q, want %q", points, p.Title, title)
		}
	}
	// The default --points 5000 smooths over tens of points, not 2.
	if !strings.Contains(lossPanel(t, s, plotOptions{points: 5000}).Title, "over 50 points") {
		t.Errorf("default window: want 50 points at 5,000")
	}
	// --smooth overrides it.
	if p := lossPanel(t, s, plotOptions{points: 5000, smooth: 7}); !strings.Contains(p.Title, "over 7 points") {
		t.Errorf("--smooth 7: title %q", p.Title)
	}
}

func TestPlotFlagsEveryNonFinite(t *testing.T) {
	s := plotStore(t, 100_000, map[int]float64{12_345: math.NaN(), 12_346: math.NaN(), 50_001: math.Inf(1), 77_777: math.Inf(-1)})
	p := lossPanel(t, s, plotOptions{points: 500})
	want := []cliplot.Flag{{From: 12_345, To: 12_346, Value: math.NaN(), Count: 2}, {From: 50_001, To: 50_001, Value: math.Inf(1), Count: 1}, {From: 77_777, To: 77_777, Value: math.Inf(-1), Count: 1}}
	if len(p.Flags) != len(want) {
		t.Fatalf("flags %+v, want %+v", p.Flags, want)
	}
	for i, f := range p.Flags {
		w := want[i]
		if f.From != w.From || f.To != w.To || f.Count != w.Count || math.IsNaN(f.Value) != math.IsNaN(w.Value) || (!math.IsNaN(w.Value) && f.Value != w.Value) {
			t.Errorf("flag %d = %+v, want %+v", i, f, w)
		}
	}
}

func TestPlotLogScale(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "stats")
	fs, err := filestore.Open(dir, filestore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	stats := &statstore.TrainingStats{}
	for i := 0; i < 3000; i++ {
		stats.IterationStats = append(stats.IterationStats, statstore.TrainingIterationStats{Iteration: i, Loss: 10 / float64(1+i), Time: 1})
	}
	if err := fs.StoreTrainingStats(context.Background(), "pos", stats); err != nil {
		t.Fatal(err)
	}
	stats.IterationStats[777].Loss = -0.25
	if err := fs.StoreTrainingStats(context.Background(), "neg", stats); err != nil {
		t.Fatal(err)
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "loss.svg")
	mustRun(t, "--store", dir, "plot", "pos", "--log-scale", "-o", out)
	svg, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"loss (log scale)", ">0.01<", ">0.1<", ">1<", ">10<"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("log-scale SVG lacks %q", want)
		}
	}
	r := run(t, "--store", dir, "plot", "neg", "--log-scale", "-o", out)
	if r.code != exitUsage || !strings.Contains(r.stderr, "--log-scale") || !strings.Contains(r.stderr, "-0.25, at iteration 777") || !strings.Contains(r.stderr, "without --log-scale") {
		t.Errorf("log scale of a run with a loss <= 0: exit %d, stderr %q; want %d naming the loss, its iteration and the way out", r.code, r.stderr, exitUsage)
	}
}

// BenchmarkPlotReads compares, on a file store holding a 1,000,000-entry
// run, each subsample with its report of non-finite losses, and the plot's
// reads before (one stride subsample) and after (min/max with the report,
// then stride). Compare the ns/op of each pair (benchstat).
func BenchmarkPlotReads(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "stats")
	fs, err := filestore.Open(dir, filestore.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer fs.Close()
	ctx := context.Background()
	stats := &statstore.TrainingStats{}
	for i := 0; i < 1_000_000; i++ {
		loss := 1 / float64(1+i)
		if i%100_003 == 7 {
			loss = math.NaN()
		}
		stats.IterationStats = append(stats.IterationStats, statstore.TrainingIterationStats{Iteration: i, Loss: loss, Time: 1})
	}
	if err := fs.StoreTrainingStats(ctx, "r", stats); err != nil {
		b.Fatal(err)
	}
	short := statstore.IterationRange{From: 500_000, To: 516_000}
	cases := []struct {
		name string
		f    func() error
	}{
		{"stride/subsample", func() error {
			_, err := fs.SubsampleTraining(ctx, "r", statstore.SubsampleOptions{})
			return err
		}},
		{"stride/report", func() error {
			_, err := statstore.SubsampleTrainingReport(ctx, fs, "r", statstore.SubsampleOptions{})
			return err
		}},
		{"stride-16k-range/subsample", func() error {
			_, err := fs.SubsampleTraining(ctx, "r", statstore.SubsampleOptions{Range: short})
			return err
		}},
		{"stride-16k-range/report", func() error {
			_, err := statstore.SubsampleTrainingReport(ctx, fs, "r", statstore.SubsampleOptions{Range: short})
			return err
		}},
		{"minmax/subsample", func() error {
			_, err := fs.SubsampleTraining(ctx, "r", statstore.SubsampleOptions{Mode: statstore.SubsampleMinMax})
			return err
		}},
		{"minmax/report", func() error {
			_, err := statstore.SubsampleTrainingReport(ctx, fs, "r", statstore.SubsampleOptions{Mode: statstore.SubsampleMinMax})
			return err
		}},
		{"plot-loss/old-stride-5000", func() error {
			_, err := fs.SubsampleTraining(ctx, "r", statstore.SubsampleOptions{MaxPoints: 5000})
			return err
		}},
		{"plot-loss/new", func() error {
			_, err := readLossCurve(ctx, fs, "r", plotOptions{points: 5000})
			return err
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if err := c.f(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
