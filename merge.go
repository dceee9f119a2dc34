package statstore

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
)

// ValidationMerge reports what a validation store call did, iteration by
// iteration (each list sorted): Inserted iterations were not stored,
// Replaced ones were stored with different scores (a re-validation: the
// latest result wins), and Unchanged ones were stored with bit-identical
// scores.
type ValidationMerge struct {
	Inserted  []int
	Replaced  []int
	Unchanged []int
}

// Changed reports whether the call changed what is stored.
func (m ValidationMerge) Changed() bool { return len(m.Inserted)+len(m.Replaced) > 0 }

// String summarises m, e.g. "2 inserted, 1 replaced, 3 unchanged".
func (m ValidationMerge) String() string {
	return fmt.Sprintf("%d inserted, %d replaced, %d unchanged", len(m.Inserted), len(m.Replaced), len(m.Unchanged))
}

// validationMergeJSON is the JSON form of ValidationMerge.
type validationMergeJSON struct {
	Inserted  []int `json:"inserted"`
	Replaced  []int `json:"replaced"`
	Unchanged []int `json:"unchanged"`
}

// MarshalJSON writes {"inserted": […], "replaced": […], "unchanged": […]},
// with empty lists (never null).
func (m ValidationMerge) MarshalJSON() ([]byte, error) {
	nonNil := func(s []int) []int {
		if s == nil {
			return []int{}
		}
		return s
	}
	return json.Marshal(validationMergeJSON{nonNil(m.Inserted), nonNil(m.Replaced), nonNil(m.Unchanged)})
}

// UnmarshalJSON reads the form MarshalJSON writes.
func (m *ValidationMerge) UnmarshalJSON(b []byte) error {
	var j validationMergeJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*m = ValidationMerge{Inserted: j.Inserted, Replaced: j.Replaced, Unchanged: j.Unchanged}
	return nil
}

// ValidationPlan is the decision of PlanValidation.
type ValidationPlan struct {
	// Action is WriteNothing, WriteReplace (nothing was stored: store
	// Metadata and Entries) or WriteAppend (merge Entries into what is
	// stored: each replaces the stored entry of its iteration, if any).
	Action WriteAction
	// Metadata to store with the entries (the new scores' metadata).
	Metadata Metadata
	// Entries to write, sorted by iteration, one per iteration, each with
	// the Superseded mark it was sent with (false from every trainer; a
	// copy of a store sends the marks it read): the inserted and replaced
	// iterations of Result.
	Entries []ValidationIterationScores
	// Result is what the call does, to report to the caller.
	Result ValidationMerge
	// Irregular lists the iterations the call sent more than once or out
	// of order (see SortValidationEntries): stores may log them.
	Irregular []int
}

// SortValidationEntries returns entries sorted by iteration with one entry
// per iteration: when an iteration appears more than once, the last entry
// wins (DaCapo appends to its in-memory list in call order, so a
// re-validated checkpoint appears twice and a late one out of order).
// irregular lists, sorted, the iterations that appeared more than once or
// out of order. entries is not modified.
func SortValidationEntries(entries []ValidationIterationScores) (sorted []ValidationIterationScores, irregular []int) {
	regular := true
	for i := 1; i < len(entries); i++ {
		if entries[i].Iteration <= entries[i-1].Iteration {
			regular = false
			break
		}
	}
	if regular {
		return entries, nil
	}
	idx := make([]int, len(entries))
	for i := range idx {
		idx[i] = i
	}
	// Stable by position: among entries of one iteration the last one
	// sent comes last.
	slices.SortStableFunc(idx, func(a, b int) int { return entries[a].Iteration - entries[b].Iteration })
	sorted = make([]ValidationIterationScores, 0, len(entries))
	for k, i := range idx {
		it := entries[i].Iteration
		if k+1 < len(idx) && entries[idx[k+1]].Iteration == it {
			if len(irregular) == 0 || irregular[len(irregular)-1] != it {
				irregular = append(irregular, it)
			}
			continue
		}
		sorted = append(sorted, entries[i])
	}
	// Out of order: an entry smaller than one sent before it.
	maxSoFar := -1
	for _, e := range entries {
		if e.Iteration < maxSoFar {
			irregular = append(irregular, e.Iteration)
		}
		maxSoFar = max(maxSoFar, e.Iteration)
	}
	slices.Sort(irregular)
	return sorted, slices.Compact(irregular)
}

// PlanValidation applies the validation merge rule (SPEC §2). storedMeta is
// the stored metadata and stored the stored entries (sorted or not; a store
// may pass only the entries of the iterations scores mentions; none when
// nothing is stored). The new scores may be unsorted and hold an iteration
// more than once: within the call the last entry wins. An iteration not
// stored is inserted; a stored one is replaced when its scores differ (a new
// validation, current unless sent marked superseded), and left unchanged
// otherwise, its Superseded mark included: bit-identical scores are the same
// validation sent again (DaCapo sends its whole list at every checkpoint,
// old entries included), not a validation of new weights. Stored iterations
// the call does not mention are kept. Scores that Validate rejects once sorted are an
// error, and so are scores whose metadata differ from the stored metadata
// (ErrMetadataMismatch): nothing is written then. Every store implements
// MergeValidationScores with it.
func PlanValidation(storedMeta Metadata, stored []ValidationIterationScores, scores *ValidationScores) (ValidationPlan, error) {
	if scores == nil {
		return ValidationPlan{}, invalid("validation scores are nil")
	}
	sorted, irregular := SortValidationEntries(scores.Scores)
	norm := &ValidationScores{Metadata: scores.Metadata, Scores: sorted}
	if err := norm.Validate(); err != nil {
		return ValidationPlan{}, err
	}
	if len(sorted) == 0 {
		return ValidationPlan{Action: WriteNothing}, nil
	}
	if sh := norm.Shape(); sh[0] == 0 || sh[1] == 0 || sh[2] == 0 {
		return ValidationPlan{}, invalid("validation scores need at least one dataset, parameter set and criterion, got %d×%d×%d", sh[0], sh[1], sh[2])
	}
	plan := ValidationPlan{Metadata: scores.Metadata, Irregular: irregular}
	if len(stored) == 0 {
		plan.Action = WriteReplace
		plan.Entries = sorted
		plan.Result.Inserted = iterationsOf(sorted)
		return plan, nil
	}
	if !storedMeta.Equal(scores.Metadata) {
		return ValidationPlan{}, fmt.Errorf("cannot merge validation scores: stored and new metadata differ: %s: %w",
			storedMeta.Diff(scores.Metadata), ErrMetadataMismatch)
	}
	have := make(map[int]ValidationIterationScores, len(stored))
	for _, s := range stored {
		have[s.Iteration] = s
	}
	for _, s := range sorted {
		old, ok := have[s.Iteration]
		switch {
		case !ok:
			plan.Result.Inserted = append(plan.Result.Inserted, s.Iteration)
		case !old.SameScores(s):
			plan.Result.Replaced = append(plan.Result.Replaced, s.Iteration)
		default:
			plan.Result.Unchanged = append(plan.Result.Unchanged, s.Iteration)
			continue
		}
		plan.Entries = append(plan.Entries, s)
	}
	if len(plan.Entries) > 0 {
		plan.Action = WriteAppend
	}
	return plan, nil
}

func iterationsOf(entries []ValidationIterationScores) []int {
	its := make([]int, len(entries))
	for i, s := range entries {
		its[i] = s.Iteration
	}
	return its
}

// MergeValidation applies merged entries to stored ones in order: each entry
// replaces the one of its iteration, and the result is sorted by iteration
// with one entry per iteration (the last wins). A store that appends merged
// entries to a log reads it back with MergeValidation.
func MergeValidation(entries []ValidationIterationScores) []ValidationIterationScores {
	sorted, _ := SortValidationEntries(entries)
	return sorted
}

// Log logs what the plan does for run: an Info line with the counts, a Warn
// line naming the re-validated iterations whose stored scores it replaces
// (the latest result wins) and one naming the iterations the call sent more
// than once or out of order (the last entry sent wins). Every store logs
// its validation writes with it.
func (p ValidationPlan) Log(ctx context.Context, logger *slog.Logger, run string) {
	level := slog.LevelInfo
	if !p.Result.Changed() {
		level = slog.LevelDebug
	}
	logger.Log(ctx, level, "validation scores: merged", "run", run,
		"inserted", len(p.Result.Inserted), "replaced", len(p.Result.Replaced), "unchanged", len(p.Result.Unchanged))
	if len(p.Result.Replaced) > 0 {
		logger.WarnContext(ctx, "validation scores: re-validated iterations replace their stored scores",
			"run", run, "iterations", p.Result.Replaced)
	}
	if len(p.Irregular) > 0 {
		logger.WarnContext(ctx, "validation scores: iterations sent more than once or out of order; merged by iteration, the last entry sent wins",
			"run", run, "iterations", p.Irregular)
	}
}
