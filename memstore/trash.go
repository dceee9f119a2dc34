package memstore

import (
	"context"
	"fmt"

	"github.com/statstore/statstore"
)

var _ statstore.Trasher = (*Store)(nil)

// trashed is one trash entry with the data it keeps.
type trashed struct {
	entry statstore.TrashEntry
	data  *runData
}

// TrashRun moves the run's data into the trash; an unknown run wraps
// statstore.ErrNotFound.
func (s *Store) TrashRun(ctx context.Context, run string) (statstore.TrashEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx, "trash run", run); err != nil {
		return statstore.TrashEntry{}, err
	}
	r := s.runs[run]
	if r == nil {
		return statstore.TrashEntry{}, fmt.Errorf("memstore: trash run %q: %w", run, statstore.ErrNotFound)
	}
	now := s.now()
	id, err := statstore.NewTrashID(now)
	if err != nil {
		return statstore.TrashEntry{}, fmt.Errorf("memstore: trash run %q: %w", run, err)
	}
	e := statstore.TrashEntry{ID: id, Run: run, DeletedAt: now, TrainingIterations: len(r.training), ValidationIterations: len(r.scores)}
	s.trash[id] = &trashed{entry: e, data: r}
	delete(s.runs, run)
	s.publishGone(run)
	s.logger.Info("trashed run", "run", run, "trash_id", id)
	return e, nil
}

// ListTrash returns the trash entries, oldest first.
func (s *Store) ListTrash(ctx context.Context) ([]statstore.TrashEntry, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.checkOpen(ctx, "list trash"); err != nil {
		return nil, err
	}
	out := make([]statstore.TrashEntry, 0, len(s.trash))
	for _, t := range s.trash {
		out = append(out, t.entry)
	}
	statstore.SortTrash(out)
	return out, nil
}

// RestoreRun makes the trash entry id live again under its name, or as.
// A live run of that name wraps statstore.ErrRunExists, an unknown id
// statstore.ErrNotFound.
func (s *Store) RestoreRun(ctx context.Context, id, as string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOpen(ctx, "restore run"); err != nil {
		return "", err
	}
	if err := statstore.ValidateTrashID(id); err != nil {
		return "", fmt.Errorf("memstore: restore run: %w", err)
	}
	t := s.trash[id]
	if t == nil {
		return "", fmt.Errorf("memstore: restore trash entry %q: %w", id, statstore.ErrNotFound)
	}
	name := t.entry.Run
	if as != "" {
		name = as
	}
	if err := s.check(ctx, "restore run", name); err != nil {
		return "", err
	}
	if _, ok := s.runs[name]; ok {
		return "", fmt.Errorf("memstore: restore trash entry %q as run %q: a live run has that name: %w", id, name, statstore.ErrRunExists)
	}
	s.runs[name] = t.data
	delete(s.trash, id)
	s.publishRestored(name, t.data)
	s.logger.Info("restored run", "run", name, "trash_id", id)
	return name, nil
}

// PurgeTrash deletes the selected entries for good and returns them.
func (s *Store) PurgeTrash(ctx context.Context, sel statstore.PurgeSelection) ([]statstore.TrashEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOpen(ctx, "purge trash"); err != nil {
		return nil, err
	}
	all := make([]statstore.TrashEntry, 0, len(s.trash))
	for _, t := range s.trash {
		all = append(all, t.entry)
	}
	statstore.SortTrash(all)
	out, err := statstore.SelectTrash(all, sel)
	if err != nil {
		return nil, fmt.Errorf("memstore: purge trash: %w", err)
	}
	for _, e := range out {
		delete(s.trash, e.ID)
		s.logger.Info("purged trash entry", "run", e.Run, "trash_id", e.ID)
	}
	return out, nil
}
