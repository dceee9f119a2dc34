package statstore

import (
	"math"
	"sort"
)

// DefaultMaxPoints is the number of points a plot retrieval returns at most
// when none is given.
const DefaultMaxPoints = 1000

// MaxMaxPoints bounds SubsampleOptions.MaxPoints.
const MaxMaxPoints = 1_000_000

// SubsampleMode selects how a long history is reduced for plotting.
type SubsampleMode int

// The subsample modes.
const (
	// SubsampleStride picks entries at evenly spaced iterations (see
	// SubsampleTargets). A store answers it by seeking, in time independent
	// of the history's length.
	SubsampleStride SubsampleMode = iota
	// SubsampleMinMax splits the history into buckets and keeps each
	// bucket's lowest and highest finite loss, so spikes stay visible.
	SubsampleMinMax
)

// String returns "stride" or "minmax".
func (m SubsampleMode) String() string {
	if m == SubsampleMinMax {
		return "minmax"
	}
	return "stride"
}

// SubsampleOptions ask for a plot-sized view of a training history.
type SubsampleOptions struct {
	MaxPoints int // at most this many points, >= 2; 0 means DefaultMaxPoints
	Mode      SubsampleMode
	Range     IterationRange // only these iterations; the zero value is all
}

// Normalize fills in defaults and reports invalid options.
func (o SubsampleOptions) Normalize() (SubsampleOptions, error) {
	if o.MaxPoints == 0 {
		o.MaxPoints = DefaultMaxPoints
	}
	if o.MaxPoints < 2 || o.MaxPoints > MaxMaxPoints {
		return o, invalid("subsample of %d points: want between 2 and %d (the first and last are always kept)", o.MaxPoints, MaxMaxPoints)
	}
	if o.Mode != SubsampleStride && o.Mode != SubsampleMinMax {
		return o, invalid("unknown subsample mode %d", int(o.Mode))
	}
	return o, o.Range.Validate()
}

// SubsampleTargets returns the iterations stride mode aims at between first
// and last (inclusive): first + floor(k·(last−first)/(n−1)) for k = 0..n−1,
// without repeats. Each target selects the first entry whose iteration is at
// or after it, so the first and last entries are always selected.
func SubsampleTargets(first, last, n int) []int {
	if last < first {
		return nil
	}
	span := last - first
	if n < 2 || span == 0 {
		return []int{first}
	}
	if span+1 <= n {
		out := make([]int, span+1)
		for i := range out {
			out[i] = first + i
		}
		return out
	}
	out := make([]int, 0, n)
	for k := 0; k < n; k++ {
		t := first + int(mulDiv(uint64(k), uint64(span), uint64(n-1)))
		if len(out) == 0 || out[len(out)-1] != t {
			out = append(out, t)
		}
	}
	return out
}

// mulDiv returns floor(a*b/c) without overflow for the sizes used here.
func mulDiv(a, b, c uint64) uint64 {
	q, r := b/c, b%c
	return a*q + a*r/c
}

// Subsample reduces stats (sorted by iteration) as opts ask: the reference
// that every store's SubsampleTraining must match. Stride mode picks, for each
// of SubsampleTargets(first, last, MaxPoints), the first entry at or after
// it, dropping repeats. MinMax mode returns everything when it fits;
// otherwise the first and last entries and, for each of (MaxPoints−2)/2
// buckets of equal entry counts in between, the entries with the lowest and
// highest finite loss (NaN and ±Inf skipped, so that an infinite loss does
// not hide a finite spike beside it; SubsampleReport reports them; a bucket
// without a finite loss keeps its first entry), in iteration order.
func Subsample(stats []TrainingIterationStats, opts SubsampleOptions) ([]TrainingIterationStats, error) {
	opts, err := opts.Normalize()
	if err != nil {
		return nil, err
	}
	lo := sort.Search(len(stats), func(i int) bool { return stats[i].Iteration >= opts.Range.From })
	hi := len(stats)
	if opts.Range.To != 0 {
		hi = sort.Search(len(stats), func(i int) bool { return stats[i].Iteration >= opts.Range.To })
	}
	if lo >= hi {
		return []TrainingIterationStats{}, nil
	}
	in := stats[lo:hi]
	if opts.Mode == SubsampleMinMax {
		return minMax(in, opts.MaxPoints), nil
	}
	out := make([]TrainingIterationStats, 0, min(opts.MaxPoints, len(in)))
	pos := 0
	for _, t := range SubsampleTargets(in[0].Iteration, in[len(in)-1].Iteration, opts.MaxPoints) {
		pos += sort.Search(len(in)-pos, func(i int) bool { return in[pos+i].Iteration >= t })
		if len(out) == 0 || out[len(out)-1].Iteration != in[pos].Iteration {
			out = append(out, in[pos])
		}
	}
	return out, nil
}

func minMax(in []TrainingIterationStats, maxPoints int) []TrainingIterationStats {
	if len(in) <= maxPoints {
		return append([]TrainingIterationStats(nil), in...)
	}
	inner := in[1 : len(in)-1]
	buckets := (maxPoints - 2) / 2
	out := make([]TrainingIterationStats, 0, maxPoints)
	out = append(out, in[0])
	for b := 0; b < buckets; b++ {
		start := int(mulDiv(uint64(b), uint64(len(inner)), uint64(buckets)))
		end := int(mulDiv(uint64(b+1), uint64(len(inner)), uint64(buckets)))
		if start >= end {
			continue
		}
		lo, hi := -1, -1
		for i := start; i < end; i++ {
			l := inner[i].Loss
			if math.IsNaN(l) || math.IsInf(l, 0) {
				continue
			}
			if lo < 0 || l < inner[lo].Loss {
				lo = i
			}
			if hi < 0 || l > inner[hi].Loss {
				hi = i
			}
		}
		switch {
		case lo < 0:
			out = append(out, inner[start])
		case lo == hi:
			out = append(out, inner[lo])
		default:
			out = append(out, inner[min(lo, hi)], inner[max(lo, hi)])
		}
	}
	return append(out, in[len(in)-1])
}
