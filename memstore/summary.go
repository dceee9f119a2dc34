package memstore

import (
	"context"
	"fmt"

	"github.com/statstore/statstore"
)

var _ statstore.Summarizer = (*Store)(nil)

// validation returns the run's validation scores (sharing its storage),
// nil when it has none.
func (r *runData) validation() *statstore.ValidationScores {
	if len(r.scores) == 0 {
		return nil
	}
	return &statstore.ValidationScores{Metadata: r.meta, Scores: r.scores}
}

// touchAppended records a training append of entries: the summary is
// brought up to date from them alone. The caller holds s.mu for writing.
func (s *Store) touchAppended(r *runData, entries []statstore.TrainingIterationStats) {
	if r.sum == nil {
		s.touch(r)
		return
	}
	r.written = s.now()
	r.sum.AppendTraining(entries)
}

// touchValidation records a validation write: the summary's validation
// part is taken again from the merged scores. The caller holds s.mu for
// writing.
func (s *Store) touchValidation(r *runData) {
	if r.sum == nil {
		s.touch(r)
		return
	}
	r.written = s.now()
	r.sum.SetValidation(r.validation())
}

// RunSummaries answers q from the summaries every write keeps, reading no
// history. Tags and MetaDigest come from statstore.AttachRunMeta.
func (s *Store) RunSummaries(ctx context.Context, q statstore.RunQuery) (statstore.RunPage, error) {
	if err := q.Validate(); err != nil {
		return statstore.RunPage{}, fmt.Errorf("memstore: run summaries: %w", err)
	}
	sums, err := s.summaries(ctx)
	if err != nil {
		return statstore.RunPage{}, err
	}
	if err := statstore.AttachRunMeta(ctx, s, sums); err != nil {
		return statstore.RunPage{}, fmt.Errorf("memstore: run summaries: %w", err)
	}
	return q.Apply(sums)
}

// summaries returns a copy of every run's summary.
func (s *Store) summaries(ctx context.Context) ([]statstore.RunSummary, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.checkOpen(ctx, "run summaries"); err != nil {
		return nil, err
	}
	out := make([]statstore.RunSummary, 0, len(s.runs))
	for name, r := range s.runs {
		if r.sum == nil {
			s := statstore.Summarize("", &statstore.TrainingStats{IterationStats: r.training}, r.validation())
			r = &runData{sum: &s, written: r.written}
		}
		sum := *r.sum
		sum.Best = append([]statstore.Best(nil), sum.Best...)
		sum.Health = append([]string(nil), sum.Health...)
		sum.Run, sum.LastWrite = name, r.written
		out = append(out, sum)
	}
	return out, nil
}
