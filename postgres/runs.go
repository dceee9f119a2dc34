package postgres

import (
	"context"
	"errors"
	"fmt"

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
	Metadata        []byte // nil without validation scores
}

const runColumns = "id, training_count, trained_until, validation_count, validated_until, validation_metadata"

func scanRun(row pgx.Row) (runRow, error) {
	var r runRow
	err := row.Scan(&r.ID, &r.TrainingCount, &r.TrainedUntil, &r.ValidationCount, &r.ValidatedUntil, &r.Metadata)
	return r, err
}

// lockRunForWrite creates the run's row if needed and locks it until the
// transaction ends: the per-run lock that serialises writers of one run
// (the upsert's DO UPDATE takes the row lock atomically, even when another
// transaction creates or deletes the row at the same moment).
func lockRunForWrite(ctx context.Context, tx pgx.Tx, run string) (runRow, error) {
	r, err := scanRun(tx.QueryRow(ctx, `INSERT INTO statstore_runs (name) VALUES ($1)
		ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
		RETURNING `+runColumns, run))
	if err != nil {
		return r, fmt.Errorf("lock run: %w", err)
	}
	return r, nil
}

// lockExistingRun locks the run's row until the transaction ends; ok is
// false when the run has no row.
func lockExistingRun(ctx context.Context, tx pgx.Tx, run string) (r runRow, ok bool, err error) {
	r, err = scanRun(tx.QueryRow(ctx, "SELECT "+runColumns+" FROM statstore_runs WHERE name = $1 FOR UPDATE", run))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("lock run: %w", err)
	}
	return r, true, nil
}

// readRun reads the run's row; ok is false when the run has none.
func readRun(ctx context.Context, q pgx.Tx, run string) (r runRow, ok bool, err error) {
	r, err = scanRun(q.QueryRow(ctx, "SELECT "+runColumns+" FROM statstore_runs WHERE name = $1", run))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("read run: %w", err)
	}
	return r, true, nil
}

// dropIfEmpty deletes the run's row when it holds nothing any more.
func dropIfEmpty(ctx context.Context, tx pgx.Tx, id int64) error {
	_, err := tx.Exec(ctx, `DELETE FROM statstore_runs
		WHERE id = $1 AND training_count = 0 AND validation_count = 0`, id)
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
// statstore_<part>, then the run's columns as reset (an SQL SET list) says;
// the run's row goes when nothing is left. count tells how many entries
// the part had, for the log. An unknown run is not an error.
func (s *Store) deletePart(ctx context.Context, run, part, reset string, count func(runRow) int64) error {
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
		deleted = count(r)
		if _, err := tx.Exec(ctx, "DELETE FROM statstore_"+part+" WHERE run_id = $1", r.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE statstore_runs SET "+reset+" WHERE id = $1", r.ID); err != nil {
			return err
		}
		return dropIfEmpty(ctx, tx, r.ID)
	})
	if err == nil && deleted > 0 {
		s.log.Info("deleted "+partName(part), "run", run, "entries", deleted)
	}
	return err
}

// ListRuns returns every run with stored training stats or validation
// scores, sorted by name (byte order).
func (s *Store) ListRuns(ctx context.Context) ([]statstore.RunInfo, error) {
	out := []statstore.RunInfo{}
	err := s.do(ctx, "list runs", func(c *pgxConn) error {
		out = out[:0]
		rows, err := c.Query(ctx, `SELECT name, trained_until, training_count, validated_until, validation_count
			FROM statstore_runs WHERE training_count > 0 OR validation_count > 0
			ORDER BY name COLLATE "C"`)
		if err != nil {
			return err
		}
		var info statstore.RunInfo
		_, err = pgx.ForEachRow(rows, []any{&info.Run, &info.TrainedUntil, &info.TrainingIterations,
			&info.ValidatedUntil, &info.ValidationIterations}, func() error {
			out = append(out, info)
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
	var deleted bool
	err := s.do(ctx, what, func(c *pgxConn) error {
		tag, err := c.Exec(ctx, "DELETE FROM statstore_runs WHERE name = $1", run)
		deleted = tag.RowsAffected() > 0
		return err
	})
	if err == nil && deleted {
		s.log.Info("deleted run", "run", run)
	}
	return err
}
