package postgres

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/statstore/statstore"
)

// StoreTrainingStats extends or overwrites the run's training stats as
// statstore.PlanTraining decides, in one transaction holding the run's
// lock: concurrent writers of one run are serialised, and an overwrite
// replaces the whole history atomically. New entries are sent as blocks
// (see chunks.go), with the run's counters and the COMMIT, in one round
// trip: an append costs two (see lockedWrite), or one when this Store
// wrote the run last (see fastAppend).
func (s *Store) StoreTrainingStats(ctx context.Context, run string, stats *statstore.TrainingStats) error {
	what := fmt.Sprintf("store training stats of run %q", run)
	if err := checkRun(what, run); err != nil {
		return err
	}
	// Nil or empty stats are settled without the database. Anything else
	// is checked by PlanTraining against what is stored: an append checks
	// only the entries it appends, so the input cannot be checked whole
	// here.
	if stats == nil || len(stats.IterationStats) == 0 {
		if _, err := statstore.PlanTraining(0, stats); err != nil {
			return fmt.Errorf("postgres: %s: %w", what, err)
		}
		return nil
	}
	plan, cached, done, err := s.fastAppend(ctx, what, run, stats)
	if done {
		if err == nil {
			s.logTrainingPlan(run, cached.TrainedUntil, plan)
		}
		return err
	}
	var storedUntil int64
	var written runRow
	rewind, marked := statstore.NoRewind, []int(nil)
	var summary statstore.RunSummary
	err = s.lockedWrite(ctx, what, run, func(tx pgx.Tx, r *runRow, b *pgx.Batch) error {
		written = *r
		was := *r
		storedUntil = r.TrainedUntil
		var err error
		if plan, err = statstore.PlanTraining(int(r.TrainedUntil), stats); err != nil {
			return err
		}
		switch plan.Action {
		case statstore.WriteNothing:
			return nil
		case statstore.WriteReplace:
			if rewind, marked, err = replaceTraining(ctx, tx, b, run, r, plan.Entries); err != nil {
				return err
			}
		default:
			if summary, err = readSummary(ctx, tx, run, *r); err != nil {
				return err
			}
			summary.AppendTraining(plan.Entries)
			if err := queueAppend(ctx, tx, b, run, *r, plan.Entries); err != nil {
				return err
			}
			r.TrainingCount += int64(len(plan.Entries))
		}
		r.TrainedUntil = int64(plan.Entries[len(plan.Entries)-1].Iteration) + 1
		if plan.Action == statstore.WriteReplace {
			// The new history is all in plan.Entries; the validation
			// part follows the superseded marks just set.
			v, err := validationOf(ctx, tx, run, *r)
			if err != nil {
				return err
			}
			summary = statstore.Summarize(run, &statstore.TrainingStats{IterationStats: plan.Entries}, v)
		}
		if r.Summary, err = queueSummary(b, *r, withCounters(summary, run, *r)); err != nil {
			return err
		}
		sum := countersCRC(run, *r)
		r.CountersCRC = &sum
		written = *r
		b.Queue(`UPDATE statstore_runs SET training_count = $2, trained_until = $3, superseded_count = $4,
			counters_crc32c = $5, last_write = now() WHERE id = $1`,
			r.ID, r.TrainingCount, r.TrainedUntil, r.SupersededCount, sum)
		return notify(ctx, tx, trainingEvents(run, was, *r, plan)...)
	})
	if err != nil {
		s.rows.forget(run)
		return err
	}
	s.rows.put(run, written)
	s.logTrainingPlan(run, storedUntil, plan)
	statstore.LogSuperseded(ctx, s.log, run, rewind, marked)
	return nil
}

// rewindChunk is about how many stored entries replaceTraining reads per
// query while it looks for the rewind point (whole blocks: rewindBlocks).
const rewindChunk = 10_000

// rewindBlocks is how many blocks replaceTraining reads per query.
const rewindBlocks = (rewindChunk + maxChunkEntries - 1) / maxChunkEntries

// replaceTraining replaces the run's training history with entries (sorted,
// checked) and marks the validations of the checkpoints after the rewind
// point superseded; it returns the rewind point (statstore.NoRewind when
// the histories are identical) and the iterations it marked, queues the
// blocks to write in b, and updates r's counters but not its row.
//
// The stored history is read in iteration order, rewindBlocks blocks per
// query, only until it departs from entries: a training resumed from
// checkpoint k reads the blocks of the k entries before it. The blocks
// before the one holding the rewind point are identical in both histories
// and stay as they are; that block and the ones after it are deleted, and
// the new entries from its start on are written as new blocks. So a
// replace costs a read of the kept prefix and a write of the new tail,
// instead of a delete of the whole stored history and a write of the whole
// new one.
func replaceTraining(ctx context.Context, tx pgx.Tx, b *pgx.Batch, run string, r *runRow, entries []statstore.TrainingIterationStats) (rewind int, marked []int, err error) {
	if _, err := tx.Exec(ctx, indexOrder); err != nil {
		return 0, nil, err
	}
	rewind, keep, err := findRewind(ctx, tx, run, *r, entries)
	if err != nil || rewind == statstore.NoRewind {
		return rewind, nil, err
	}
	// keep entries precede the first block reaching the rewind point: the
	// blocks from there on go.
	var deleted int64
	err = tx.QueryRow(ctx, `WITH d AS (DELETE FROM statstore_training_chunks WHERE run_id = $1 AND last_iteration >= $2 RETURNING entries)
		SELECT coalesce(sum(entries), 0) FROM d`, r.ID, int64(rewind)).Scan(&deleted)
	if err != nil {
		return 0, nil, fmt.Errorf("delete the old history from iteration %d on: %w", rewind, err)
	}
	if left := r.TrainingCount - deleted; left != int64(keep) {
		return 0, nil, corruptRun(run, fmt.Sprintf("training_count is %d, but table %s holds %d entries in blocks before iteration %d and %d in blocks from it on",
			r.TrainingCount, chunkTable, keep, rewind, deleted), nil)
	}
	if err := truncateLevels(ctx, tx, run, r.ID, rewind); err != nil {
		return 0, nil, err
	}
	queueInsertChunks(b, r.ID, splitChunks(entries[keep:]))
	r.TrainingCount = int64(len(entries))

	rows, err := tx.Query(ctx, `UPDATE statstore_validation SET superseded = true
		WHERE run_id = $1 AND iteration > $2 AND NOT superseded RETURNING iteration`, r.ID, int64(rewind))
	if err != nil {
		return 0, nil, fmt.Errorf("mark the validations after iteration %d superseded: %w", rewind, err)
	}
	marked, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (int, error) {
		var it int64
		err := row.Scan(&it)
		return int(it), err
	})
	if err != nil {
		return 0, nil, fmt.Errorf("mark the validations after iteration %d superseded: %w", rewind, err)
	}
	slices.Sort(marked)
	r.SupersededCount += int64(len(marked))
	if r.SupersededCount > r.ValidationCount || len(marked) > 0 && int64(marked[len(marked)-1]) >= r.ValidatedUntil {
		return 0, nil, corruptRun(run, fmt.Sprintf("validation_count is %d, superseded_count %d and validated_until %d, "+
			"but a training rewind at iteration %d marks %d more entries superseded, the last at iteration %d",
			r.ValidationCount, r.SupersededCount-int64(len(marked)), r.ValidatedUntil, rewind, len(marked), marked[len(marked)-1]), nil)
	}
	return rewind, marked, nil
}

// findRewind compares the run's stored training history with entries
// (sorted) from the start, reading rewindBlocks stored blocks per query
// and stopping where they depart: it returns statstore.RewindPoint of the
// two histories and how many entries precede the first stored block that
// reaches it (identical in both histories; all stored entries when no
// block does). The entries read are checked against the run's counters
// (all of them, when the read reaches the end of the history).
func findRewind(ctx context.Context, tx pgx.Tx, run string, r runRow, entries []statstore.TrainingIterationStats) (rewind, keep int, err error) {
	off, from := 0, int64(0)
	for {
		stored, blocks, err := queryChunks(ctx, tx, run, rewindBlocks*maxChunkEntries, `SELECT `+chunkColumns+` FROM statstore_training_chunks
			WHERE run_id = $1 AND first_iteration >= $2 ORDER BY first_iteration LIMIT $3`, r.ID, from, rewindBlocks)
		if err != nil {
			return 0, 0, fmt.Errorf("read the stored history: %w", err)
		}
		n := len(stored)
		if n > 0 {
			// Only as many entries as the read found, not the whole history.
			if err := checkCounters(run, chunkTable, r.TrainingCount, r.TrainedUntil,
				int64(off+n), int64(stored[n-1].Iteration)+1, false); err != nil {
				return 0, 0, err
			}
		}
		// The histories are identical before off: where this part of the
		// stored one departs from the same part of entries is where the
		// whole ones do.
		if rp := statstore.RewindPoint(stored, entries[off:min(len(entries), off+n)]); rp != statstore.NoRewind {
			// The blocks before the one reaching rp are kept.
			keep := off
			for _, c := range blocks {
				if c.Last >= int64(rp) {
					break
				}
				keep += int(c.Entries)
			}
			return rp, keep, nil
		}
		off += n
		if len(blocks) < rewindBlocks {
			// The whole stored history is read.
			until := int64(0)
			if off > 0 {
				until = int64(entries[off-1].Iteration) + 1
			}
			if err := checkCounters(run, chunkTable, r.TrainingCount, r.TrainedUntil, int64(off), until, true); err != nil {
				return 0, 0, err
			}
			if off < len(entries) {
				return entries[off].Iteration, off, nil
			}
			return statstore.NoRewind, off, nil
		}
		from = blocks[len(blocks)-1].Last + 1
	}
}

func (s *Store) logTrainingPlan(run string, storedUntil int64, plan statstore.TrainingPlan) {
	if len(plan.Entries) == 0 {
		return
	}
	first, last := plan.Entries[0].Iteration, plan.Entries[len(plan.Entries)-1].Iteration
	if plan.Overwrite {
		s.log.Warn("overwriting training stats: new stats do not reach past the stored ones (training resumed from an earlier checkpoint?)",
			"run", run, "stored_until", storedUntil, "new_until", last+1, "entries", len(plan.Entries))
		return
	}
	s.log.Info("extending training stats", "run", run, "stored_until", storedUntil,
		"first", first, "last", last, "entries", len(plan.Entries))
}

// RetrieveTrainingStats returns the run's whole training history (empty for
// an unknown run).
func (s *Store) RetrieveTrainingStats(ctx context.Context, run string) (*statstore.TrainingStats, error) {
	return s.RetrieveTrainingRange(ctx, run, statstore.IterationRange{})
}

// RetrieveTrainingRange returns the training entries with iteration in r,
// read with one index range scan of the blocks that overlap it.
func (s *Store) RetrieveTrainingRange(ctx context.Context, run string, r statstore.IterationRange) (*statstore.TrainingStats, error) {
	what := fmt.Sprintf("retrieve training stats of run %q", run)
	if err := checkRun(what, run); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", what, err)
	}
	var out []statstore.TrainingIterationStats
	err := s.readTx(ctx, what, func(tx pgx.Tx) error {
		var err error
		out, err = readTrainingRange(ctx, tx, run, r)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &statstore.TrainingStats{IterationStats: out}, nil
}

// indexOrder makes the rest of the transaction read training entries by
// walking the (run_id, iteration) index in order. Without it the planner,
// when the table's statistics are stale (right after a bulk COPY, before
// autovacuum analyses it), may collect a whole run with a bitmap scan and
// sort it on disk, or, for a stride probe, do that once per target: many
// times slower, and proportional to the history instead of the answer.
// (JIT is off too: the disabled plans' huge costs would otherwise make the
// planner compile queries, which costs more than it saves here.)
const indexOrder = "SET LOCAL enable_sort = off; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off; SET LOCAL jit = off"

// readTrainingRange reads the entries of r in iteration order.
func readTrainingRange(ctx context.Context, tx pgx.Tx, run string, r statstore.IterationRange) ([]statstore.TrainingIterationStats, error) {
	row, ok, err := readRun(ctx, tx, run)
	if err != nil || !ok {
		return []statstore.TrainingIterationStats{}, err
	}
	if _, err := tx.Exec(ctx, indexOrder); err != nil {
		return nil, err
	}
	out, _, err := readTrainingEntries(ctx, tx, run, row, r, 0)
	if err != nil {
		return nil, err
	}
	if err := checkTrainingRead(run, row, r, out); err != nil {
		return nil, err
	}
	return out, nil
}

// checkTrainingRead cross-checks the entries read of range r with the run's
// counters, which ListRuns and the next write trust: when r covers the
// whole history, exactly training_count entries, the last at
// trained_until-1; otherwise no more entries than that and none at or
// after trained_until. A mismatch is a *statstore.CorruptError.
func checkTrainingRead(run string, row runRow, r statstore.IterationRange, out []statstore.TrainingIterationStats) error {
	n, until := int64(len(out)), int64(0)
	if n > 0 {
		until = int64(out[n-1].Iteration) + 1
	}
	whole := r.From == 0 && (r.To == 0 || int64(r.To) >= row.TrainedUntil)
	return checkCounters(run, chunkTable, row.TrainingCount, row.TrainedUntil, n, until, whole)
}

// rangeEnd returns r's exclusive upper bound for SQL.
func rangeEnd(r statstore.IterationRange) int64 {
	if r.To == 0 {
		return math.MaxInt64
	}
	return int64(r.To)
}

// querier runs queries: a connection or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// DeleteTrainingStats removes the run's training stats (nothing happens for
// an unknown run).
func (s *Store) DeleteTrainingStats(ctx context.Context, run string) error {
	return s.deletePart(ctx, run, "training", func(r *runRow) { r.TrainingCount, r.TrainedUntil = 0, 0 })
}
