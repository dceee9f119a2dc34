package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/statstore/statstore"
)

var _ statstore.Trasher = (*Store)(nil)

// trashedName is the name a trashed run's row holds (migration 0004): its
// trash id behind U+0001, which no run name may hold.
func trashedName(id string) string { return "\x01" + id }

// sqlstateUniqueViolation is unique_violation: a restore racing a writer
// that created a live run of the same name.
const sqlstateUniqueViolation = "23505"

// now returns the time by the configured clock, to the microsecond a
// timestamptz keeps.
func (s *Store) now() time.Time {
	now := time.Now
	if s.clock != nil {
		now = s.clock
	}
	return now().UTC().Truncate(time.Microsecond)
}

// TrashRun moves the run out of the live runs in one transaction holding
// its row's lock: the row is renamed, its entries stay. An unknown run
// wraps statstore.ErrNotFound.
func (s *Store) TrashRun(ctx context.Context, run string) (statstore.TrashEntry, error) {
	what := fmt.Sprintf("trash run %q", run)
	if err := checkRun(what, run); err != nil {
		return statstore.TrashEntry{}, err
	}
	s.rows.forget(run)
	var e statstore.TrashEntry
	err := s.tx(ctx, what, pgx.TxOptions{}, func(tx pgx.Tx) error {
		r, ok, err := lockExistingRun(ctx, tx, run)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("no such run: %w", statstore.ErrNotFound)
		}
		if r.TrainingCount == 0 && r.ValidationCount == 0 {
			if has, err := hasRunMeta(ctx, tx, r.ID); err != nil || !has {
				if err == nil {
					err = fmt.Errorf("no such run: %w", statstore.ErrNotFound)
				}
				return err
			}
		}
		now := s.now()
		id, err := statstore.NewTrashID(now)
		if err != nil {
			return err
		}
		if err := rename(ctx, tx, r, trashedName(id), `trash_id = $4, trashed_name = $5, deleted_at = $6`, id, run, now); err != nil {
			return err
		}
		e = statstore.TrashEntry{ID: id, Run: run, DeletedAt: now, TrainingIterations: int(r.TrainingCount), ValidationIterations: int(r.ValidationCount)}
		return notify(ctx, tx, statstore.Event{Kind: statstore.EventRunDeleted, Run: run})
	})
	if err != nil {
		return statstore.TrashEntry{}, err
	}
	s.log.Info("trashed run", "run", run, "trash_id", e.ID)
	return e, nil
}

// rename gives the run's row a new name and its counters' checksum for it
// (a row without checksums keeps none), setting the trash columns as set
// says with the extra arguments $4, $5, ...
func rename(ctx context.Context, tx pgx.Tx, r runRow, name, set string, args ...any) error {
	var crc *int64
	if r.CountersCRC != nil {
		c := countersCRC(name, r)
		crc = &c
	}
	_, err := tx.Exec(ctx, `UPDATE statstore_runs SET name = $2, counters_crc32c = $3, `+set+` WHERE id = $1`,
		append([]any{r.ID, name, crc}, args...)...)
	return err
}

// trashRow is a trashed run's row.
type trashRow struct {
	runRow
	TrashID, TrashedName string
	DeletedAt            time.Time
}

func (t trashRow) entry() statstore.TrashEntry {
	return statstore.TrashEntry{ID: t.TrashID, Run: t.TrashedName, DeletedAt: t.DeletedAt.UTC(),
		TrainingIterations: int(t.TrainingCount), ValidationIterations: int(t.ValidationCount)}
}

// listTrash reads the trashed rows, oldest first, checking each against
// its checksum; lock locks them until the transaction ends.
func listTrash(ctx context.Context, tx pgx.Tx, lock bool) ([]trashRow, error) {
	q := "SELECT " + runColumns + ", trash_id, trashed_name, deleted_at FROM statstore_runs WHERE trash_id IS NOT NULL ORDER BY deleted_at, trash_id"
	if lock {
		q += " FOR UPDATE"
	}
	rows, err := tx.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []trashRow
	var t trashRow
	_, err = pgx.ForEachRow(rows, []any{&t.ID, &t.TrainingCount, &t.TrainedUntil, &t.ValidationCount, &t.ValidatedUntil, &t.SupersededCount, &t.Metadata,
		&t.CountersCRC, &t.MetadataCRC, &t.TrashID, &t.TrashedName, &t.DeletedAt}, func() error {
		if err := verifyRow(trashedName(t.TrashID), t.runRow); err != nil {
			return err
		}
		if err := statstore.ValidateRunName(t.TrashedName); err != nil {
			return corruptRun(trashedName(t.TrashID), "trashed_name: "+err.Error(), nil)
		}
		out = append(out, t)
		return nil
	})
	return out, err
}

// ListTrash returns the trash entries, oldest first.
func (s *Store) ListTrash(ctx context.Context) ([]statstore.TrashEntry, error) {
	var out []statstore.TrashEntry
	err := s.readTx(ctx, "list trash", func(tx pgx.Tx) error {
		rows, err := listTrash(ctx, tx, false)
		out = make([]statstore.TrashEntry, len(rows))
		for i, r := range rows {
			out[i] = r.entry()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	statstore.SortTrash(out)
	return out, nil
}

// RestoreRun gives the trashed run's row a live name again: its old one,
// or as. A live run of that name wraps statstore.ErrRunExists, an unknown
// id statstore.ErrNotFound.
func (s *Store) RestoreRun(ctx context.Context, id, as string) (string, error) {
	what := fmt.Sprintf("restore trash entry %q", id)
	if err := statstore.ValidateTrashID(id); err != nil {
		return "", fmt.Errorf("postgres: %s: %w", what, err)
	}
	if as != "" {
		if err := checkRun(what, as); err != nil {
			return "", err
		}
	}
	var name string
	err := s.tx(ctx, what, pgx.TxOptions{}, func(tx pgx.Tx) error {
		var t trashRow
		err := tx.QueryRow(ctx, "SELECT "+runColumns+", trashed_name FROM statstore_runs WHERE trash_id = $1 FOR UPDATE", id).Scan(
			&t.ID, &t.TrainingCount, &t.TrainedUntil, &t.ValidationCount, &t.ValidatedUntil, &t.SupersededCount, &t.Metadata,
			&t.CountersCRC, &t.MetadataCRC, &t.TrashedName)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("no such entry: %w", statstore.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if err := verifyRow(trashedName(id), t.runRow); err != nil {
			return err
		}
		name = t.TrashedName
		if as != "" {
			name = as
		}
		live, ok, err := lockExistingRun(ctx, tx, name)
		if err != nil {
			return err
		}
		liveMeta := false
		if ok {
			if liveMeta, err = hasRunMeta(ctx, tx, live.ID); err != nil {
				return err
			}
		}
		if ok && (live.TrainingCount > 0 || live.ValidationCount > 0 || liveMeta) {
			return fmt.Errorf("a live run is named %q (restore under another name): %w", name, statstore.ErrRunExists)
		}
		if ok { // an empty row, which reads as no run: it goes
			if _, err := tx.Exec(ctx, "DELETE FROM statstore_runs WHERE id = $1", live.ID); err != nil {
				return err
			}
		}
		if err := rename(ctx, tx, t.runRow, name, `trash_id = NULL, trashed_name = NULL, deleted_at = NULL`); err != nil {
			return err
		}
		return notify(ctx, tx, restoredEvents(name, t.runRow)...)
	})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == sqlstateUniqueViolation {
		err = fmt.Errorf("postgres: %s: a live run is named %q (restore under another name): %w", what, name, statstore.ErrRunExists)
	}
	if err != nil {
		return "", err
	}
	s.log.Info("restored run", "run", name, "trash_id", id)
	return name, nil
}

// PurgeTrash deletes the selected trashed runs for good, in one
// transaction, and returns them.
func (s *Store) PurgeTrash(ctx context.Context, sel statstore.PurgeSelection) ([]statstore.TrashEntry, error) {
	if err := sel.Validate(); err != nil {
		return nil, fmt.Errorf("postgres: purge trash: %w", err)
	}
	var chosen []statstore.TrashEntry
	err := s.tx(ctx, "purge trash", pgx.TxOptions{}, func(tx pgx.Tx) error {
		rows, err := listTrash(ctx, tx, true)
		if err != nil {
			return err
		}
		all := make([]statstore.TrashEntry, len(rows))
		for i, r := range rows {
			all[i] = r.entry()
		}
		statstore.SortTrash(all)
		if chosen, err = statstore.SelectTrash(all, sel); err != nil {
			return err
		}
		ids := make([]string, len(chosen))
		for i, e := range chosen {
			ids[i] = e.ID
		}
		_, err = tx.Exec(ctx, "DELETE FROM statstore_runs WHERE trash_id = ANY($1)", ids)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, e := range chosen {
		s.log.Info("purged trash entry", "run", e.Run, "trash_id", e.ID)
	}
	return chosen, nil
}
