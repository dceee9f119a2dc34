package statstore

import (
	"context"
	"fmt"
)

// CopyRun copies one run's training stats and validation scores (with their
// metadata) from one store to another, through the ordinary Store calls, so
// the destination applies its extend-or-overwrite rules: copying into an
// empty destination reproduces the run exactly. It reads both before it
// writes either, so a run whose source cannot be read is not half copied.
func CopyRun(ctx context.Context, from, to StatsStore, run string) error {
	if err := ValidateRunName(run); err != nil {
		return err
	}
	training, err := from.RetrieveTrainingStats(ctx, run)
	if err != nil {
		return fmt.Errorf("copy run %q: read training stats: %w", run, err)
	}
	scores, err := from.RetrieveValidationScores(ctx, run)
	if err != nil {
		return fmt.Errorf("copy run %q: read validation scores: %w", run, err)
	}
	if err := to.StoreTrainingStats(ctx, run, training); err != nil {
		return fmt.Errorf("copy run %q: write training stats: %w", run, err)
	}
	if err := to.StoreValidationIterationScores(ctx, run, scores); err != nil {
		return fmt.Errorf("copy run %q: write validation scores: %w", run, err)
	}
	return nil
}
