package postgres

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/statstore/statstore"
)

var trainingColumns = []string{"run_id", "iteration", "loss", "time"}

// StoreTrainingStats extends or overwrites the run's training stats as
// statstore.PlanTraining decides, in one transaction holding the run's
// lock: concurrent writers of one run are serialised, and an overwrite
// replaces the whole history atomically. New entries are sent with COPY.
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
	var plan statstore.TrainingPlan
	var storedUntil int64
	rewind, marked := statstore.NoRewind, []int(nil)
	err := s.tx(ctx, what, pgx.TxOptions{}, func(tx pgx.Tx) error {
		r, err := lockRunForWrite(ctx, tx, run)
		if err != nil {
			return err
		}
		was := r
		storedUntil = r.TrainedUntil
		if plan, err = statstore.PlanTraining(int(r.TrainedUntil), stats); err != nil {
			return err
		}
		switch plan.Action {
		case statstore.WriteNothing:
			return nil
		case statstore.WriteReplace:
			if rewind, marked, err = replaceTraining(ctx, tx, run, &r, plan.Entries); err != nil {
				return err
			}
		default:
			if err := copyTraining(ctx, tx, r.ID, plan.Entries); err != nil {
				return err
			}
			r.TrainingCount += int64(len(plan.Entries))
		}
		r.TrainedUntil = int64(plan.Entries[len(plan.Entries)-1].Iteration) + 1
		_, err = tx.Exec(ctx, `UPDATE statstore_runs SET training_count = $2, trained_until = $3, superseded_count = $4,
			counters_crc32c = $5, last_write = now() WHERE id = $1`,
			r.ID, r.TrainingCount, r.TrainedUntil, r.SupersededCount, countersCRC(run, r))
		if err != nil {
			return err
		}
		return notify(ctx, tx, trainingEvents(run, was, r, plan)...)
	})
	if err != nil {
		return err
	}
	s.logTrainingPlan(run, storedUntil, plan)
	statstore.LogSuperseded(ctx, s.log, run, rewind, marked)
	return nil
}

// rewindChunk is how many stored entries replaceTraining reads per query
// while it looks for the rewind point.
const rewindChunk = 10_000

// replaceTraining replaces the run's training history with entries (sorted,
// checked) and marks the validations of the checkpoints after the rewind
// point superseded; it returns the rewind point (statstore.NoRewind when
// the histories are identical) and the iterations it marked, and updates
// r's counters but not its row.
//
// The stored history is read in iteration order, rewindChunk entries per
// query, only until it departs from entries: a training resumed from
// checkpoint k reads the k entries before it. Those entries are identical
// in both histories and stay as they are; the stored entries from the
// rewind point on are deleted and the new ones from there are sent with
// COPY. So a replace costs a read of the kept prefix and a write of the
// new tail, instead of a delete of the whole stored history and a write of
// the whole new one.
func replaceTraining(ctx context.Context, tx pgx.Tx, run string, r *runRow, entries []statstore.TrainingIterationStats) (rewind int, marked []int, err error) {
	if _, err := tx.Exec(ctx, indexOrder); err != nil {
		return 0, nil, err
	}
	rewind, kept, err := findRewind(ctx, tx, run, *r, entries)
	if err != nil || rewind == statstore.NoRewind {
		return rewind, nil, err
	}
	tag, err := tx.Exec(ctx, "DELETE FROM statstore_training WHERE run_id = $1 AND iteration >= $2", r.ID, int64(rewind))
	if err != nil {
		return 0, nil, fmt.Errorf("delete the old history from iteration %d on: %w", rewind, err)
	}
	if left := r.TrainingCount - tag.RowsAffected(); left != int64(kept) {
		return 0, nil, corruptRun(run, fmt.Sprintf("training_count is %d, but table statstore_training holds %d entries before iteration %d and %d from it on",
			r.TrainingCount, kept, rewind, tag.RowsAffected()), nil)
	}
	if err := copyTraining(ctx, tx, r.ID, entries[kept:]); err != nil {
		return 0, nil, err
	}
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
// (sorted) from the start, reading rewindChunk stored entries per query
// and stopping where they depart: it returns statstore.RewindPoint of the
// two histories and how many entries precede it (identical in both). The
// entries read are checked against the run's counters (all of them, when
// the read reaches the end of the history).
func findRewind(ctx context.Context, tx pgx.Tx, run string, r runRow, entries []statstore.TrainingIterationStats) (rewind, kept int, err error) {
	off, from := 0, int64(0)
	for {
		stored, err := queryTraining(ctx, tx, run, `SELECT iteration, loss, time FROM statstore_training
			WHERE run_id = $1 AND iteration >= $2 ORDER BY iteration LIMIT $3`, r.ID, from, rewindChunk)
		if err != nil {
			return 0, 0, fmt.Errorf("read the stored history: %w", err)
		}
		n := len(stored)
		if n > 0 {
			// Only as many entries as the read found, not the whole history.
			if err := checkCounters(run, "statstore_training", r.TrainingCount, r.TrainedUntil,
				int64(off+n), int64(stored[n-1].Iteration)+1, false); err != nil {
				return 0, 0, err
			}
		}
		// The histories are identical before off: where this part of the
		// stored one departs from the same part of entries is where the
		// whole ones do.
		if rp := statstore.RewindPoint(stored, entries[off:min(len(entries), off+n)]); rp != statstore.NoRewind {
			i, _ := slices.BinarySearchFunc(entries, rp, func(e statstore.TrainingIterationStats, it int) int { return cmp.Compare(e.Iteration, it) })
			return rp, i, nil
		}
		off += n
		if n < rewindChunk {
			// The whole stored history is read.
			until := int64(0)
			if off > 0 {
				until = int64(entries[off-1].Iteration) + 1
			}
			if err := checkCounters(run, "statstore_training", r.TrainingCount, r.TrainedUntil, int64(off), until, true); err != nil {
				return 0, 0, err
			}
			if off < len(entries) {
				return entries[off].Iteration, off, nil
			}
			return statstore.NoRewind, off, nil
		}
		from = int64(stored[n-1].Iteration) + 1
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

// copyTraining sends entries with COPY.
func copyTraining(ctx context.Context, tx pgx.Tx, runID int64, entries []statstore.TrainingIterationStats) error {
	return copyEntries(ctx, tx, "training", trainingColumns, runID, entries, func(e statstore.TrainingIterationStats) []any {
		return []any{runID, int64(e.Iteration), e.Loss, e.Time}
	})
}

// RetrieveTrainingStats returns the run's whole training history (empty for
// an unknown run).
func (s *Store) RetrieveTrainingStats(ctx context.Context, run string) (*statstore.TrainingStats, error) {
	return s.RetrieveTrainingRange(ctx, run, statstore.IterationRange{})
}

// RetrieveTrainingRange returns the training entries with iteration in r,
// read with one index range scan.
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
	out, err := queryTraining(ctx, tx, run, `SELECT iteration, loss, time FROM statstore_training
		WHERE run_id = $1 AND iteration >= $2 AND iteration < $3
		ORDER BY iteration`, row.ID, int64(r.From), rangeEnd(r))
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
	return checkCounters(run, "statstore_training", row.TrainingCount, row.TrainedUntil, n, until, whole)
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

// queryTraining runs a query returning (iteration, loss, time) rows. Rows
// in binary format (pgx's default) are decoded directly, which keeps every
// float's bits and is several times faster than scanning.
func queryTraining(ctx context.Context, q querier, run, sql string, args ...any) ([]statstore.TrainingIterationStats, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []statstore.TrainingIterationStats{}
	binaryRows := true
	for _, fd := range rows.FieldDescriptions() {
		binaryRows = binaryRows && fd.Format == pgtype.BinaryFormatCode
	}
	for rows.Next() {
		var e statstore.TrainingIterationStats
		if binaryRows {
			e, err = decodeTrainingRow(rows.RawValues())
			if err != nil {
				return nil, &statstore.CorruptError{Path: fmt.Sprintf("table statstore_training, run %q", run), Offset: -1, Err: err}
			}
		} else {
			var it int64
			if err := rows.Scan(&it, &e.Loss, &e.Time); err != nil {
				return nil, err
			}
			e.Iteration = int(it)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// decodeTrainingRow decodes the binary values of (iteration bigint, loss
// float8, time float8): three big-endian 8-byte values.
func decodeTrainingRow(vals [][]byte) (statstore.TrainingIterationStats, error) {
	if len(vals) != 3 || len(vals[0]) != 8 || len(vals[1]) != 8 || len(vals[2]) != 8 {
		return statstore.TrainingIterationStats{}, fmt.Errorf("training row of %d values: want iteration, loss and time of 8 bytes each", len(vals))
	}
	it := int64(binary.BigEndian.Uint64(vals[0]))
	if it < 0 {
		return statstore.TrainingIterationStats{}, fmt.Errorf("negative iteration %d", it)
	}
	return statstore.TrainingIterationStats{
		Iteration: int(it),
		Loss:      math.Float64frombits(binary.BigEndian.Uint64(vals[1])),
		Time:      math.Float64frombits(binary.BigEndian.Uint64(vals[2])),
	}, nil
}

// DeleteTrainingStats removes the run's training stats (nothing happens for
// an unknown run).
func (s *Store) DeleteTrainingStats(ctx context.Context, run string) error {
	return s.deletePart(ctx, run, "training", func(r *runRow) { r.TrainingCount, r.TrainedUntil = 0, 0 })
}
