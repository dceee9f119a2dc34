package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/statstore/statstore"
)

// SubsampleTraining returns at most opts.MaxPoints training entries for
// plotting, exactly as statstore.Subsample defines them. Stride mode runs
// in the database without reading the history: two index lookups find the
// first and last iteration in range, and one lookup per target of
// statstore.SubsampleTargets finds the first entry at or after it (at most
// MaxPoints index probes, whatever the history's length). MinMax mode
// reads the entries in range.
func (s *Store) SubsampleTraining(ctx context.Context, run string, opts statstore.SubsampleOptions) ([]statstore.TrainingIterationStats, error) {
	what := fmt.Sprintf("subsample training stats of run %q", run)
	if err := checkRun(what, run); err != nil {
		return nil, err
	}
	opts, err := opts.Normalize()
	if err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", what, err)
	}
	if opts.Mode == statstore.SubsampleMinMax {
		stats, err := s.RetrieveTrainingRange(ctx, run, opts.Range)
		if err != nil {
			return nil, err
		}
		out, err := statstore.Subsample(stats.IterationStats, opts)
		if err != nil {
			return nil, fmt.Errorf("postgres: %s: %w", what, err)
		}
		return out, nil
	}
	var out []statstore.TrainingIterationStats
	err = s.readTx(ctx, what, func(tx pgx.Tx) error {
		var err error
		out, err = strideSubsample(ctx, tx, run, opts)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// strideQuery picks, for each target iteration ($2, in order), the first
// entry of run $1 at or after it: one index probe per target.
const strideQuery = `SELECT x.iteration, x.loss, x.time
	FROM unnest($2::bigint[]) WITH ORDINALITY AS g(target, ord)
	CROSS JOIN LATERAL (
		SELECT iteration, loss, time FROM statstore_training
		WHERE run_id = $1 AND iteration >= g.target
		ORDER BY iteration LIMIT 1) x
	ORDER BY g.ord`

func strideSubsample(ctx context.Context, tx pgx.Tx, run string, opts statstore.SubsampleOptions) ([]statstore.TrainingIterationStats, error) {
	out := []statstore.TrainingIterationStats{}
	r, ok, err := readRun(ctx, tx, run)
	if err != nil || !ok {
		return out, err
	}
	if _, err := tx.Exec(ctx, indexOrder); err != nil {
		return nil, err
	}
	var first, last *int64
	err = tx.QueryRow(ctx, `SELECT
		(SELECT iteration FROM statstore_training WHERE run_id = $1 AND iteration >= $2 AND iteration < $3 ORDER BY iteration LIMIT 1),
		(SELECT iteration FROM statstore_training WHERE run_id = $1 AND iteration >= $2 AND iteration < $3 ORDER BY iteration DESC LIMIT 1)`,
		r.ID, int64(opts.Range.From), rangeEnd(opts.Range)).Scan(&first, &last)
	if err != nil {
		return nil, fmt.Errorf("find the first and last iteration: %w", err)
	}
	if err := checkStrideBounds(run, r, opts.Range, last); err != nil {
		return nil, err
	}
	if first == nil || last == nil {
		return out, nil
	}
	targets := statstore.SubsampleTargets(int(*first), int(*last), opts.MaxPoints)
	t64 := make([]int64, len(targets))
	for i, t := range targets {
		t64[i] = int64(t)
	}
	// Each target is at most last, which is in range, so the first entry at
	// or after it is in range too.
	picked, err := queryTraining(ctx, tx, run, strideQuery, r.ID, t64)
	if err != nil {
		return nil, fmt.Errorf("pick %d entries: %w", len(targets), err)
	}
	for _, e := range picked {
		if len(out) == 0 || out[len(out)-1].Iteration != e.Iteration {
			out = append(out, e)
		}
	}
	return out, nil
}

// checkStrideBounds cross-checks the last iteration found in range rng
// (nil for none) with the run's counters: it must be before trained_until,
// and when rng covers the whole history it must be trained_until-1 (none
// exactly when training_count is 0). A mismatch is a
// *statstore.CorruptError.
func checkStrideBounds(run string, r runRow, rng statstore.IterationRange, last *int64) error {
	until := int64(0)
	if last != nil {
		until = *last + 1
	}
	whole := rng.From == 0 && (rng.To == 0 || int64(rng.To) >= r.TrainedUntil)
	if until > r.TrainedUntil || whole && (until != r.TrainedUntil || (last == nil) != (r.TrainingCount == 0)) {
		found := "none"
		if last != nil {
			found = fmt.Sprint(*last)
		}
		in := fmt.Sprintf("iterations %d to %d", rng.From, rng.To-1)
		if rng.To == 0 {
			in = fmt.Sprintf("iterations from %d", rng.From)
		}
		return corruptRun(run, fmt.Sprintf("training_count is %d and trained_until %d, but the last entry of table statstore_training in %s is %s",
			r.TrainingCount, r.TrainedUntil, in, found), nil)
	}
	return nil
}
