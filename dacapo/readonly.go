package dacapo

import (
	"context"
	"fmt"

	"github.com/statstore/statstore"
)

// readOnly is the error of every write: DaCapo directories are converted,
// not changed in place. A done context, a closed store and an invalid run
// name are reported as by every other call.
func (s *Store) readOnly(ctx context.Context, op, run string) error {
	if err := s.check(ctx, op, run); err != nil {
		return err
	}
	return fmt.Errorf("dacapo: cannot %s of run %q: %s is a DaCapo stats directory (read-only); convert it with `statstore import dacapo %s`: %w",
		op, run, s.dir, s.dir, statstore.ErrReadOnly)
}

// StoreTrainingStats fails with statstore.ErrReadOnly.
func (s *Store) StoreTrainingStats(ctx context.Context, run string, _ *statstore.TrainingStats) error {
	return s.readOnly(ctx, "store training stats", run)
}

// StoreValidationIterationScores fails with statstore.ErrReadOnly.
func (s *Store) StoreValidationIterationScores(ctx context.Context, run string, _ *statstore.ValidationScores) error {
	return s.readOnly(ctx, "store validation scores", run)
}

// MergeValidationScores fails with statstore.ErrReadOnly.
func (s *Store) MergeValidationScores(ctx context.Context, run string, _ *statstore.ValidationScores) (statstore.ValidationMerge, error) {
	return statstore.ValidationMerge{}, s.readOnly(ctx, "store validation scores", run)
}

// DeleteValidationAfter fails with statstore.ErrReadOnly.
func (s *Store) DeleteValidationAfter(ctx context.Context, run string, _ int) error {
	return s.readOnly(ctx, "delete validation scores", run)
}

// DeleteTrainingStats fails with statstore.ErrReadOnly.
func (s *Store) DeleteTrainingStats(ctx context.Context, run string) error {
	return s.readOnly(ctx, "delete training stats", run)
}

// DeleteValidationScores fails with statstore.ErrReadOnly.
func (s *Store) DeleteValidationScores(ctx context.Context, run string) error {
	return s.readOnly(ctx, "delete validation scores", run)
}

// DeleteRun fails with statstore.ErrReadOnly.
func (s *Store) DeleteRun(ctx context.Context, run string) error {
	return s.readOnly(ctx, "delete everything", run)
}
