package statstore

import (
	"fmt"
	"math"
)

// WriteAction is what a Store call does to the stored data.
type WriteAction int

// The write actions a plan can choose.
const (
	// WriteNothing leaves the store as it is.
	WriteNothing WriteAction = iota
	// WriteAppend adds the plan's entries after what is stored.
	WriteAppend
	// WriteReplace atomically replaces what is stored with the plan's entries.
	WriteReplace
)

// String returns "nothing", "append" or "replace".
func (a WriteAction) String() string {
	switch a {
	case WriteNothing:
		return "nothing"
	case WriteAppend:
		return "append"
	case WriteReplace:
		return "replace"
	}
	return fmt.Sprintf("WriteAction(%d)", int(a))
}

// TrainingPlan is the decision of PlanTraining.
type TrainingPlan struct {
	Action  WriteAction
	Entries []TrainingIterationStats // to append, or the whole new history to replace with
	// Overwrite is true when stored stats are replaced (training was resumed
	// from an earlier checkpoint): stores log it as a warning.
	Overwrite bool
}

// PlanTraining applies the training extend-or-overwrite rule. storedUntil is
// the stored TrainedUntil (0 when nothing is stored). Every store implements
// StoreTrainingStats with it. Stats to be stored whole (first store or
// replace) must pass Validate; on an append only the entries appended are
// checked (non-negative, at most MaxIteration, strictly increasing, all >=
// storedUntil), so a
// trainer that hands over its whole history at every checkpoint costs
// O(new entries), not O(history).
func PlanTraining(storedUntil int, stats *TrainingStats) (TrainingPlan, error) {
	if stats == nil {
		return TrainingPlan{}, invalid("training stats are nil")
	}
	if storedUntil == math.MinInt {
		// The stored history ends at iteration math.MaxInt64, which was
		// accepted before MaxIteration existed, and last + 1 overflowed:
		// it reaches further than any stats that can be stored now, so
		// the rule replaces it (and the run is not wedged).
		storedUntil = math.MaxInt
	}
	if storedUntil < 0 {
		return TrainingPlan{}, invalid("stored trained-until %d is negative, want >= 0", storedUntil)
	}
	n := len(stats.IterationStats)
	if n > 0 {
		// Checked first: last + 1 below must not overflow.
		if err := stats.IterationStats[n-1].Validate(); err != nil {
			return TrainingPlan{}, fmt.Errorf("training stats entry %d: %w", n-1, err)
		}
	}
	if n > 0 && storedUntil > 0 && stats.IterationStats[n-1].Iteration+1 > storedUntil {
		// Append: DaCapo hands over the whole history at every checkpoint,
		// so check only the entries to be written, in O(new entries).
		entries, err := newTail(stats.IterationStats, storedUntil)
		if err != nil {
			return TrainingPlan{}, err
		}
		return TrainingPlan{Action: WriteAppend, Entries: entries}, nil
	}
	if err := stats.Validate(); err != nil {
		return TrainingPlan{}, err
	}
	switch {
	case n == 0:
		return TrainingPlan{Action: WriteNothing}, nil
	case storedUntil == 0:
		return TrainingPlan{Action: WriteAppend, Entries: stats.IterationStats}, nil
	default:
		return TrainingPlan{Action: WriteReplace, Entries: stats.IterationStats, Overwrite: true}, nil
	}
}

// newTail returns the entries of all with iteration >= from, found by
// scanning back from the end, and reports them when they are not strictly
// increasing. all's last iteration must be >= from. The older part of all is
// not examined: it cannot change what is stored.
func newTail(all []TrainingIterationStats, from int) ([]TrainingIterationStats, error) {
	i := len(all) - 1
	for ; i > 0 && all[i-1].Iteration >= from; i-- {
		if prev, cur := all[i-1].Iteration, all[i].Iteration; prev >= cur {
			return nil, fmt.Errorf("training stats entry %d: iteration %d follows iteration %d, want strictly increasing: %w",
				i, cur, prev, ErrOutOfOrder)
		}
	}
	return all[i:], nil
}
