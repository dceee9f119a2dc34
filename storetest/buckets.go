package storetest

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/statstore/statstore"
)

// wantBuckets fails unless s's TrainingBuckets (when it implements
// statstore.TrainingBucketer) equal statstore.BucketTraining of the run's
// history h for a few bucket counts and ranges. The model sequences call
// it after every operation.
func (e *env) wantBuckets(run string, h []statstore.TrainingIterationStats, after string) {
	e.t.Helper()
	tb, ok := e.s.(statstore.TrainingBucketer)
	if !ok {
		return
	}
	opts := []statstore.BucketOptions{{Buckets: 1}, {Buckets: 7}, {Buckets: 1000}, {}}
	if n := len(h); n > 0 {
		a, b := h[n/3].Iteration, h[n-1-n/4].Iteration
		opts = append(opts, statstore.BucketOptions{Buckets: 5, Range: statstore.IterationRange{From: a + 1, To: b + 1}},
			statstore.BucketOptions{Buckets: 300, Range: statstore.IterationRange{From: a}})
	}
	for _, o := range opts {
		got, gw, err := tb.TrainingBuckets(e.ctx, run, o)
		e.ok(fmt.Sprintf("TrainingBuckets(%q, %+v)", run, o), err)
		want, ww, err := statstore.BucketTraining(h, o)
		e.ok("BucketTraining", err)
		if gw != ww || fmt.Sprint(got) != fmt.Sprint(want) {
			e.t.Fatalf("after %s: TrainingBuckets(%q, %+v): got width %d, %d buckets\n%v\nwant (statstore.BucketTraining of the history) width %d, %d buckets\n%v",
				after, run, o, gw, len(got), got, ww, len(want), want)
		}
	}
}

// spiky returns n entries from iteration start on, with gaps (some wider
// than the coarsest summary block), NaN, ±Inf, -0, ties and spikes.
func spiky(r *rand.Rand, start, n int) *statstore.TrainingStats {
	out := make([]statstore.TrainingIterationStats, 0, n)
	it := start
	for range n {
		l := math.Round(r.Float64()*20) / 10
		switch r.IntN(40) {
		case 0:
			l = math.NaN()
		case 1:
			l = math.Inf(1)
		case 2:
			l = math.Inf(-1)
		case 3:
			l = 1000 * r.Float64()
		case 4:
			l = math.Copysign(0, -1)
		}
		out = append(out, statstore.TrainingIterationStats{Iteration: it, Loss: l, Time: float64(it) / 8})
		it += 1 + r.IntN(3)*r.IntN(2)
		if r.IntN(2000) == 0 {
			it += r.IntN(1 << 20)
		}
	}
	return &statstore.TrainingStats{IterationStats: out}
}

// bucketTests check that a store's TrainingBuckets (when it implements
// statstore.TrainingBucketer) answer as statstore.BucketTraining does on
// its history, through appends, an overwrite and a deletion.
func bucketTests() []test {
	return []test{
		{"EqualDirect", func(e *env) {
			if _, ok := e.s.(statstore.TrainingBucketer); !ok {
				e.t.Log("the store keeps no bucket summaries: RetrieveTrainingBuckets reads the range")
			}
			seed := uint64(rand.Int64())
			e.t.Logf("seed %d", seed)
			r := rand.New(rand.NewPCG(seed, 13))
			const run = "buckets"
			e.wantBuckets(run, nil, "nothing stored")
			var h []statstore.TrainingIterationStats
			for step := range 4 {
				start := 0
				if len(h) > 0 {
					start = h[len(h)-1].Iteration + 1 + r.IntN(3)
				}
				add := spiky(r, start, 1+r.IntN(6000))
				h = append(h, add.IterationStats...)
				e.storeTraining(run, &statstore.TrainingStats{IterationStats: h})
				e.wantBuckets(run, e.training(run), fmt.Sprintf("append %d", step))
			}
			// An overwrite from an earlier checkpoint, with other losses.
			cut := h[len(h)/2].Iteration
			re := spiky(r, cut, 3000)
			h = append(append([]statstore.TrainingIterationStats(nil), h[:len(h)/2]...), re.IterationStats...)
			e.storeTraining(run, &statstore.TrainingStats{IterationStats: h})
			e.wantBuckets(run, e.training(run), "overwrite")
			// A shorter overwrite with the same iterations, other losses.
			short := spiky(r, h[0].Iteration, 100)
			e.storeTraining(run, short)
			e.wantBuckets(run, e.training(run), "shorter overwrite")
			e.ok("DeleteTrainingStats", e.s.DeleteTrainingStats(e.ctx, run))
			e.wantBuckets(run, nil, "delete")
		}},
		{"BadOptions", func(e *env) {
			tb, ok := e.s.(statstore.TrainingBucketer)
			if !ok {
				return
			}
			e.storeTraining("b", Training(0, 1, 2))
			for _, o := range []statstore.BucketOptions{{Buckets: -1}, {Buckets: statstore.MaxBuckets + 1}, {Range: statstore.IterationRange{From: 5, To: 2}}} {
				_, _, err := tb.TrainingBuckets(e.ctx, "b", o)
				e.wantErr(fmt.Sprintf("TrainingBuckets(%+v)", o), err, statstore.ErrInvalidArgument)
			}
			_, _, err := tb.TrainingBuckets(e.ctx, "bad/name", statstore.BucketOptions{})
			e.wantErr("TrainingBuckets of an invalid run name", err, statstore.ErrInvalidRunName)
		}},
	}
}
