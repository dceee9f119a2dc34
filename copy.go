package statstore

import (
	"context"
	"fmt"
)

// CopyRun copies one run's training stats and validation scores (with their
// metadata) and its run metadata (CopyRunMeta) from one store to another, through the ordinary Store calls, so
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
	return CopyRunMeta(ctx, from, to, run)
}

// SyncResult says what SyncRun did to one run's training stats: Skipped
// when the destination already held the source's history (same
// trained-until, entry count and last entry), Appended new entries after a
// destination history that is a prefix of the source's, or Copied the whole
// history (a new run, or one whose stored history differs: a rewind).
// Validation scores are merged every time (idempotent: ValidationMerge says
// what changed).
type SyncResult struct {
	Skipped         bool
	Appended        int
	Copied          int
	ValidationMerge ValidationMerge
}

// SyncRun brings run up to date in to from from, transferring only what
// is new where it can: with the summaries of both (ListRuns; dst nil when
// the run is not in to), a destination history that is a prefix of the
// source's — the same number of entries below its trained-until and the
// same last entry — gets the source's entries after it (one range read);
// an equal one gets nothing; anything else is copied whole, and the
// destination's extend-or-overwrite rule applies. Validation scores are
// merged by iteration as CopyRun stores them. Reads come before writes.
func SyncRun(ctx context.Context, from, to StatsStore, run string, src RunInfo, dst *RunInfo) (SyncResult, error) {
	var res SyncResult
	if err := ValidateRunName(run); err != nil {
		return res, err
	}
	var tail []TrainingIterationStats
	whole := true
	if dst != nil && dst.TrainingIterations > 0 && src.TrainedUntil >= dst.TrainedUntil {
		t, err := from.RetrieveTrainingRange(ctx, run, IterationRange{From: dst.TrainedUntil - 1})
		if err != nil {
			return res, fmt.Errorf("sync run %q: read training stats: %w", run, err)
		}
		d, err := to.RetrieveTrainingRange(ctx, run, IterationRange{From: dst.TrainedUntil - 1})
		if err != nil {
			return res, fmt.Errorf("sync run %q: read the destination's training stats: %w", run, err)
		}
		es := t.IterationStats
		if len(es) > 0 && len(d.IterationStats) == 1 && sameEntry(es[0], d.IterationStats[0]) &&
			src.TrainingIterations-(len(es)-1) == dst.TrainingIterations {
			whole, tail = false, es[1:]
		}
	}
	var training *TrainingStats
	if whole {
		t, err := from.RetrieveTrainingStats(ctx, run)
		if err != nil {
			return res, fmt.Errorf("sync run %q: read training stats: %w", run, err)
		}
		training = t
	}
	scores, err := from.RetrieveValidationScores(ctx, run)
	if err != nil {
		return res, fmt.Errorf("sync run %q: read validation scores: %w", run, err)
	}
	switch {
	case whole:
		if err := replaceTraining(ctx, to, run, training, dst); err != nil {
			return res, fmt.Errorf("sync run %q: write training stats: %w", run, err)
		}
		res.Copied = len(training.IterationStats)
	case len(tail) == 0:
		res.Skipped = true
	default:
		if err := to.StoreTrainingStats(ctx, run, &TrainingStats{IterationStats: tail}); err != nil {
			return res, fmt.Errorf("sync run %q: append training stats: %w", run, err)
		}
		res.Appended = len(tail)
	}
	if scores.Len() > 0 {
		if res.ValidationMerge, err = to.MergeValidationScores(ctx, run, scores); err != nil {
			return res, fmt.Errorf("sync run %q: merge validation scores: %w", run, err)
		}
	}
	return res, CopyRunMeta(ctx, from, to, run)
}

// replaceTraining makes to's history of run equal to training. The
// extend rule would append a longer history to a stored one that differs,
// so a stored history (dst not nil) is first replaced by training's part
// below its trained-until (one atomic replace), then the rest is appended;
// when training has no such part the stored history is deleted first. An
// interruption between the two steps leaves a history that a rerun
// completes.
func replaceTraining(ctx context.Context, to StatsStore, run string, training *TrainingStats, dst *RunInfo) error {
	if dst != nil && dst.TrainingIterations > 0 {
		below := training.IterationStats[:training.searchIteration(dst.TrainedUntil)]
		if len(below) > 0 {
			if err := to.StoreTrainingStats(ctx, run, &TrainingStats{IterationStats: below}); err != nil {
				return err
			}
		} else if err := to.DeleteTrainingStats(ctx, run); err != nil {
			return err
		}
	}
	return to.StoreTrainingStats(ctx, run, training)
}

// sameEntry reports whether two training entries are equal, NaN equal to NaN.
func sameEntry(a, b TrainingIterationStats) bool {
	return a.Iteration == b.Iteration && sameFloat(a.Loss, b.Loss) && sameFloat(a.Time, b.Time)
}
