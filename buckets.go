package statstore

import (
	"context"
	"math"
	"math/bits"
	"sort"
)

// MaxBuckets bounds BucketOptions.Buckets.
const MaxBuckets = 100_000

// TrainingBucket summarises the training entries whose iteration is in
// [From, To): the M4 reduction of a plot column (the first and last
// entries, and the entries with the lowest and highest finite loss), so a
// line drawn through every bucket's points shows every spike a full
// drawing would, plus where the loss was not finite. Buckets merge
// (MergeBuckets), so a store may keep them precomputed for fixed blocks of
// iterations and answer any coarser width without reading the entries.
type TrainingBucket struct {
	From, To int // the bucket's iterations; To - From is its width
	Count    int // entries in the bucket (>= 1)
	// First and Last are the bucket's first and last entries.
	First, Last TrainingIterationStats
	// Min and Max are the entries with the lowest and highest finite loss
	// (the first one of equal losses); valid when Finite > 0.
	Min, Max TrainingIterationStats
	// Finite counts the entries with a finite loss; NaN, PosInf and NegInf
	// the others.
	Finite, NaN, PosInf, NegInf int
	// FirstNonFinite is the iteration of the first entry whose loss is
	// not finite, -1 when every loss is.
	FirstNonFinite int
}

// Points returns the bucket's distinct entries in iteration order: first,
// min, max, last (fewer when they coincide), the points a plot draws.
func (b TrainingBucket) Points() []TrainingIterationStats {
	pts := make([]TrainingIterationStats, 0, 4)
	add := func(e TrainingIterationStats) {
		for _, p := range pts {
			if p.Iteration == e.Iteration {
				return
			}
		}
		pts = append(pts, e)
	}
	add(b.First)
	if b.Finite > 0 {
		if b.Min.Iteration <= b.Max.Iteration {
			add(b.Min)
			add(b.Max)
		} else {
			add(b.Max)
			add(b.Min)
		}
	}
	add(b.Last)
	sort.Slice(pts, func(i, j int) bool { return pts[i].Iteration < pts[j].Iteration })
	return pts
}

// NonFinite returns how many of the bucket's losses are NaN or ±Inf.
func (b TrainingBucket) NonFinite() int { return b.NaN + b.PosInf + b.NegInf }

// BucketOptions ask for a training history reduced to plot columns.
type BucketOptions struct {
	// Buckets is the most buckets wanted (a plot's width in pixels),
	// between 1 and MaxBuckets; 0 means DefaultMaxPoints.
	Buckets int
	// Range selects the iterations; the zero value is all.
	Range IterationRange
}

// Normalize fills in defaults and reports invalid options.
func (o BucketOptions) Normalize() (BucketOptions, error) {
	if o.Buckets == 0 {
		o.Buckets = DefaultMaxPoints
	}
	if o.Buckets < 1 || o.Buckets > MaxBuckets {
		return o, invalid("%d buckets: want between 1 and %d", o.Buckets, MaxBuckets)
	}
	return o, o.Range.Validate()
}

// BucketWidth returns the width of the buckets that cover iterations first
// through last in at most n buckets: the smallest power of two w for which
// the aligned buckets [k·w, (k+1)·w) that hold first and last number at
// most n. Buckets are aligned to iterations, not to the history's start,
// so a finished run and one still running draw alike, and a bucket's
// summary never changes once training has passed it.
func BucketWidth(first, last, n int) int {
	if n < 1 || last < first {
		return 1
	}
	w := 1
	if span := (last - first + 1) / n; span > 1 {
		w = 1 << (bits.Len(uint(span-1)) - 1) // a power of two at most span
	}
	for last/w-first/w+1 > n {
		w *= 2
	}
	return w
}

// BucketTraining reduces stats (in iteration order, as stores return them)
// to the buckets of width BucketWidth over the entries opts.Range selects;
// empty buckets are left out. It is the reference answer of
// TrainingBucketer.
func BucketTraining(stats []TrainingIterationStats, opts BucketOptions) ([]TrainingBucket, int, error) {
	opts, err := opts.Normalize()
	if err != nil {
		return nil, 0, err
	}
	in := inRange(stats, opts.Range)
	if len(in) == 0 {
		return []TrainingBucket{}, 1, nil
	}
	w := BucketWidth(in[0].Iteration, in[len(in)-1].Iteration, opts.Buckets)
	return BucketsOfWidth(in, w), w, nil
}

// BucketsOfWidth reduces entries (in iteration order) to the non-empty
// aligned buckets of width w.
func BucketsOfWidth(entries []TrainingIterationStats, w int) []TrainingBucket {
	var out []TrainingBucket
	for i := 0; i < len(entries); {
		from := entries[i].Iteration / w * w
		j := i + sort.Search(len(entries)-i, func(k int) bool { return entries[i+k].Iteration >= from+w })
		out = append(out, bucketOf(entries[i:j], from, from+w))
		i = j
	}
	return out
}

// bucketOf summarises entries (not empty) as the bucket [from, to).
func bucketOf(entries []TrainingIterationStats, from, to int) TrainingBucket {
	b := TrainingBucket{From: from, To: to, First: entries[0], Last: entries[len(entries)-1], FirstNonFinite: -1}
	for _, e := range entries {
		b.add(e)
	}
	return b
}

// add counts e, the bucket's latest entry, in the bucket's extremes.
func (b *TrainingBucket) add(e TrainingIterationStats) {
	b.Count++
	switch l := e.Loss; {
	case math.IsNaN(l):
		b.NaN++
	case math.IsInf(l, 1):
		b.PosInf++
	case math.IsInf(l, -1):
		b.NegInf++
	default:
		if b.Finite == 0 || l < b.Min.Loss {
			b.Min = e
		}
		if b.Finite == 0 || l > b.Max.Loss {
			b.Max = e
		}
		b.Finite++
		return
	}
	if b.FirstNonFinite < 0 {
		b.FirstNonFinite = e.Iteration
	}
}

// MergeBuckets returns the summary of two buckets' entries as one bucket
// [a.From, b.To), where a's entries all come before b's. Merging is
// associative, so a bucket of width 2^k·B is the merge of 2^k blocks of
// width B, in order; ties keep the earlier entry, as bucketOf does.
func MergeBuckets(a, b TrainingBucket) TrainingBucket {
	m := TrainingBucket{From: a.From, To: b.To, Count: a.Count + b.Count, First: a.First, Last: b.Last,
		Min: a.Min, Max: a.Max, Finite: a.Finite + b.Finite,
		NaN: a.NaN + b.NaN, PosInf: a.PosInf + b.PosInf, NegInf: a.NegInf + b.NegInf, FirstNonFinite: a.FirstNonFinite}
	if b.Finite > 0 {
		if a.Finite == 0 || b.Min.Loss < a.Min.Loss {
			m.Min = b.Min
		}
		if a.Finite == 0 || b.Max.Loss > a.Max.Loss {
			m.Max = b.Max
		}
	}
	if m.FirstNonFinite < 0 {
		m.FirstNonFinite = b.FirstNonFinite
	}
	return m
}

// TrainingBucketer is implemented by stores that reduce a training
// history to buckets from summaries they keep, in time that grows with
// the number of buckets rather than with the history.
type TrainingBucketer interface {
	// TrainingBuckets answers as BucketTraining does on the run's history
	// (an unknown run: no buckets).
	TrainingBuckets(ctx context.Context, run string, opts BucketOptions) (buckets []TrainingBucket, width int, err error)
}

// RetrieveTrainingBuckets returns the run's history reduced to buckets:
// from the store's summaries when it is a TrainingBucketer, else from the
// entries of the range.
func RetrieveTrainingBuckets(ctx context.Context, s StatsStore, run string, opts BucketOptions) ([]TrainingBucket, int, error) {
	opts, err := opts.Normalize()
	if err != nil {
		return nil, 0, err
	}
	if b, ok := s.(TrainingBucketer); ok {
		return b.TrainingBuckets(ctx, run, opts)
	}
	stats, err := s.RetrieveTrainingRange(ctx, run, opts.Range)
	if err != nil {
		return nil, 0, err
	}
	return BucketTraining(stats.IterationStats, opts)
}
