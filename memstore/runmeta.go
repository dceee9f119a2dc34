package memstore

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"

	"github.com/statstore/statstore"
)

var _ statstore.RunMetaStore = (*Store)(nil)

// RetrieveRunMeta returns a copy of the run's configuration and tags; the
// zero RunMeta for an unknown run.
func (s *Store) RetrieveRunMeta(ctx context.Context, run string) (statstore.RunMeta, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.check(ctx, "retrieve run metadata", run); err != nil {
		return statstore.RunMeta{}, err
	}
	r := s.run(run, false)
	if r == nil {
		return statstore.RunMeta{}, nil
	}
	return copyRunMeta(r.runMeta), nil
}

// SetRunConfig replaces the run's configuration (nil removes it), keeping
// it in statstore.CompactRunConfig's form.
func (s *Store) SetRunConfig(ctx context.Context, run string, config json.RawMessage) error {
	var compact json.RawMessage
	if config != nil {
		c, err := statstore.CompactRunConfig(config)
		if err != nil {
			return fmt.Errorf("memstore: set configuration of run %q: %w", run, err)
		}
		compact = c
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx, "set run configuration", run); err != nil {
		return err
	}
	created := s.runs[run] == nil
	r := s.run(run, compact != nil)
	if r == nil {
		return nil // removing the configuration of an unknown run
	}
	r.runMeta.Config = compact
	s.touch(r)
	s.dropIfEmpty(run)
	s.publish(created, statstore.Event{Kind: statstore.EventMetaChanged, Run: run})
	s.publishGone(run)
	s.logger.Info("run configuration set", "run", run, "bytes", len(compact))
	return nil
}

// SetRunTags sets and removes the run's tags in one step
// (statstore.ApplyTags).
func (s *Store) SetRunTags(ctx context.Context, run string, set map[string]string, remove []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx, "set run tags", run); err != nil {
		return err
	}
	var old map[string]string
	if r := s.run(run, false); r != nil {
		old = r.runMeta.Tags
	}
	tags, err := statstore.ApplyTags(old, set, remove)
	if err != nil {
		return fmt.Errorf("memstore: set tags of run %q: %w", run, err)
	}
	created := s.runs[run] == nil
	r := s.run(run, tags != nil)
	if r == nil {
		return nil // removing tags of an unknown run
	}
	r.runMeta.Tags = tags
	s.touch(r)
	s.dropIfEmpty(run)
	s.publish(created, statstore.Event{Kind: statstore.EventMetaChanged, Run: run})
	s.publishGone(run)
	s.logger.Info("run tags set", "run", run, "set", len(set), "removed", len(remove))
	return nil
}

// copyRunMeta returns a deep copy of m.
func copyRunMeta(m statstore.RunMeta) statstore.RunMeta {
	out := statstore.RunMeta{Tags: maps.Clone(m.Tags)}
	if m.Config != nil {
		out.Config = append(json.RawMessage(nil), m.Config...)
	}
	return out
}
