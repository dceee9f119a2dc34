// Package pyramid keeps the per-block training summaries (statstore's
// TrainingBucket, the M4 reduction) that stores answer bucket queries from:
// levels of aligned blocks of power-of-two widths 2^6, 2^8, ... 2^24
// iterations, built incrementally as entries are appended (Builder), and a
// plan (Plan) that covers a query's iterations with whole blocks of the
// coarsest level that fits its bucket width, finer levels at the edges and
// raw entries for what is left (fewer than 64 iterations at each end).
// Buckets assembled from the plan's pieces (Acc) equal
// statstore.BucketTraining's answer exactly, since merging buckets is
// associative and keeps the earlier of equal extremes.
package pyramid

import (
	"github.com/statstore/statstore"
)

// Level shifts: level l holds blocks of 2^(MinShift+l*ShiftStep)
// iterations.
const (
	MinShift  = 6
	ShiftStep = 2
	Levels    = 10 // widths 2^6 ... 2^24
)

// Width returns the block width of level l.
func Width(l int) int { return 1 << (MinShift + l*ShiftStep) }

// LevelFor returns the coarsest level whose width is at most w, -1 when
// even the finest is wider.
func LevelFor(w int) int {
	l := -1
	for l+1 < Levels && Width(l+1) <= w {
		l++
	}
	return l
}

// Piece is a part of a query's iterations [From, To): the blocks of Level
// that start there, or raw entries when Level is -1.
type Piece struct {
	Level    int
	From, To int
}

// Plan covers iterations [x, y) with whole blocks of level LevelFor(w)
// and, at the edges, of finer levels, then raw pieces, in iteration order.
func Plan(x, y, w int) []Piece {
	return plan(nil, x, y, LevelFor(w))
}

func plan(out []Piece, x, y, l int) []Piece {
	if x >= y {
		return out
	}
	if l < 0 {
		return append(out, Piece{Level: -1, From: x, To: y})
	}
	L := Width(l)
	a, b := (x+L-1)/L*L, y/L*L
	if a >= b {
		return plan(out, x, y, l-1)
	}
	out = plan(out, x, a, l-1)
	out = append(out, Piece{Level: l, From: a, To: b})
	return plan(out, b, y, l-1)
}

// Acc assembles buckets of width W from summaries given in iteration
// order, each within one bucket (blocks no wider than W, or buckets of
// width W).
type Acc struct {
	W   int
	Out []statstore.TrainingBucket
}

// Add merges b into its bucket.
func (a *Acc) Add(b statstore.TrainingBucket) {
	from := b.From / a.W * a.W
	if n := len(a.Out); n > 0 && a.Out[n-1].From == from {
		b = statstore.MergeBuckets(a.Out[n-1], b)
		b.From, b.To = from, from+a.W
		a.Out[n-1] = b
		return
	}
	b.From, b.To = from, from+a.W
	a.Out = append(a.Out, b)
}

// AddEntries adds entries (in iteration order).
func (a *Acc) AddEntries(entries []statstore.TrainingIterationStats) {
	for _, b := range statstore.BucketsOfWidth(entries, min(a.W, Width(0))) {
		a.Add(b)
	}
}

// Builder builds the levels from entries appended in iteration order.
// Open[l] is the summary of the newest block of level l (Count 0: none
// yet); a block is closed, and handed to the Closed function, when an
// entry past it arrives.
type Builder struct {
	Open [Levels]statstore.TrainingBucket
	// Closed receives each block as it closes, level by level in
	// iteration order.
	Closed func(level int, b statstore.TrainingBucket)
}

// Add adds entries, which follow every entry added before.
func (bd *Builder) Add(entries []statstore.TrainingIterationStats) {
	for _, p := range statstore.BucketsOfWidth(entries, Width(0)) {
		bd.addBlock(p)
	}
}

// addBlock merges a summary of finest-level width into every level.
func (bd *Builder) addBlock(p statstore.TrainingBucket) {
	for l := range Levels {
		L := Width(l)
		from := p.From / L * L
		o := &bd.Open[l]
		if o.Count > 0 && o.From == from {
			m := statstore.MergeBuckets(*o, p)
			m.From, m.To = from, from+L
			*o = m
			continue
		}
		if o.Count > 0 && bd.Closed != nil {
			bd.Closed(l, *o)
		}
		q := p
		q.From, q.To = from, from+L
		*o = q
	}
}

// Covered returns the iteration after the last entry added, 0 for none.
func (bd *Builder) Covered() int {
	if bd.Open[0].Count == 0 {
		return 0
	}
	return bd.Open[0].Last.Iteration + 1
}
