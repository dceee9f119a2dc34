package memstore

import (
	"context"
	"fmt"

	"github.com/statstore/statstore"
)

// StoreValidationIterationScores extends or overwrites the run's validation
// scores as statstore.PlanValidation decides: an append (late checkpoints
// included) is logged at Info, an overwrite at Warn. Invalid scores, and an
// append whose metadata differ from the stored metadata
// (statstore.ErrMetadataMismatch), change nothing.
func (s *Store) StoreValidationIterationScores(ctx context.Context, run string, scores *statstore.ValidationScores) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx, "store validation scores", run); err != nil {
		return err
	}
	var (
		meta  statstore.Metadata
		iters []int
	)
	if r := s.run(run, false); r != nil {
		meta = r.meta
		iters = make([]int, len(r.scores))
		for i, e := range r.scores {
			iters[i] = e.Iteration
		}
	}
	plan, err := statstore.PlanValidation(meta, iters, scores)
	if err != nil {
		return fmt.Errorf("memstore: store validation scores of run %q: %w", run, err)
	}
	switch plan.Action {
	case statstore.WriteNothing:
		s.logger.Debug("validation scores: nothing new to store", "run", run, "stored_entries", len(iters))
	case statstore.WriteAppend:
		r := s.run(run, true)
		r.scores = statstore.MergeValidation(append(r.scores, copyScores(plan.Entries)...))
		s.logger.Info("validation scores: appended", "run", run,
			"entries", len(plan.Entries), "late", plan.Late, "validated_until", r.scores[len(r.scores)-1].Iteration+1)
	case statstore.WriteReplace:
		r := s.run(run, true)
		r.meta = copyMetadata(plan.Metadata)
		r.scores = copyScores(plan.Entries)
		if plan.Overwrite {
			s.logger.Warn("validation scores: overwriting stored scores that reach further than the new ones",
				"run", run, "stored_entries", len(iters), "new_entries", len(plan.Entries),
				"new_validated_until", scores.ValidatedUntil())
		} else {
			s.logger.Info("validation scores: stored", "run", run,
				"entries", len(plan.Entries), "validated_until", scores.ValidatedUntil())
		}
	}
	return nil
}

// RetrieveValidationIterationScores returns a copy of the run's validation
// entries in iteration order; none for an unknown run.
func (s *Store) RetrieveValidationIterationScores(ctx context.Context, run string) ([]statstore.ValidationIterationScores, error) {
	v, err := s.retrieveValidation(ctx, "retrieve validation iteration scores", run)
	if err != nil {
		return nil, err
	}
	return v.Scores, nil
}

// RetrieveValidationScores returns a copy of the run's validation scores with
// their metadata; zero metadata and no scores for an unknown run.
func (s *Store) RetrieveValidationScores(ctx context.Context, run string) (*statstore.ValidationScores, error) {
	return s.retrieveValidation(ctx, "retrieve validation scores", run)
}

func (s *Store) retrieveValidation(ctx context.Context, op, run string) (*statstore.ValidationScores, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.check(ctx, op, run); err != nil {
		return nil, err
	}
	out := &statstore.ValidationScores{Scores: []statstore.ValidationIterationScores{}}
	if r := s.run(run, false); r != nil && len(r.scores) > 0 {
		out.Metadata = copyMetadata(r.meta)
		out.Scores = copyScores(r.scores)
	}
	return out, nil
}

// DeleteValidationScores removes the run's validation scores and their
// metadata; an unknown run is not an error.
func (s *Store) DeleteValidationScores(ctx context.Context, run string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx, "delete validation scores", run); err != nil {
		return err
	}
	if r := s.run(run, false); r != nil && len(r.scores) > 0 {
		r.scores = nil
		r.meta = statstore.Metadata{}
		s.dropIfEmpty(run)
		s.logger.Info("validation scores: deleted", "run", run)
	}
	return nil
}
