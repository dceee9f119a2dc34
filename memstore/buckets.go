package memstore

import (
	"context"
	"fmt"
	"sort"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/pyramid"
)

var _ statstore.TrainingBucketer = (*Store)(nil)

// TrainingBuckets answers as statstore.BucketTraining does on the run's
// history, from block summaries kept beside it (package
// internal/pyramid: levels of 2^6 ... 2^24 iterations, extended by every
// append, rebuilt on the first query after an overwrite), in time that
// grows with the number of buckets rather than with the history.
func (s *Store) TrainingBuckets(ctx context.Context, run string, opts statstore.BucketOptions) ([]statstore.TrainingBucket, int, error) {
	opts, err := opts.Normalize()
	if err != nil {
		return nil, 0, fmt.Errorf("memstore: training buckets of run %q: %w", run, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx, "training buckets", run); err != nil {
		return nil, 0, err
	}
	rd := s.run(run, false)
	if rd == nil {
		return []statstore.TrainingBucket{}, 1, nil
	}
	h := rd.training
	i := sort.Search(len(h), func(i int) bool { return h[i].Iteration >= opts.Range.From })
	j := len(h)
	if opts.Range.To != 0 {
		j = sort.Search(len(h), func(i int) bool { return h[i].Iteration >= opts.Range.To })
	}
	if i >= j {
		return []statstore.TrainingBucket{}, 1, nil
	}
	if rd.pyr == nil {
		rd.pyr = pyramid.NewMem()
		rd.pyr.Add(h)
	}
	w := statstore.BucketWidth(h[i].Iteration, h[j-1].Iteration, opts.Buckets)
	out, err := pyramid.Query(memLevels{rd.pyr, h}, h[i].Iteration, h[j-1].Iteration+1, w)
	return out, w, err
}

// memLevels is a run's levels and history as pyramid.Query reads them.
type memLevels struct {
	m *pyramid.Mem
	h []statstore.TrainingIterationStats
}

func (l memLevels) Blocks(level, from, to int) ([]statstore.TrainingBucket, error) {
	return l.m.Blocks(level, from, to), nil
}

func (l memLevels) Entries(from, to int) ([]statstore.TrainingIterationStats, error) {
	i := sort.Search(len(l.h), func(i int) bool { return l.h[i].Iteration >= from })
	j := i + sort.Search(len(l.h)-i, func(k int) bool { return l.h[i+k].Iteration >= to })
	return l.h[i:j], nil
}
