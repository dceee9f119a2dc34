package memstore

import (
	"context"
	"fmt"

	"github.com/statstore/statstore"
)

// StoreValidationIterationScores merges scores into the run's validation
// scores (MergeValidationScores without its report).
func (s *Store) StoreValidationIterationScores(ctx context.Context, run string, scores *statstore.ValidationScores) error {
	_, err := s.MergeValidationScores(ctx, run, scores)
	return err
}

// MergeValidationScores merges scores into the run's validation scores by
// iteration, as statstore.PlanValidation decides, and reports what it did.
// Invalid scores, and scores whose metadata differ from the stored metadata
// (statstore.ErrMetadataMismatch), change nothing.
func (s *Store) MergeValidationScores(ctx context.Context, run string, scores *statstore.ValidationScores) (statstore.ValidationMerge, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx, "store validation scores", run); err != nil {
		return statstore.ValidationMerge{}, err
	}
	var (
		meta   statstore.Metadata
		stored []statstore.ValidationIterationScores
	)
	created := s.runs[run] == nil
	if r := s.run(run, false); r != nil {
		meta, stored = r.meta, r.scores
	}
	plan, err := statstore.PlanValidation(meta, stored, scores)
	if err != nil {
		return statstore.ValidationMerge{}, fmt.Errorf("memstore: store validation scores of run %q: %w", run, err)
	}
	switch plan.Action {
	case statstore.WriteAppend:
		r := s.run(run, true)
		r.scores = statstore.MergeValidation(append(r.scores, copyScores(plan.Entries)...))
		s.touchValidation(r)
	case statstore.WriteReplace:
		r := s.run(run, true)
		r.meta = copyMetadata(plan.Metadata)
		r.scores = copyScores(plan.Entries)
		s.touchValidation(r)
	}
	if ev, ok := statstore.MergeEvent(run, plan.Result); ok {
		s.publish(created, ev)
	}
	plan.Log(ctx, s.logger, run)
	return plan.Result, nil
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
		s.touchValidation(r)
		s.dropIfEmpty(run)
		s.publish(false, statstore.Event{Kind: statstore.EventValidationMerged, Run: run})
		s.publishGone(run)
		s.logger.Info("validation scores: deleted", "run", run)
	}
	return nil
}

// DeleteValidationAfter removes the run's validation entries with iteration
// >= iteration, and the metadata when none is left; an unknown run is not
// an error. A negative iteration wraps statstore.ErrInvalidArgument.
func (s *Store) DeleteValidationAfter(ctx context.Context, run string, iteration int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx, "delete validation scores after an iteration", run); err != nil {
		return err
	}
	if iteration < 0 {
		return fmt.Errorf("memstore: delete validation scores of run %q from iteration %d: %w", run, iteration,
			statstore.ErrInvalidArgument)
	}
	r := s.run(run, false)
	if r == nil {
		return nil
	}
	keep := 0
	for keep < len(r.scores) && r.scores[keep].Iteration < iteration {
		keep++
	}
	if keep == len(r.scores) {
		return nil
	}
	removed := len(r.scores) - keep
	r.scores = r.scores[:keep:keep]
	s.touchValidation(r)
	if keep == 0 {
		r.scores, r.meta = nil, statstore.Metadata{}
		s.dropIfEmpty(run)
	}
	s.publish(false, statstore.Event{Kind: statstore.EventValidationMerged, Run: run, From: iteration})
	s.publishGone(run)
	s.logger.Info("validation scores: deleted from an iteration on", "run", run, "from", iteration, "entries", removed)
	return nil
}
