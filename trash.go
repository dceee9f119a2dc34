package statstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ErrRunExists: a run name that is already taken by a live run where a
// free one is needed (restoring a trashed run under its old name).
var ErrRunExists = errors.New("run already exists")

// DefaultTrashRetention is how long a trashed run is kept before a purge
// with no other selection deletes it for good (MLflow's default too).
const DefaultTrashRetention = 30 * 24 * time.Hour

// Trasher is implemented by stores that delete softly, as MLflow does: a
// trashed run is invisible to every read (ListRuns, retrievals, and so
// best, compare and the dashboard) and its name is free for a new run,
// until it is restored or purged. Every backend of this module implements
// it; package storetest checks them alike (RunTrash).
//
// Errors: an invalid run name wraps ErrInvalidRunName, an invalid trash id
// or selection ErrInvalidArgument; trashing a run the store does not list
// and naming a trash id it does not hold wrap ErrNotFound; restoring under
// a name a live run has wraps ErrRunExists and changes nothing.
type Trasher interface {
	// TrashRun moves everything stored for run into the trash, in one
	// step: after a crash the run is either live or in the trash. Trashing
	// a name twice (a new run with the reused name) keeps both entries.
	TrashRun(ctx context.Context, run string) (TrashEntry, error)
	// ListTrash returns the trash entries, oldest first (SortTrash).
	ListTrash(ctx context.Context) ([]TrashEntry, error)
	// RestoreRun makes the trashed entry id live again under its run name,
	// or under as when as is not empty, and returns the restored name.
	RestoreRun(ctx context.Context, id, as string) (string, error)
	// PurgeTrash deletes for good the entries sel selects and returns
	// them. Naming an id the trash does not hold is an error and purges
	// nothing.
	PurgeTrash(ctx context.Context, sel PurgeSelection) ([]TrashEntry, error)
}

// TrashEntry is one trashed run.
type TrashEntry struct {
	// ID identifies the entry (see NewTrashID): restore and purge name it.
	ID string `json:"id"`
	// Run is the name the run had when it was trashed.
	Run string `json:"run"`
	// DeletedAt is when it was trashed.
	DeletedAt time.Time `json:"deleted_at"`
	// TrainingIterations and ValidationIterations count what it holds;
	// -1 when the store could not count them (a damaged file).
	TrainingIterations   int `json:"training_iterations"`
	ValidationIterations int `json:"validation_iterations"`
	// Bytes is the space it takes on disk, 0 where the backend does not
	// measure it.
	Bytes int64 `json:"bytes"`
}

// Validate reports an invalid id or run name, or negative counts below -1.
func (e TrashEntry) Validate() error {
	if err := ValidateTrashID(e.ID); err != nil {
		return err
	}
	if err := ValidateRunName(e.Run); err != nil {
		return err
	}
	if e.TrainingIterations < -1 || e.ValidationIterations < -1 || e.Bytes < 0 {
		return invalid("trash entry %s: negative counts", e.ID)
	}
	if e.DeletedAt.IsZero() {
		return invalid("trash entry %s: no deletion time", e.ID)
	}
	return nil
}

// maxTrashIDLen bounds a trash id, which is a file name in the file store.
const maxTrashIDLen = 64

// NewTrashID returns a fresh trash id for a run trashed at t: the UTC time
// to the second and 8 random hex digits, "20261205-075100-1a2b3c4d", so
// that ids sort by age and are safe file names.
func NewTrashID(t time.Time) (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random trash id: %w", err)
	}
	return t.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:]), nil
}

// ValidateTrashID reports an id that no store hands out: empty, longer
// than 64 bytes, or with characters other than ASCII letters, digits, '-'
// and '_'. Any such id is a safe single path component.
func ValidateTrashID(id string) error {
	if id == "" || len(id) > maxTrashIDLen {
		return invalid("trash id %q: want 1 to %d characters", id, maxTrashIDLen)
	}
	for _, c := range []byte(id) {
		ok := c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_'
		if !ok {
			return invalid("trash id %q: want only letters, digits, - and _", id)
		}
	}
	return nil
}

// SortTrash sorts entries oldest first, then by id.
func SortTrash(entries []TrashEntry) {
	slices.SortFunc(entries, func(a, b TrashEntry) int {
		if c := a.DeletedAt.Compare(b.DeletedAt); c != 0 {
			return c
		}
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
}

// PurgeSelection chooses the trash entries a purge deletes: exactly one of
// Before (the entries trashed strictly before it), IDs (the named ones)
// and All.
type PurgeSelection struct {
	Before time.Time `json:"before,omitzero"`
	IDs    []string  `json:"ids,omitempty"`
	All    bool      `json:"all,omitempty"`
}

// PurgeOlderThan selects the entries trashed more than age before now.
func PurgeOlderThan(now time.Time, age time.Duration) PurgeSelection {
	return PurgeSelection{Before: now.Add(-age)}
}

// Validate reports a selection that selects by more or less than one
// rule, or names an invalid id.
func (p PurgeSelection) Validate() error {
	rules := 0
	if !p.Before.IsZero() {
		rules++
	}
	if len(p.IDs) > 0 {
		rules++
	}
	if p.All {
		rules++
	}
	if rules != 1 {
		return invalid("purge selection: want exactly one of a cutoff time, trash ids or all, got %d", rules)
	}
	for _, id := range p.IDs {
		if err := ValidateTrashID(id); err != nil {
			return err
		}
	}
	return nil
}

// Match reports whether the selection selects e.
func (p PurgeSelection) Match(e TrashEntry) bool {
	switch {
	case p.All:
		return true
	case len(p.IDs) > 0:
		return slices.Contains(p.IDs, e.ID)
	}
	return !p.Before.IsZero() && e.DeletedAt.Before(p.Before)
}

// SelectTrash returns the entries sel selects, in their order. A named id
// that is not among entries is an error wrapping ErrNotFound: a purge by
// name then purges nothing.
func SelectTrash(entries []TrashEntry, sel PurgeSelection) ([]TrashEntry, error) {
	if err := sel.Validate(); err != nil {
		return nil, err
	}
	for _, id := range sel.IDs {
		if !slices.ContainsFunc(entries, func(e TrashEntry) bool { return e.ID == id }) {
			return nil, fmt.Errorf("trash entry %q: %w", id, ErrNotFound)
		}
	}
	var out []TrashEntry
	for _, e := range entries {
		if sel.Match(e) {
			out = append(out, e)
		}
	}
	return out, nil
}
