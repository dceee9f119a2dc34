package memstore

import (
	"context"
	"fmt"

	"github.com/statstore/statstore"
)

var _ statstore.Watcher = (*Store)(nil)

// Watch returns the store's changes from now on (see statstore.Watcher).
// Events are published under the store's lock, in the order the writes
// are applied.
func (s *Store) Watch(ctx context.Context, filter statstore.WatchFilter) (<-chan statstore.Event, error) {
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return nil, fmt.Errorf("memstore: watch: %w", statstore.ErrClosed)
	}
	ch, err := s.hub.Subscribe(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("memstore: %w", err)
	}
	return ch, nil
}

// publish sends the events of one write; created adds a run_created event
// first. The caller holds s.mu for writing.
func (s *Store) publish(created bool, evs ...statstore.Event) {
	if created && len(evs) > 0 {
		s.hub.Publish(statstore.Event{Kind: statstore.EventRunCreated, Run: evs[0].Run})
	}
	for _, ev := range evs {
		s.hub.Publish(ev)
	}
}

// publishGone sends run_deleted when the run holds nothing any more. The
// caller holds s.mu for writing.
func (s *Store) publishGone(run string) {
	if s.runs[run] == nil {
		s.hub.Publish(statstore.Event{Kind: statstore.EventRunDeleted, Run: run})
	}
}

// publishRestored sends the events of a run restored from the trash. The
// caller holds s.mu for writing.
func (s *Store) publishRestored(run string, r *runData) {
	var evs []statstore.Event
	if n := len(r.training); n > 0 {
		evs = append(evs, statstore.Event{Kind: statstore.EventTrainingReplaced, Run: run, From: r.training[0].Iteration, To: r.training[n-1].Iteration + 1})
	}
	if len(r.scores) > 0 {
		evs = append(evs, statstore.Event{Kind: statstore.EventValidationMerged, Run: run})
	}
	s.publish(true, evs...)
}
