package storetest

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/statstore/statstore"
)

// rangeTests check RetrieveTrainingRange: From inclusive, To exclusive, To
// == 0 open.
func rangeTests() []test {
	stored := Iters(0, 100, 10) // 0, 10, ..., 90
	cases := []struct {
		name string
		r    statstore.IterationRange
		want []int
	}{
		{"All", statstore.IterationRange{}, stored},
		{"Inner", statstore.IterationRange{From: 10, To: 30}, []int{10, 20}},
		{"BetweenEntries", statstore.IterationRange{From: 15, To: 35}, []int{20, 30}},
		{"OpenEnd", statstore.IterationRange{From: 5}, Iters(10, 100, 10)},
		{"FirstOnly", statstore.IterationRange{From: 0, To: 1}, []int{0}},
		{"LastOnly", statstore.IterationRange{From: 90, To: 91}, []int{90}},
		{"ToExcluded", statstore.IterationRange{From: 0, To: 90}, Iters(0, 90, 10)},
		{"EmptyEqualBounds", statstore.IterationRange{From: 50, To: 50}, nil},
		{"EmptyInGap", statstore.IterationRange{From: 41, To: 50}, nil},
		{"AfterEnd", statstore.IterationRange{From: 91}, nil},
		{"FarAfterEnd", statstore.IterationRange{From: 1000, To: 2000}, nil},
		{"BeyondEnd", statstore.IterationRange{From: 80, To: 1 << 40}, []int{80, 90}},
	}
	var out []test
	for _, c := range cases {
		out = append(out, test{c.name, func(e *env) {
			e.storeTraining("run", Training(stored...))
			e.storeTraining("other", TrainingVersion(1, Iters(0, 200, 1)...))
			got, err := e.s.RetrieveTrainingRange(e.ctx, "run", c.r)
			e.ok(fmt.Sprintf("RetrieveTrainingRange(%+v)", c.r), err)
			if got == nil {
				e.t.Fatalf("RetrieveTrainingRange(%+v): got nil stats, want non-nil", c.r)
			}
			if d := diffTraining(got.IterationStats, Entries(0, c.want...)); d != "" {
				e.t.Errorf("RetrieveTrainingRange(%+v): %s", c.r, d)
			}
		}})
	}
	return out
}

// subsampleData is one training history the subsample tests store.
type subsampleData struct {
	name  string
	stats []statstore.TrainingIterationStats
}

// subsampleHistories returns histories of many sizes and shapes: short,
// around the default 1,000 points, long, with gaps, and with non-finite
// losses (which min/max mode must skip).
func subsampleHistories() []subsampleData {
	rng := rand.New(rand.NewPCG(1, 2)) // fixed: the data must be the same in every run
	gappy := func(n int) []int {
		out := make([]int, n)
		it := rng.IntN(5)
		for i := range out {
			out[i] = it
			it += 1 + rng.IntN(20)
		}
		return out
	}
	noisy := func(iters []int) []statstore.TrainingIterationStats {
		out := Entries(0, iters...)
		for i := range out {
			out[i].Loss = rng.NormFloat64()
			switch rng.IntN(50) {
			case 0:
				out[i].Loss = math.NaN()
			case 1:
				out[i].Loss = math.Inf(1)
			case 2:
				out[i].Loss = 100 // a spike
			}
		}
		return out
	}
	allNaN := Entries(0, Iters(0, 300, 1)...)
	for i := range allNaN {
		allNaN[i].Loss = math.NaN()
	}
	return []subsampleData{
		{"n=1", Entries(0, 7)},
		{"n=2", Entries(0, 0, 1)},
		{"n=3", Entries(0, 0, 5, 6)},
		{"n=10", Entries(0, Iters(0, 10, 1)...)},
		{"n=999", Entries(0, Iters(0, 999, 1)...)},
		{"n=1000", Entries(0, Iters(0, 1000, 1)...)},
		{"n=1001", Entries(0, Iters(0, 1001, 1)...)},
		{"n=3000,step=10", Entries(0, Iters(0, 30000, 10)...)},
		{"n=2500,gaps", noisy(gappy(2500))},
		{"n=500,gaps,late-start", noisy(gappy(500))[100:]},
		{"n=300,all-NaN", allNaN},
	}
}

// subsampleTests check that SubsampleTraining equals statstore.Subsample on
// the full history for both modes, many sizes and ranges; that the first and
// last entries are kept; and that it is deterministic.
func subsampleTests() []test {
	histories := subsampleHistories()
	points := []int{0, 2, 3, 10, 1000, 5000}
	modes := []statstore.SubsampleMode{statstore.SubsampleStride, statstore.SubsampleMinMax}
	return []test{
		{"MatchesReference", func(e *env) {
			for _, h := range histories {
				e.storeTraining(h.name, &statstore.TrainingStats{IterationStats: h.stats})
			}
			for _, h := range histories {
				first, last := h.stats[0].Iteration, h.stats[len(h.stats)-1].Iteration
				mid := (first + last) / 2
				ranges := []statstore.IterationRange{
					{},
					{From: mid},
					{From: first + 1, To: mid + 1},
					{From: mid, To: mid + 1},
					{From: last + 1},
				}
				for _, mode := range modes {
					for _, n := range points {
						for _, r := range ranges {
							e.checkSubsample(h.name, h.stats, statstore.SubsampleOptions{MaxPoints: n, Mode: mode, Range: r})
						}
					}
				}
			}
		}},
	}
}

// checkSubsample compares SubsampleTraining with statstore.Subsample of
// stats, and checks the properties every subsample has.
func (e *env) checkSubsample(run string, stats []statstore.TrainingIterationStats, opts statstore.SubsampleOptions) {
	e.t.Helper()
	what := fmt.Sprintf("SubsampleTraining(%q, {MaxPoints: %d, Mode: %v, Range: %+v})", run, opts.MaxPoints, opts.Mode, opts.Range)
	want, err := statstore.Subsample(stats, opts)
	if err != nil {
		e.t.Fatalf("test bug: statstore.Subsample: %v", err)
	}
	got, err := e.s.SubsampleTraining(e.ctx, run, opts)
	if err != nil {
		e.t.Errorf("%s: got error %v, want nil", what, err)
		return
	}
	if d := diffTraining(got, want); d != "" {
		e.t.Errorf("%s: %s", what, d)
		return
	}
	again, err := e.s.SubsampleTraining(e.ctx, run, opts)
	if err != nil || diffTraining(again, got) != "" {
		e.t.Errorf("%s: a second call gave another answer (error %v): %s", what, err, diffTraining(again, got))
	}
	// Properties, checked independently of the reference.
	maxPoints := opts.MaxPoints
	if maxPoints == 0 {
		maxPoints = statstore.DefaultMaxPoints
	}
	var in []statstore.TrainingIterationStats
	for _, s := range stats {
		if opts.Range.Contains(s.Iteration) {
			in = append(in, s)
		}
	}
	if len(got) > maxPoints {
		e.t.Errorf("%s: got %d points, want at most %d", what, len(got), maxPoints)
	}
	if len(in) > 0 && (len(got) == 0 || !sameEntry(got[0], in[0]) || !sameEntry(got[len(got)-1], in[len(in)-1])) {
		e.t.Errorf("%s: got %s, want the first (%d) and last (%d) entries of the range included", what, fmtEntries(got), in[0].Iteration, in[len(in)-1].Iteration)
	}
}
