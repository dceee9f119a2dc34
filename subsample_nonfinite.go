package statstore

import (
	"context"
	"math"
	"sort"
)

// FullCheckFactor bounds the extra reading a stride subsample does to find
// the non-finite losses it skipped: when its range spans at most
// FullCheckFactor × MaxPoints iterations (so holds at most that many
// entries), SubsampleTrainingReport reads the range whole and reports every
// non-finite loss in it; beyond that it checks only the entries it picked.
const FullCheckFactor = 16

// NonFiniteSpan is a stretch of a training history whose losses are all
// NaN, all +Inf or all −Inf, as plots mark them.
type NonFiniteSpan struct {
	From, To int     // the first and last iteration of the span, inclusive
	Loss     float64 // NaN, +Inf or −Inf
	// Count is the number of entries of the span with that loss. Spans of
	// one kind closer than one plot step (see NonFiniteSpans) are merged,
	// so Count can be less than the entries between From and To.
	Count int
}

// TrainingSubsample is a plot subsample together with the non-finite losses
// of its range, which the subsample itself may skip (stride mode picks
// between them, min/max mode keeps finite extremes).
type TrainingSubsample struct {
	Points []TrainingIterationStats // as SubsampleTraining returns them
	// NonFinite are the spans of non-finite losses found, in iteration order.
	NonFinite []NonFiniteSpan
	// NaN, PosInf and NegInf count the non-finite losses found.
	NaN, PosInf, NegInf int
	// Checked is the number of entries whose loss was looked at. Complete
	// reports that they are all the entries of the range, so the counts
	// and spans are exact; otherwise they cover only the checked entries.
	Checked  int
	Complete bool
}

// NonFiniteCount returns NaN + PosInf + NegInf.
func (t *TrainingSubsample) NonFiniteCount() int { return t.NaN + t.PosInf + t.NegInf }

// A SubsampleReporter answers SubsampleTrainingReport itself (a remote
// store asks its server, a store with an index of non-finite losses reads
// it instead of the range).
type SubsampleReporter interface {
	SubsampleTrainingReport(ctx context.Context, run string, opts SubsampleOptions) (*TrainingSubsample, error)
}

// SubsampleReport returns Subsample(stats, opts) and every non-finite loss
// in opts' range of stats (sorted by iteration): the reference answer, with
// Complete set.
func SubsampleReport(stats []TrainingIterationStats, opts SubsampleOptions) (*TrainingSubsample, error) {
	opts, err := opts.Normalize()
	if err != nil {
		return nil, err
	}
	pts, err := Subsample(stats, opts)
	if err != nil {
		return nil, err
	}
	in := inRange(stats, opts.Range)
	out := &TrainingSubsample{Points: pts, Checked: len(in), Complete: true}
	if len(in) > 0 {
		out.count(in)
		out.NonFinite = NonFiniteSpans(in, plotStep(in[0].Iteration, in[len(in)-1].Iteration, opts.MaxPoints))
	}
	return out, nil
}

// SubsampleTrainingReport returns s.SubsampleTraining(ctx, run, opts) with
// the non-finite losses of the range, within the cost of the subsample:
//
//   - a SubsampleReporter answers itself;
//   - min/max mode reads the range once (as the stores' min/max mode does)
//     and reports every non-finite loss: Complete;
//   - stride mode picks its points (MaxPoints seeks); when the range spans
//     at most FullCheckFactor × MaxPoints iterations it then reads the range
//     whole (at most that many entries) and reports every non-finite loss:
//     Complete; on a longer range it reports the non-finite losses among the
//     picked points only, with Complete false, because finding the others
//     would read the whole range (no store keeps an index of them). Ask for
//     min/max mode, or a narrower range, to find them all.
func SubsampleTrainingReport(ctx context.Context, s StatsStore, run string, opts SubsampleOptions) (*TrainingSubsample, error) {
	if r, ok := s.(SubsampleReporter); ok {
		return r.SubsampleTrainingReport(ctx, run, opts)
	}
	opts, err := opts.Normalize()
	if err != nil {
		return nil, err
	}
	if opts.Mode == SubsampleMinMax {
		stats, err := s.RetrieveTrainingRange(ctx, run, opts.Range)
		if err != nil {
			return nil, err
		}
		return SubsampleReport(stats.IterationStats, opts)
	}
	pts, err := s.SubsampleTraining(ctx, run, opts)
	if err != nil {
		return nil, err
	}
	out := &TrainingSubsample{Points: pts, Checked: len(pts), Complete: true}
	if len(pts) == 0 {
		return out, nil
	}
	first, last := pts[0].Iteration, pts[len(pts)-1].Iteration
	span := last - first + 1
	switch {
	case span == len(pts): // every iteration of the range is a point
	case span <= FullCheckFactor*opts.MaxPoints:
		stats, err := s.RetrieveTrainingRange(ctx, run, IterationRange{From: first, To: last + 1})
		if err != nil {
			return nil, err
		}
		// Points and losses from the same read: one state of the run.
		return SubsampleReport(stats.IterationStats, SubsampleOptions{MaxPoints: opts.MaxPoints, Range: IterationRange{From: first, To: last + 1}})
	default:
		out.Complete = false
	}
	out.count(pts)
	out.NonFinite = NonFiniteSpans(pts, plotStep(first, last, opts.MaxPoints))
	return out, nil
}

// NonFiniteSpans returns the spans of non-finite losses in entries (sorted
// by iteration). Consecutive entries with the same kind of non-finite loss
// form one span; a span also absorbs the next span of its kind that starts
// at most step iterations after it ends (step >= 1; one plot step, so that
// a plot gets at most about one span of each kind per point).
func NonFiniteSpans(entries []TrainingIterationStats, step int) []NonFiniteSpan {
	step = max(step, 1)
	var out []NonFiniteSpan
	lastOf := [3]int{-1, -1, -1} // the index in out of the last span of each kind
	prev := -1                   // the kind of the previous entry, -1 for finite
	for _, e := range entries {
		k := nonFiniteKind(e.Loss)
		if k < 0 {
			prev = -1
			continue
		}
		if j := lastOf[k]; j >= 0 && (prev == k || e.Iteration-out[j].To <= step) {
			out[j].To = e.Iteration
			out[j].Count++
		} else {
			lastOf[k] = len(out)
			out = append(out, NonFiniteSpan{From: e.Iteration, To: e.Iteration, Loss: e.Loss, Count: 1})
		}
		prev = k
	}
	return out
}

// nonFiniteKind returns 0 for NaN, 1 for +Inf, 2 for −Inf and -1 for a
// finite value.
func nonFiniteKind(v float64) int {
	switch {
	case math.IsNaN(v):
		return 0
	case math.IsInf(v, 1):
		return 1
	case math.IsInf(v, -1):
		return 2
	}
	return -1
}

// count adds the non-finite losses of entries to t's counts.
func (t *TrainingSubsample) count(entries []TrainingIterationStats) {
	for _, e := range entries {
		switch nonFiniteKind(e.Loss) {
		case 0:
			t.NaN++
		case 1:
			t.PosInf++
		case 2:
			t.NegInf++
		}
	}
}

// plotStep returns the iterations between two of n evenly spaced points
// from first to last, at least 1.
func plotStep(first, last, n int) int {
	if n < 2 {
		return 1
	}
	return max(1, (last-first)/(n-1))
}

// inRange returns the entries of stats (sorted by iteration) in r.
func inRange(stats []TrainingIterationStats, r IterationRange) []TrainingIterationStats {
	lo := sort.Search(len(stats), func(i int) bool { return stats[i].Iteration >= r.From })
	hi := len(stats)
	if r.To != 0 {
		hi = max(lo, sort.Search(len(stats), func(i int) bool { return stats[i].Iteration >= r.To }))
	}
	return stats[lo:hi]
}
