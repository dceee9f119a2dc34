package pyramid

import (
	"sort"

	"github.com/statstore/statstore"
)

// Source is what Query reads: a store's levels and its entries.
type Source interface {
	// Blocks returns level l's blocks that start in [from, to), in
	// iteration order (each aligned to Width(l)).
	Blocks(l, from, to int) ([]statstore.TrainingBucket, error)
	// Entries returns the entries with iteration in [from, to), in order.
	Entries(from, to int) ([]statstore.TrainingIterationStats, error)
}

// Query returns the non-empty buckets of width w over the entries with
// iteration in [x, y), from the pieces Plan gives: what
// statstore.BucketsOfWidth returns for those entries.
func Query(src Source, x, y, w int) ([]statstore.TrainingBucket, error) {
	acc := Acc{W: w, Out: make([]statstore.TrainingBucket, 0, max(y-x, 0)/w+2)}
	for _, p := range Plan(x, y, w) {
		if p.Level < 0 {
			es, err := src.Entries(p.From, p.To)
			if err != nil {
				return nil, err
			}
			acc.AddEntries(es)
			continue
		}
		bs, err := src.Blocks(p.Level, p.From, p.To)
		if err != nil {
			return nil, err
		}
		for _, b := range bs {
			acc.Add(b)
		}
	}
	return acc.Out, nil
}

// Mem is a Builder that keeps the closed blocks in memory: the levels of
// the memory store, and of a file store's blocks not yet written.
type Mem struct {
	Builder
	Done [Levels][]statstore.TrainingBucket // closed blocks, per level
}

// NewMem returns an empty Mem.
func NewMem() *Mem {
	m := &Mem{}
	m.Closed = func(l int, b statstore.TrainingBucket) { m.Done[l] = append(m.Done[l], b) }
	return m
}

// Blocks returns level l's blocks, closed and open, that start in
// [from, to).
func (m *Mem) Blocks(l, from, to int) []statstore.TrainingBucket {
	return BlocksIn(m.Done[l], m.Open[l], from, to)
}

// BlocksIn returns the blocks of closed (in order), then open (when it has
// entries), that start in [from, to).
func BlocksIn(closed []statstore.TrainingBucket, open statstore.TrainingBucket, from, to int) []statstore.TrainingBucket {
	i := sort.Search(len(closed), func(i int) bool { return closed[i].From >= from })
	j := i + sort.Search(len(closed)-i, func(k int) bool { return closed[i+k].From >= to })
	out := closed[i:j:j]
	if open.Count > 0 && open.From >= from && open.From < to {
		out = append(out, open)
	}
	return out
}
