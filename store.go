package statstore

import (
	"context"
	"time"
)

// StatsStore keeps the statistics of training runs. The first five methods
// are DaCapo's StatsStore; the others are what every user needs beyond it.
// Every implementation (the file store, PostgreSQL, the HTTP client) follows
// the same rules, checked by package storetest:
//
// Training, extend or overwrite (see PlanTraining): stored empty → store
// all; new stats empty → nothing happens; new TrainedUntil > stored
// TrainedUntil → append the entries whose iteration ≥ the stored
// TrainedUntil; otherwise (resumed from an earlier checkpoint) → replace the
// stored stats atomically and log a warning.
//
// Validation, merge by iteration (see PlanValidation): the new entries, in
// any order, are merged into the stored ones by iteration; within one call
// the last entry for an iteration wins; an iteration not stored is inserted,
// a stored one whose scores differ (or that is superseded) is replaced, an
// equal one is left unchanged, and stored iterations the call does not
// mention are kept. Only DeleteValidationScores and DeleteValidationAfter
// remove scores. Scores whose metadata differ from the stored metadata fail
// with ErrMetadataMismatch and write nothing.
//
// Training rewind: when StoreTrainingStats replaces the stored history, the
// stored validations of checkpoints after the rewind point (RewindPoint) are
// marked Superseded, in the same atomic step, until validated again.
//
// Unknown runs: retrieving gives empty results, not an error; deleting is
// not an error. Run names are checked with ValidateRunName
// (ErrInvalidRunName). Bad input wraps ErrInvalidArgument, ErrOutOfOrder,
// ErrDuplicateIteration or ErrShapeMismatch and leaves the store unchanged.
// Stored data that fails its checks gives a *CorruptError (ErrCorrupt).
type StatsStore interface {
	// StoreTrainingStats extends or overwrites the run's training stats.
	StoreTrainingStats(ctx context.Context, run string, stats *TrainingStats) error
	// RetrieveTrainingStats returns the run's whole training history.
	RetrieveTrainingStats(ctx context.Context, run string) (*TrainingStats, error)
	// StoreValidationIterationScores merges scores into the run's
	// validation scores (MergeValidationScores without its report).
	StoreValidationIterationScores(ctx context.Context, run string, scores *ValidationScores) error
	// RetrieveValidationIterationScores returns the run's validation entries in iteration order.
	RetrieveValidationIterationScores(ctx context.Context, run string) ([]ValidationIterationScores, error)
	// DeleteTrainingStats removes the run's training stats.
	DeleteTrainingStats(ctx context.Context, run string) error

	// ListRuns returns every run with stored training stats or validation
	// scores, sorted by name.
	ListRuns(ctx context.Context) ([]RunInfo, error)
	// RetrieveValidationScores returns the run's validation scores with their
	// metadata (zero metadata and no scores for an unknown run).
	RetrieveValidationScores(ctx context.Context, run string) (*ValidationScores, error)
	// DeleteValidationScores removes the run's validation scores and metadata.
	DeleteValidationScores(ctx context.Context, run string) error
	// MergeValidationScores merges scores into the run's validation scores
	// by iteration and reports what it did.
	MergeValidationScores(ctx context.Context, run string, scores *ValidationScores) (ValidationMerge, error)
	// DeleteValidationAfter removes the run's validation entries with
	// iteration >= iteration (DaCapo's delete_after); when none is left,
	// the metadata go too.
	DeleteValidationAfter(ctx context.Context, run string, iteration int) error
	// DeleteRun removes everything stored for the run.
	DeleteRun(ctx context.Context, run string) error
	// RetrieveTrainingRange returns the training entries with iteration in r.
	RetrieveTrainingRange(ctx context.Context, run string, r IterationRange) (*TrainingStats, error)
	// SubsampleTraining returns at most opts.MaxPoints training entries for
	// plotting, as Subsample defines them, without reading the whole
	// history in stride mode.
	SubsampleTraining(ctx context.Context, run string, opts SubsampleOptions) ([]TrainingIterationStats, error)
	// Close releases the store's resources; later calls fail with ErrClosed.
	Close() error
}

// RunInfo summarises one stored run.
type RunInfo struct {
	Run                  string
	TrainedUntil         int // last training iteration + 1, 0 without training stats
	TrainingIterations   int // number of training entries
	ValidatedUntil       int // last validated iteration + 1, 0 without validation scores
	ValidationIterations int // number of validation entries
	// LastWrite is when the run was last written: a training append or
	// replace, a validation merge, a delete of one part. The zero time
	// means the store cannot tell (a row written before the store kept
	// it). Stores keep it as precisely as their clock allows: a file
	// store reports its files' modification times, with the file
	// system's granularity.
	LastWrite time.Time
}

// IterationRange selects the iterations i with From <= i < To; To == 0
// means no upper bound.
type IterationRange struct {
	From, To int
}

// Contains reports whether iteration i is in r.
func (r IterationRange) Contains(i int) bool {
	return i >= r.From && (r.To == 0 || i < r.To)
}

// Validate reports a negative bound or an upper bound below the lower one.
func (r IterationRange) Validate() error {
	if r.From < 0 || r.To < 0 {
		return invalid("iteration range [%d, %d): bounds must be >= 0", r.From, r.To)
	}
	if r.To != 0 && r.To < r.From {
		return invalid("iteration range [%d, %d): end is before start", r.From, r.To)
	}
	return nil
}
