package statstore

import (
	"context"
	"log/slog"
	"math"
)

// NoRewind is the rewind point of two identical histories: no checkpoint
// is superseded.
const NoRewind = math.MaxInt

// RewindPoint returns where replacement departs from the stored training
// history: the smallest iteration whose entry is in only one of them or
// differs (bit-exactly, loss or time). A training replace (resumed from an
// earlier checkpoint) overwrites the weights of every checkpoint after it,
// so stored validations of iterations > the rewind point are superseded
// (see Supersedes). Both histories must be sorted by iteration; identical
// ones give NoRewind.
func RewindPoint(stored, replacement []TrainingIterationStats) int {
	n := min(len(stored), len(replacement))
	for i := range n {
		a, b := stored[i], replacement[i]
		if a.Iteration != b.Iteration {
			return min(a.Iteration, b.Iteration)
		}
		if !sameFloat(a.Loss, b.Loss) || !sameFloat(a.Time, b.Time) {
			return a.Iteration
		}
	}
	switch {
	case len(stored) > n:
		return stored[n].Iteration
	case len(replacement) > n:
		return replacement[n].Iteration
	}
	return NoRewind
}

// Supersedes reports whether a training rewind at rewind supersedes the
// validation of checkpoint iteration: the checkpoint holds the weights
// after iteration training steps, which the resumed training overwrote when
// it departed before them.
func Supersedes(rewind, iteration int) bool { return iteration > rewind }

// MarkSuperseded marks the entries that a training rewind at rewind
// supersedes and returns the iterations it newly marked (entries already
// marked stay marked).
func MarkSuperseded(entries []ValidationIterationScores, rewind int) []int {
	var marked []int
	for i := range entries {
		if Supersedes(rewind, entries[i].Iteration) && !entries[i].Superseded {
			entries[i].Superseded = true
			marked = append(marked, entries[i].Iteration)
		}
	}
	return marked
}

// CountSuperseded returns how many entries are marked superseded.
func CountSuperseded(entries []ValidationIterationScores) int {
	n := 0
	for _, s := range entries {
		if s.Superseded {
			n++
		}
	}
	return n
}

// Current returns v without its superseded entries (v itself when it has
// none) and how many it left out.
func (v *ValidationScores) Current() (*ValidationScores, int) {
	n := CountSuperseded(v.Scores)
	if n == 0 {
		return v, 0
	}
	out := &ValidationScores{Metadata: v.Metadata, Scores: make([]ValidationIterationScores, 0, len(v.Scores)-n)}
	for _, s := range v.Scores {
		if !s.Superseded {
			out.Scores = append(out.Scores, s)
		}
	}
	return out, n
}

// LogSuperseded logs, at Warn, the validations a training rewind of run
// marked superseded (nothing when marked is empty). Every store logs its
// training replaces' effect on validations with it.
func LogSuperseded(ctx context.Context, logger *slog.Logger, run string, rewind int, marked []int) {
	if len(marked) == 0 {
		return
	}
	logger.WarnContext(ctx, "validation scores: training was resumed from an earlier checkpoint; validations of the overwritten checkpoints are superseded until validated again",
		"run", run, "rewind_point", rewind, "superseded", marked)
}
