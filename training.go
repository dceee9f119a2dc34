package statstore

import (
	"fmt"
	"sort"

	"github.com/statstore/statstore/labeled"
)

// TrainingIterationStats is what one optimisation step logged: its 0-based
// iteration, the loss and the seconds the step took. Any float64 is a legal
// loss or time, NaN and ±Inf included; stores keep them bit-exactly.
type TrainingIterationStats struct {
	Iteration int
	Loss      float64
	Time      float64
}

// Validate reports a negative iteration.
func (s TrainingIterationStats) Validate() error {
	if s.Iteration < 0 {
		return invalid("training iteration %d is negative, want >= 0", s.Iteration)
	}
	return nil
}

// TrainingStats is the training history of a run: iteration stats strictly
// increasing in iteration. Gaps are allowed (a run may log every 10th step).
// The zero value is an empty history ready to use.
type TrainingStats struct {
	IterationStats []TrainingIterationStats
}

// NewTrainingStats returns a history holding stats, which must be strictly
// increasing in iteration.
func NewTrainingStats(stats ...TrainingIterationStats) (*TrainingStats, error) {
	t := &TrainingStats{IterationStats: append([]TrainingIterationStats(nil), stats...)}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// Validate reports a negative iteration or iterations that are not strictly
// increasing.
func (t *TrainingStats) Validate() error {
	for i, s := range t.IterationStats {
		if err := s.Validate(); err != nil {
			return fmt.Errorf("training stats entry %d: %w", i, err)
		}
		if i > 0 && s.Iteration <= t.IterationStats[i-1].Iteration {
			return fmt.Errorf("training stats entry %d: iteration %d follows iteration %d, want strictly increasing: %w",
				i, s.Iteration, t.IterationStats[i-1].Iteration, ErrOutOfOrder)
		}
	}
	return nil
}

// Len returns the number of entries.
func (t *TrainingStats) Len() int { return len(t.IterationStats) }

// AddIterationStats appends s. An iteration that is not greater than the last
// one is an error naming both (wrapping ErrOutOfOrder) and leaves t unchanged:
// rewinding a history is an explicit DeleteAfter.
func (t *TrainingStats) AddIterationStats(s TrainingIterationStats) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if n := len(t.IterationStats); n > 0 {
		if last := t.IterationStats[n-1].Iteration; s.Iteration <= last {
			return fmt.Errorf("cannot add training iteration %d after iteration %d, want > %d (use DeleteAfter to rewind): %w",
				s.Iteration, last, last, ErrOutOfOrder)
		}
	}
	t.IterationStats = append(t.IterationStats, s)
	return nil
}

// DeleteAfter keeps only the entries with iteration < n.
func (t *TrainingStats) DeleteAfter(n int) {
	t.IterationStats = t.IterationStats[:t.searchIteration(n)]
}

// searchIteration returns the index of the first entry with iteration >= n.
func (t *TrainingStats) searchIteration(n int) int {
	return sort.Search(len(t.IterationStats), func(i int) bool { return t.IterationStats[i].Iteration >= n })
}

// From returns the entries with iteration >= n, sharing t's storage.
func (t *TrainingStats) From(n int) []TrainingIterationStats {
	return t.IterationStats[t.searchIteration(n):]
}

// TrainedUntil returns the last iteration + 1, or 0 for an empty history: the
// number of iterations a resumed training starts from.
func (t *TrainingStats) TrainedUntil() int {
	if len(t.IterationStats) == 0 {
		return 0
	}
	return t.IterationStats[len(t.IterationStats)-1].Iteration + 1
}

// ToLabeled returns the losses as a 1-D labeled array with dimension
// "iterations" whose coordinates are the iteration numbers (DaCapo's
// to_xarray). It fails only on a history that Validate rejects.
func (t *TrainingStats) ToLabeled() (*labeled.Array, error) {
	coords := make([]any, len(t.IterationStats))
	losses := make([]float64, len(t.IterationStats))
	for i, s := range t.IterationStats {
		coords[i] = s.Iteration
		losses[i] = s.Loss
	}
	a, err := labeled.New(losses, labeled.Dim{Name: DimIterations, Coords: coords})
	if err != nil {
		return nil, fmt.Errorf("training stats to labeled array: %w", err)
	}
	return a, nil
}

// Equal reports whether t and u hold the same entries, comparing floats
// bit-exactly (so NaN equals NaN).
func (t *TrainingStats) Equal(u *TrainingStats) bool {
	if len(t.IterationStats) != len(u.IterationStats) {
		return false
	}
	for i, s := range t.IterationStats {
		v := u.IterationStats[i]
		if s.Iteration != v.Iteration || !sameFloat(s.Loss, v.Loss) || !sameFloat(s.Time, v.Time) {
			return false
		}
	}
	return true
}
