package statstore_test

import (
	"context"
	"math"
	"reflect"
	"testing"

	"github.com/statstore/statstore"
)

// sliceStore answers SubsampleTraining and RetrieveTrainingRange from a
// slice and counts the entries each call reads; other methods are not used.
type sliceStore struct {
	statstore.StatsStore
	stats      []statstore.TrainingIterationStats
	rangeReads int // entries returned by RetrieveTrainingRange
	subsamples int // calls of SubsampleTraining
}

func (s *sliceStore) SubsampleTraining(_ context.Context, _ string, opts statstore.SubsampleOptions) ([]statstore.TrainingIterationStats, error) {
	s.subsamples++
	return statstore.Subsample(s.stats, opts)
}

func (s *sliceStore) RetrieveTrainingRange(_ context.Context, _ string, r statstore.IterationRange) (*statstore.TrainingStats, error) {
	var out []statstore.TrainingIterationStats
	for _, e := range s.stats {
		if r.Contains(e.Iteration) {
			out = append(out, e)
		}
	}
	s.rangeReads += len(out)
	return &statstore.TrainingStats{IterationStats: out}, nil
}

// withBad returns a history of n entries (iterations 0..n-1, loss 1) with
// the losses at the given iterations replaced.
func withBad(n int, bad map[int]float64) []statstore.TrainingIterationStats {
	return history(every(0, n, 1), func(i int) float64 {
		if v, ok := bad[i]; ok {
			return v
		}
		return 1
	})
}

func TestSubsampleReportFindsWhatTheSubsampleSkips(t *testing.T) {
	inf := math.Inf(1)
	bad := map[int]float64{3001: math.NaN(), 3002: math.NaN(), 5003: inf, 7778: math.Inf(-1)}
	stats := withBad(10_000, bad)
	for _, mode := range []statstore.SubsampleMode{statstore.SubsampleStride, statstore.SubsampleMinMax} {
		t.Run(mode.String(), func(t *testing.T) {
			opts := statstore.SubsampleOptions{MaxPoints: 100, Mode: mode}
			rep, err := statstore.SubsampleReport(stats, opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range rep.Points {
				if math.IsNaN(p.Loss) || mode == statstore.SubsampleStride && math.IsInf(p.Loss, 0) {
					t.Fatalf("point %d is %v: the test wants a subsample that skips it", p.Iteration, p.Loss)
				}
			}
			want := []statstore.NonFiniteSpan{
				{From: 3001, To: 3002, Loss: math.NaN(), Count: 2},
				{From: 5003, To: 5003, Loss: inf, Count: 1},
				{From: 7778, To: 7778, Loss: math.Inf(-1), Count: 1},
			}
			checkSpans(t, rep.NonFinite, want)
			if rep.NaN != 2 || rep.PosInf != 1 || rep.NegInf != 1 || rep.NonFiniteCount() != 4 {
				t.Errorf("counts NaN %d +Inf %d -Inf %d, want 2 1 1", rep.NaN, rep.PosInf, rep.NegInf)
			}
			if !rep.Complete || rep.Checked != len(stats) {
				t.Errorf("Complete %v, Checked %d; want true, %d", rep.Complete, rep.Checked, len(stats))
			}
			pts, _ := statstore.Subsample(stats, opts)
			if !reflect.DeepEqual(pts, rep.Points) {
				t.Errorf("points differ from Subsample's")
			}
		})
	}
}

func TestSubsampleReportRange(t *testing.T) {
	stats := withBad(1000, map[int]float64{10: math.NaN(), 500: math.NaN(), 990: math.NaN()})
	rep, err := statstore.SubsampleReport(stats, statstore.SubsampleOptions{MaxPoints: 10, Range: statstore.IterationRange{From: 100, To: 900}})
	if err != nil {
		t.Fatal(err)
	}
	checkSpans(t, rep.NonFinite, []statstore.NonFiniteSpan{{From: 500, To: 500, Loss: math.NaN(), Count: 1}})
	if rep.Checked != 800 {
		t.Errorf("Checked %d, want 800 (the range)", rep.Checked)
	}
}

func checkSpans(t *testing.T, got, want []statstore.NonFiniteSpan) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("spans %+v, want %+v", got, want)
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.From != w.From || g.To != w.To || g.Count != w.Count || !sameFloat(g.Loss, w.Loss) {
			t.Errorf("span %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestNonFiniteSpans(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	at := func(pairs ...float64) []statstore.TrainingIterationStats {
		var out []statstore.TrainingIterationStats
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, statstore.TrainingIterationStats{Iteration: int(pairs[i]), Loss: pairs[i+1]})
		}
		return out
	}
	tests := []struct {
		name string
		in   []statstore.TrainingIterationStats
		step int
		want []statstore.NonFiniteSpan
	}{
		{"none", at(0, 1, 1, 2), 1, nil},
		{"diverged: one span to the end", at(0, 1, 10, nan, 20, nan, 30, nan), 1, []statstore.NonFiniteSpan{{10, 30, nan, 3}}},
		{"kinds apart", at(0, nan, 1, inf, 2, nan), 1, []statstore.NonFiniteSpan{{0, 0, nan, 1}, {1, 1, inf, 1}, {2, 2, nan, 1}}},
		{"a finite entry splits at step 1", at(0, nan, 1, 0.5, 2, nan), 1, []statstore.NonFiniteSpan{{0, 0, nan, 1}, {2, 2, nan, 1}}},
		{"closer than a step merge", at(0, nan, 1, 0.5, 2, nan), 2, []statstore.NonFiniteSpan{{0, 2, nan, 2}}},
		{"merging skips other kinds", at(0, nan, 1, inf, 2, nan), 2, []statstore.NonFiniteSpan{{0, 2, nan, 2}, {1, 1, inf, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkSpans(t, statstore.NonFiniteSpans(tt.in, tt.step), tt.want)
		})
	}
}

// Alternating NaN and finite losses over a long history give at most about
// one span of each kind per plot point, not one per NaN.
func TestSubsampleReportSpansBounded(t *testing.T) {
	const n, points = 100_000, 200
	stats := history(every(0, n, 1), func(i int) float64 {
		switch i % 3 {
		case 0:
			return math.NaN()
		case 1:
			return math.Inf(1 - 2*(i/3%2))
		}
		return float64(i)
	})
	rep, err := statstore.SubsampleReport(stats, statstore.SubsampleOptions{MaxPoints: points, Mode: statstore.SubsampleMinMax})
	if err != nil {
		t.Fatal(err)
	}
	if max := 3 * (points + 1); len(rep.NonFinite) > max {
		t.Errorf("%d spans, want at most %d", len(rep.NonFinite), max)
	}
	total := 0
	for _, s := range rep.NonFinite {
		total += s.Count
	}
	if total != rep.NonFiniteCount() || total != n/3*2+1 {
		t.Errorf("spans count %d losses, counts say %d; want %d", total, rep.NonFiniteCount(), n/3*2+1)
	}
}

func TestSubsampleTrainingReportCost(t *testing.T) {
	ctx := context.Background()
	bad := map[int]float64{12_345: math.NaN(), 50_000: math.Inf(1), 99_999: math.Inf(-1)}
	stats := withBad(100_000, bad)

	t.Run("stride on a long range reads no range", func(t *testing.T) {
		s := &sliceStore{stats: stats}
		rep, err := statstore.SubsampleTrainingReport(ctx, s, "r", statstore.SubsampleOptions{MaxPoints: 100})
		if err != nil {
			t.Fatal(err)
		}
		if s.rangeReads != 0 {
			t.Errorf("read %d entries of the range, want none (stride seeks)", s.rangeReads)
		}
		if rep.Complete || rep.Checked != len(rep.Points) {
			t.Errorf("Complete %v, Checked %d; want false, %d (the picked points)", rep.Complete, rep.Checked, len(rep.Points))
		}
		// The last entry is always picked: its -Inf is reported.
		checkSpans(t, rep.NonFinite, []statstore.NonFiniteSpan{{From: 99_999, To: 99_999, Loss: math.Inf(-1), Count: 1}})
	})
	t.Run("stride on a short range reads it", func(t *testing.T) {
		s := &sliceStore{stats: stats}
		opts := statstore.SubsampleOptions{MaxPoints: 100, Range: statstore.IterationRange{From: 12_000, To: 13_000}}
		rep, err := statstore.SubsampleTrainingReport(ctx, s, "r", opts)
		if err != nil {
			t.Fatal(err)
		}
		if s.rangeReads > statstore.FullCheckFactor*100 {
			t.Errorf("read %d entries, want at most %d", s.rangeReads, statstore.FullCheckFactor*100)
		}
		if !rep.Complete {
			t.Error("Complete false on a range of 1000 iterations, want true")
		}
		checkSpans(t, rep.NonFinite, []statstore.NonFiniteSpan{{From: 12_345, To: 12_345, Loss: math.NaN(), Count: 1}})
		want, _ := statstore.Subsample(stats, opts)
		if !reflect.DeepEqual(rep.Points, want) {
			t.Errorf("points differ from Subsample's")
		}
	})
	t.Run("minmax reads the range once", func(t *testing.T) {
		s := &sliceStore{stats: stats}
		rep, err := statstore.SubsampleTrainingReport(ctx, s, "r", statstore.SubsampleOptions{MaxPoints: 100, Mode: statstore.SubsampleMinMax})
		if err != nil {
			t.Fatal(err)
		}
		if s.rangeReads != len(stats) || s.subsamples != 0 {
			t.Errorf("read %d entries in %d subsamples, want %d in 0", s.rangeReads, s.subsamples, len(stats))
		}
		if !rep.Complete || rep.NonFiniteCount() != 3 || len(rep.NonFinite) != 3 {
			t.Errorf("Complete %v, %d non-finite in %d spans; want true, 3, 3", rep.Complete, rep.NonFiniteCount(), len(rep.NonFinite))
		}
	})
}

// Min/max mode keeps each bucket's finite extremes: a +Inf or -Inf in a
// bucket (reported by SubsampleReport) must not hide a finite spike beside
// it.
func TestSubsampleMinMaxKeepsFiniteSpikesBesideInf(t *testing.T) {
	stats := withBad(10_000, map[int]float64{5000: math.Inf(1), 5001: 1e6, 7000: math.Inf(-1), 7001: -1e6})
	out, err := statstore.Subsample(stats, statstore.SubsampleOptions{MaxPoints: 10, Mode: statstore.SubsampleMinMax})
	if err != nil {
		t.Fatal(err)
	}
	var hi, lo bool
	for _, p := range out {
		hi = hi || p.Loss == 1e6
		lo = lo || p.Loss == -1e6
		if math.IsInf(p.Loss, 0) {
			t.Errorf("point %d is %v, want each bucket's finite extremes", p.Iteration, p.Loss)
		}
	}
	if !hi || !lo {
		t.Errorf("spikes 1e6 kept: %v, -1e6 kept: %v; want both", hi, lo)
	}
}
