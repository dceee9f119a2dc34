package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/statstore/statstore"
)

// runRow is a run's row in statstore_runs.
type runRow struct {
	ID              int64
	TrainingCount   int64
	TrainedUntil    int64
	ValidationCount int64
	ValidatedUntil  int64
	// SupersededCount is the number of the run's validation rows marked
	// superseded (migration 0003).
	SupersededCount int64
	Metadata        []byte // nil without validation scores
	// The row's checksums (see checksum.go); nil in rows written before
	// they existed.
	CountersCRC, MetadataCRC *int64
	// Summary is the run's summary as a training write left it (kept
	// with the row in rowCache, see fastappend.go); nil when not read.
	Summary *keptSummary
}

const runColumns = "id, training_count, trained_until, validation_count, validated_until, superseded_count, validation_metadata, " +
	"counters_crc32c, validation_metadata_crc32c"

func scanRun(row pgx.Row) (runRow, error) {
	var r runRow
	err := row.Scan(&r.ID, &r.TrainingCount, &r.TrainedUntil, &r.ValidationCount, &r.ValidatedUntil, &r.SupersededCount, &r.Metadata,
		&r.CountersCRC, &r.MetadataCRC)
	return r, err
}

// lockRunSQL creates the run's row ($1 the name, $2 the checksum of zero
// counters) if needed and locks it, returning runColumns.
const lockRunSQL = `INSERT INTO statstore_runs (name, counters_crc32c) VALUES ($1, $2)
	ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
	RETURNING ` + runColumns

// lockRunForWrite creates the run's row if needed and locks it until the
// transaction ends: the per-run lock that serialises writers of one run
// (the upsert's DO UPDATE takes the row lock atomically, even when another
// transaction creates or deletes the row at the same moment). A row that
// does not match its checksums is a *statstore.CorruptError, and so are the
// counters of a row without checksums that do not match the run's rows:
// a write never builds on damaged counters.
func lockRunForWrite(ctx context.Context, tx pgx.Tx, run string) (runRow, error) {
	r, err := scanRun(tx.QueryRow(ctx, lockRunSQL, run, countersCRC(run, runRow{})))
	if err != nil {
		return r, fmt.Errorf("lock run: %w", err)
	}
	if err := verifyRow(run, r); err != nil {
		return r, err
	}
	return r, checkLegacyCounters(ctx, tx, run, r)
}

// lockExistingRun locks the run's row until the transaction ends and checks
// it as lockRunForWrite does; ok is false when the run has no row.
func lockExistingRun(ctx context.Context, tx pgx.Tx, run string) (r runRow, ok bool, err error) {
	r, err = scanRun(tx.QueryRow(ctx, "SELECT "+runColumns+" FROM statstore_runs WHERE name = $1 FOR UPDATE", run))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("lock run: %w", err)
	}
	if err := verifyRow(run, r); err != nil {
		return r, false, err
	}
	return r, true, checkLegacyCounters(ctx, tx, run, r)
}

// readRun reads the run's row and checks it against its checksums; ok is
// false when the run has none.
func readRun(ctx context.Context, q pgx.Tx, run string) (r runRow, ok bool, err error) {
	r, err = scanRun(q.QueryRow(ctx, "SELECT "+runColumns+" FROM statstore_runs WHERE name = $1", run))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("read run: %w", err)
	}
	if err := verifyRow(run, r); err != nil {
		return r, false, err
	}
	return r, true, nil
}

// updateRun writes r's counters, metadata document and their checksums
// to the run's row, and dates the write (last_write, migration 0005).
func updateRun(ctx context.Context, tx pgx.Tx, run string, r runRow) error {
	_, err := tx.Exec(ctx, `UPDATE statstore_runs SET training_count = $2, trained_until = $3,
		validation_count = $4, validated_until = $5, superseded_count = $6, counters_crc32c = $7,
		validation_metadata = $8, validation_metadata_crc32c = $9, last_write = now() WHERE id = $1`,
		r.ID, r.TrainingCount, r.TrainedUntil, r.ValidationCount, r.ValidatedUntil, r.SupersededCount, countersCRC(run, r),
		metadataText(r.Metadata), r.MetadataCRC)
	if err != nil {
		return fmt.Errorf("update the run's counters: %w", err)
	}
	return nil
}

// dropIfEmpty deletes the run's row when it holds nothing any more: no
// entries and no metadata.
func dropIfEmpty(ctx context.Context, tx pgx.Tx, id int64) error {
	_, err := tx.Exec(ctx, `DELETE FROM statstore_runs
		WHERE id = $1 AND training_count = 0 AND validation_count = 0 AND run_meta IS NULL`, id)
	return err
}

// partName names a part of a run ("training" or "validation", which is
// also the suffix of its table) in messages.
func partName(part string) string {
	if part == "training" {
		return "training stats"
	}
	return "validation scores"
}

// copyEntries sends a part's new entries (part "training" or "validation")
// to its table statstore_<part> with COPY; values gives an entry's row.
func copyEntries[T any](ctx context.Context, tx pgx.Tx, part string, columns []string, runID int64, entries []T, values func(T) []any) error {
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"statstore_" + part}, columns,
		pgx.CopyFromSlice(len(entries), func(i int) ([]any, error) {
			return values(entries[i]), nil
		}))
	if err != nil {
		return fmt.Errorf("copy %d %s entries: %w", len(entries), part, err)
	}
	if n != int64(len(entries)) {
		return fmt.Errorf("copy %s entries: server stored %d of %d", part, n, len(entries))
	}
	return nil
}

// deletePart removes a part of the run ("training" or "validation") in one
// transaction holding the run's lock: the rows of its table
// (statstore_training_chunks or statstore_validation), then the part's counters, which reset sets to zero
// (with the validation metadata for "validation"); the run's row goes when
// nothing is left. An unknown run is not an error.
func (s *Store) deletePart(ctx context.Context, run, part string, reset func(*runRow)) error {
	what := fmt.Sprintf("delete %s of run %q", partName(part), run)
	if err := checkRun(what, run); err != nil {
		return err
	}
	var deleted int64
	err := s.tx(ctx, what, pgx.TxOptions{}, func(tx pgx.Tx) error {
		r, ok, err := lockExistingRun(ctx, tx, run)
		if err != nil || !ok {
			return err
		}
		deleted = r.TrainingCount
		if part == "validation" {
			deleted = r.ValidationCount
		}
		table := "statstore_validation"
		if part == "training" {
			table = chunkTable
		}
		if _, err := tx.Exec(ctx, "DELETE FROM "+table+" WHERE run_id = $1", r.ID); err != nil {
			return err
		}
		if part == "training" {
			// Their summaries (migration 0012, levels.go).
			if _, err := tx.Exec(ctx, "DELETE FROM "+levelsTable+" WHERE run_id = $1", r.ID); err != nil {
				return err
			}
		}
		reset(&r)
		if err := updateRun(ctx, tx, run, r); err != nil {
			return err
		}
		if err := updatePartSummary(ctx, tx, run, part, r); err != nil {
			return err
		}
		if deleted > 0 {
			kind := statstore.EventTrainingReplaced
			if part == "validation" {
				kind = statstore.EventValidationMerged
			}
			if err := notify(ctx, tx, append([]statstore.Event{{Kind: kind, Run: run}}, gone(run, r)...)...); err != nil {
				return err
			}
		}
		return dropIfEmpty(ctx, tx, r.ID)
	})
	if err == nil && deleted > 0 {
		s.log.Info("deleted "+partName(part), "run", run, "entries", deleted)
	}
	return err
}

// ListRuns returns every run with stored training stats, validation
// scores or metadata, sorted by name (byte order). A run whose counters do not match
// their checksum is a *statstore.CorruptError naming it.
func (s *Store) ListRuns(ctx context.Context) ([]statstore.RunInfo, error) {
	out := []statstore.RunInfo{}
	err := s.do(ctx, "list runs", func(c *pgxConn) error {
		out = out[:0]
		// Every row is read and checked: a damaged counter must not hide a
		// run by reading as zero.
		rows, err := c.Query(ctx, `SELECT name, training_count, trained_until, validation_count, validated_until,
			superseded_count, counters_crc32c, last_write, run_meta IS NOT NULL FROM statstore_runs WHERE trash_id IS NULL ORDER BY name COLLATE "C"`)
		if err != nil {
			return err
		}
		var name string
		var r runRow
		var last *time.Time // NULL: written before migration 0005
		var hasMeta bool    // migration 0006
		_, err = pgx.ForEachRow(rows, []any{&name, &r.TrainingCount, &r.TrainedUntil,
			&r.ValidationCount, &r.ValidatedUntil, &r.SupersededCount, &r.CountersCRC, &last, &hasMeta}, func() error {
			if err := verifyRow(name, r); err != nil {
				return err
			}
			if r.TrainingCount > 0 || r.ValidationCount > 0 || hasMeta {
				info := statstore.RunInfo{Run: name, TrainedUntil: int(r.TrainedUntil), TrainingIterations: int(r.TrainingCount),
					ValidatedUntil: int(r.ValidatedUntil), ValidationIterations: int(r.ValidationCount)}
				if last != nil {
					info.LastWrite = *last
				}
				out = append(out, info)
			}
			return nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteRun removes everything stored for the run; an unknown run is not
// an error.
func (s *Store) DeleteRun(ctx context.Context, run string) error {
	what := fmt.Sprintf("delete run %q", run)
	if err := checkRun(what, run); err != nil {
		return err
	}
	s.rows.forget(run)
	var deleted bool
	err := s.tx(ctx, what, pgx.TxOptions{}, func(tx pgx.Tx) error {
		var had bool
		err := tx.QueryRow(ctx, `WITH d AS (DELETE FROM statstore_runs WHERE name = $1 RETURNING training_count > 0 OR validation_count > 0 AS had)
			SELECT count(*) > 0, coalesce(bool_or(had), false) FROM d`, run).Scan(&deleted, &had)
		if err != nil || !had {
			return err
		}
		return notify(ctx, tx, statstore.Event{Kind: statstore.EventRunDeleted, Run: run})
	})
	if err == nil && deleted {
		s.log.Info("deleted run", "run", run)
	}
	return err
}
