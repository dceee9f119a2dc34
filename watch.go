package statstore

import (
	"context"
	"slices"
)

// EventKind names what changed in a store; its values are the event names
// of the HTTP API's change stream (GET /api/v1/events).
type EventKind string

// The kinds of Event.
const (
	// EventRunCreated: the run got its first data (training or validation).
	EventRunCreated EventKind = "run_created"
	// EventRunDeleted: the run holds nothing any more (deleted or trashed).
	EventRunDeleted EventKind = "run_deleted"
	// EventTrainingAppended: training entries [From, To) were appended.
	EventTrainingAppended EventKind = "training_appended"
	// EventTrainingReplaced: the training history was replaced (a resume
	// from an earlier checkpoint, or a delete): it now holds [From, To),
	// To == 0 when it is empty.
	EventTrainingReplaced EventKind = "training_replaced"
	// EventValidationMerged: validation entries with iteration in [From,
	// To) (To == 0: no upper bound) were inserted, replaced, marked or
	// deleted.
	EventValidationMerged EventKind = "validation_merged"
	// EventMetaChanged: the run's configuration or tags changed.
	EventMetaChanged EventKind = "meta_changed"
	// EventResync: the watcher lost track (the consumer fell behind, the
	// connection to the store was lost): events may have been missed, and
	// the consumer reads again what it shows from the store.
	EventResync EventKind = "resync"
)

// Event is a hint that a run changed. Events are hints; the store is the
// truth: a consumer reads what changed from the store (RetrieveTrainingRange
// for an append, the whole run after a replace).
type Event struct {
	Kind EventKind
	// Run is the run that changed; empty for EventResync.
	Run string
	// From and To bound the iterations the change touched, as
	// IterationRange does (To == 0: no upper bound); see the kinds.
	From, To int
	// Seq numbers the events of one Watch stream from 1, increasing.
	Seq uint64
	// ID identifies the change the same way on every process that sees it,
	// when the backend can (PostgreSQL: one ID per writing transaction, so
	// that clients of several server replicas can drop duplicates); empty
	// otherwise.
	ID string
}

// WatchFilter selects the events of a Watch stream.
type WatchFilter struct {
	// Runs lists the runs to follow; empty follows every run. Resync
	// events always pass.
	Runs []string
}

// Match reports whether the filter passes ev.
func (f WatchFilter) Match(ev Event) bool {
	return ev.Kind == EventResync || len(f.Runs) == 0 || slices.Contains(f.Runs, ev.Run)
}

// Validate reports an invalid run name in the filter.
func (f WatchFilter) Validate() error {
	for _, r := range f.Runs {
		if err := ValidateRunName(r); err != nil {
			return err
		}
	}
	return nil
}

// Watcher is implemented by stores that report their changes, including the
// changes made by other processes writing the same store (another process
// appending to the file store's directory, another server on the same
// PostgreSQL database).
//
// Watch returns a channel of the changes made after it returns, until ctx
// is done or the store is closed; then the channel is closed. The contract:
//
//   - events are hints, the store is the truth: a consumer reads what an
//     event names from the store, and may receive an event for a change it
//     has already read;
//   - the events of one run arrive in the order the store applied them;
//   - no event is lost without an EventResync in its place: a consumer that
//     falls too far behind, or a watcher that lost its connection to the
//     store, gets EventResync, after which it reads again everything it
//     shows (ListRuns and the runs it displays).
type Watcher interface {
	Watch(ctx context.Context, filter WatchFilter) (<-chan Event, error)
}

// MergeEvent returns the EventValidationMerged event of a merge of run's
// validation scores: its range spans the inserted and replaced iterations.
// ok is false when the merge changed nothing.
func MergeEvent(run string, m ValidationMerge) (ev Event, ok bool) {
	if !m.Changed() {
		return Event{}, false
	}
	changed := slices.Concat(m.Inserted, m.Replaced)
	return Event{Kind: EventValidationMerged, Run: run, From: slices.Min(changed), To: slices.Max(changed) + 1}, true
}
