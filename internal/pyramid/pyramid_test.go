package pyramid

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/statstore/statstore"
)

// history has gaps, NaN and ±Inf losses, ties and spikes.
func history(r *rand.Rand, n, start int) []statstore.TrainingIterationStats {
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
		out = append(out, statstore.TrainingIterationStats{Iteration: it, Loss: l, Time: float64(it)})
		it += 1 + r.IntN(3)*r.IntN(2)
		if r.IntN(500) == 0 {
			it += r.IntN(100_000) // a gap
		}
	}
	return out
}

type memSource struct {
	m *Mem
	h []statstore.TrainingIterationStats
}

func (s memSource) Blocks(l, from, to int) ([]statstore.TrainingBucket, error) {
	return s.m.Blocks(l, from, to), nil
}

func (s memSource) Entries(from, to int) ([]statstore.TrainingIterationStats, error) {
	var out []statstore.TrainingIterationStats
	for _, e := range s.h {
		if e.Iteration >= from && e.Iteration < to {
			out = append(out, e)
		}
	}
	return out, nil
}

// TestQueryEqualsDirect: buckets from the levels, built in random
// appends, equal the direct reduction for random ranges and widths.
func TestQueryEqualsDirect(t *testing.T) {
	seed := uint64(rand.Int64())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 2))
	for trial := range 60 {
		h := history(r, 1+r.IntN(20_000), r.IntN(1000))
		m := NewMem()
		for i := 0; i < len(h); {
			j := min(len(h), i+1+r.IntN(3000))
			m.Add(h[i:j])
			i = j
		}
		src := memSource{m, h}
		for range 20 {
			opts := statstore.BucketOptions{Buckets: 1 + r.IntN(2000)}
			if r.IntN(2) == 0 {
				a, b := r.IntN(h[len(h)-1].Iteration+2), r.IntN(h[len(h)-1].Iteration+2)
				opts.Range = statstore.IterationRange{From: min(a, b), To: max(a, b) + 1}
			}
			want, ww, err := statstore.BucketTraining(h, opts)
			if err != nil {
				t.Fatal(err)
			}
			in, _ := src.Entries(opts.Range.From, func() int {
				if opts.Range.To == 0 {
					return math.MaxInt
				}
				return opts.Range.To
			}())
			if len(in) == 0 {
				if len(want) != 0 {
					t.Fatalf("trial %d: no entries, direct answer has %d buckets", trial, len(want))
				}
				continue
			}
			x, y, w := in[0].Iteration, in[len(in)-1].Iteration+1, statstore.BucketWidth(in[0].Iteration, in[len(in)-1].Iteration, opts.Buckets)
			got, err := Query(src, x, y, w)
			if err != nil {
				t.Fatal(err)
			}
			if w != ww || fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("trial %d, %+v: width %d, %d buckets; want width %d, %d buckets\n got %v\nwant %v", trial, opts, w, len(got), ww, len(want), got, want)
			}
		}
	}
}

func TestPlan(t *testing.T) {
	// [10, 70000) at width 4096: blocks of 4096 in the middle, finer at
	// the edges, raw under 64 iterations.
	ps := Plan(10, 70_000, 4096)
	next := 10
	for _, p := range ps {
		if p.From != next || p.To <= p.From {
			t.Fatalf("pieces %v do not tile [10, 70000)", ps)
		}
		if p.Level >= 0 && (p.From%Width(p.Level) != 0 || p.To%Width(p.Level) != 0 || Width(p.Level) > 4096) {
			t.Fatalf("piece %+v not aligned to its level", p)
		}
		if p.Level < 0 && p.To-p.From >= Width(0) {
			t.Fatalf("raw piece %+v of %d iterations, want < %d", p, p.To-p.From, Width(0))
		}
		next = p.To
	}
	if next != 70_000 {
		t.Fatalf("pieces %v end at %d, want 70000", ps, next)
	}
	if LevelFor(63) != -1 || LevelFor(64) != 0 || LevelFor(1<<30) != Levels-1 {
		t.Error("LevelFor is wrong")
	}
}
