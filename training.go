package statstore

import (
	"fmt"
	"sort"

	"github.com/statstore/statstore/labeled"
)

// MaxIteration is the largest iteration a training or validation entry may
// have: 2^53 − 1, JavaScript's Number.MAX_SAFE_INTEGER. Larger ones are
// rejected with ErrInvalidArgument, by the same check in every backend.
//
// Why this bound and not math.MaxInt64: iterations travel as JSON numbers,
// and most JSON clients (the dashboard in the browser, jq, any decoder that
// reads numbers as float64) hold integers exactly only up to 2^53; an
// iteration above that would silently read back as a neighbouring one.
// With this bound every iteration and every trained-until and
// validated-until (last iteration + 1, at most 2^53) is exact as a float64,
// in Python, in the PostgreSQL bigint columns and in the file format, and
// last iteration + 1 can never overflow. No real run comes near it: at one
// iteration per microsecond, 2^53 iterations take 285 years.
const MaxIteration = 1<<53 - 1

// TrainingIterationStats is what one optimisation step logged: its 0-based
// iteration, the loss and the seconds the step took. Any float64 is a legal
// loss or time, NaN and ±Inf included; stores keep them bit-exactly.
type TrainingIterationStats struct {
	Iteration int
	Loss      float64
	Time      float64
}

// Validate reports a negative iteration or one above MaxIteration.
func (s TrainingIterationStats) Validate() error {
	return checkIteration("training", s.Iteration)
}

// checkIteration reports an iteration that is negative or above
// MaxIteration, wrapping ErrInvalidArgument; kind is "training" or
// "validation".
func checkIteration(kind string, it int) error {
	if it < 0 {
		return invalid("%s iteration %d is negative, want >= 0", kind, it)
	}
	if it > MaxIteration {
		return invalid("%s iteration %d is larger than the maximum %d (2^53-1, the largest integer every JSON client reads exactly)",
			kind, it, MaxIteration)
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

// Validate reports an iteration that is negative or above MaxIteration, or
// iterations that are not strictly increasing.
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
