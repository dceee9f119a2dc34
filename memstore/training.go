package memstore

import (
	"context"
	"fmt"

	"github.com/statstore/statstore"
)

// StoreTrainingStats extends or overwrites the run's training stats as
// statstore.PlanTraining decides: an append is logged at Info, an overwrite
// at Warn; an overwrite marks the validations of the checkpoints after its
// rewind point superseded (statstore.RewindPoint). Invalid stats change
// nothing.
func (s *Store) StoreTrainingStats(ctx context.Context, run string, stats *statstore.TrainingStats) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx, "store training stats", run); err != nil {
		return err
	}
	storedUntil, created := 0, s.runs[run] == nil
	if r := s.run(run, false); r != nil && len(r.training) > 0 {
		storedUntil = r.training[len(r.training)-1].Iteration + 1
	}
	plan, err := statstore.PlanTraining(storedUntil, stats)
	if err != nil {
		return fmt.Errorf("memstore: store training stats of run %q: %w", run, err)
	}
	switch plan.Action {
	case statstore.WriteNothing:
		s.logger.Debug("training stats: nothing new to store", "run", run, "stored_until", storedUntil)
	case statstore.WriteAppend:
		r := s.run(run, true)
		r.training = append(r.training, plan.Entries...)
		if r.pyr != nil {
			r.pyr.Add(plan.Entries)
		}
		s.touchAppended(r, plan.Entries)
		s.publish(created, statstore.Event{Kind: statstore.EventTrainingAppended, Run: run, From: plan.Entries[0].Iteration, To: stats.TrainedUntil()})
		s.logger.Info("training stats: appended", "run", run,
			"entries", len(plan.Entries), "from", plan.Entries[0].Iteration, "trained_until", stats.TrainedUntil())
	case statstore.WriteReplace:
		r := s.run(run, true)
		rewind := statstore.RewindPoint(r.training, plan.Entries)
		r.training = append([]statstore.TrainingIterationStats(nil), plan.Entries...)
		r.pyr = nil
		s.publish(created, statstore.Event{Kind: statstore.EventTrainingReplaced, Run: run, From: plan.Entries[0].Iteration, To: stats.TrainedUntil()})
		s.logger.Warn("training stats: overwriting stored stats (training resumed from an earlier checkpoint?)",
			"run", run, "stored_until", storedUntil, "new_until", stats.TrainedUntil(), "entries", len(plan.Entries))
		statstore.LogSuperseded(ctx, s.logger, run, rewind, statstore.MarkSuperseded(r.scores, rewind))
		s.touch(r) // after the marks: the summary leaves superseded entries out
	}
	return nil
}

// RetrieveTrainingStats returns a copy of the run's training history; empty
// for an unknown run.
func (s *Store) RetrieveTrainingStats(ctx context.Context, run string) (*statstore.TrainingStats, error) {
	return s.RetrieveTrainingRange(ctx, run, statstore.IterationRange{})
}

// AppendTrainingStats appends a copy of the run's training history to dst
// (statstore.TrainingAppender); dst unchanged for an unknown run.
func (s *Store) AppendTrainingStats(ctx context.Context, run string, dst []statstore.TrainingIterationStats) ([]statstore.TrainingIterationStats, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.check(ctx, "retrieve training stats", run); err != nil {
		return dst, err
	}
	if rd := s.run(run, false); rd != nil {
		dst = append(dst, rd.training...)
	}
	return dst, nil
}

// RetrieveTrainingRange returns a copy of the run's training entries with
// iteration in r; empty for an unknown run. An invalid range wraps
// statstore.ErrInvalidArgument.
func (s *Store) RetrieveTrainingRange(ctx context.Context, run string, r statstore.IterationRange) (*statstore.TrainingStats, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.check(ctx, "retrieve training stats", run); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("memstore: retrieve training stats of run %q: %w", run, err)
	}
	out := &statstore.TrainingStats{IterationStats: []statstore.TrainingIterationStats{}}
	if rd := s.run(run, false); rd != nil {
		for _, e := range rd.training {
			if r.Contains(e.Iteration) {
				out.IterationStats = append(out.IterationStats, e)
			}
		}
	}
	return out, nil
}

// SubsampleTraining returns statstore.Subsample of the run's history: at most
// opts.MaxPoints entries for plotting; empty for an unknown run. Invalid
// options wrap statstore.ErrInvalidArgument.
func (s *Store) SubsampleTraining(ctx context.Context, run string, opts statstore.SubsampleOptions) ([]statstore.TrainingIterationStats, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.check(ctx, "subsample training stats", run); err != nil {
		return nil, err
	}
	var stats []statstore.TrainingIterationStats
	if rd := s.run(run, false); rd != nil {
		stats = rd.training
	}
	out, err := statstore.Subsample(stats, opts)
	if err != nil {
		return nil, fmt.Errorf("memstore: subsample training stats of run %q: %w", run, err)
	}
	// Subsample may return entries sharing stats' storage: copy them out.
	return append([]statstore.TrainingIterationStats{}, out...), nil
}

// DeleteTrainingStats removes the run's training stats; an unknown run is not
// an error.
func (s *Store) DeleteTrainingStats(ctx context.Context, run string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx, "delete training stats", run); err != nil {
		return err
	}
	if r := s.run(run, false); r != nil && len(r.training) > 0 {
		r.training, r.pyr = nil, nil
		s.touch(r)
		s.dropIfEmpty(run)
		s.publish(false, statstore.Event{Kind: statstore.EventTrainingReplaced, Run: run})
		s.publishGone(run)
		s.logger.Info("training stats: deleted", "run", run)
	}
	return nil
}
