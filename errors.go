package statstore

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error statstore returns wraps one of these (or a
// *CorruptError), so callers match them with errors.Is and errors.As whatever
// backend produced them.
var (
	// ErrNotFound: a run, iteration, dataset, parameter set or criterion that
	// must exist does not. Retrieving an unknown run is not an error (it gives
	// empty results); this is for lookups that name something specific.
	ErrNotFound = errors.New("not found")

	// ErrInvalidRunName: a run name that is not a safe single path component
	// (see ValidateRunName).
	ErrInvalidRunName = errors.New("invalid run name")

	// ErrOutOfOrder: an iteration that is not strictly greater than the one
	// before it where the order matters.
	ErrOutOfOrder = errors.New("iteration out of order")

	// ErrDuplicateIteration: a second validation entry for an iteration that
	// already has one.
	ErrDuplicateIteration = errors.New("duplicate iteration")

	// ErrShapeMismatch: a scores array whose shape is not
	// len(datasets) × len(parameters) × len(criteria).
	ErrShapeMismatch = errors.New("shape mismatch")

	// ErrMetadataMismatch: validation scores whose datasets, parameter sets or
	// criteria differ from the ones already stored for the run.
	ErrMetadataMismatch = errors.New("metadata mismatch")

	// ErrInvalidArgument: any other bad input: a negative iteration, an unknown
	// criterion, a malformed metadata description, an oversized request.
	ErrInvalidArgument = errors.New("invalid argument")

	// ErrUnknownDirection: a best computation asked of a criterion whose
	// direction (whether higher or lower values are better) is unknown, as
	// for DaCapo scores read without a preset or metadata. Name the
	// criteria (a preset or a metadata file) to answer it.
	ErrUnknownDirection = errors.New("criterion direction unknown")

	// ErrReadOnly: a write to a store that can only be read (for example a
	// directory written by DaCapo, which must be imported first).
	ErrReadOnly = errors.New("store is read-only")

	// ErrClosed: a call on a store that has been closed.
	ErrClosed = errors.New("store is closed")

	// ErrUnavailable: the backend cannot be reached or is not accepting work
	// right now (a database that is down or restarting). Nothing was
	// written; the same call may succeed when retried later.
	ErrUnavailable = errors.New("store unavailable")

	// ErrStorageFull: the disk or database has no room left for the write.
	// Nothing was written; the call may succeed once space is freed.
	ErrStorageFull = errors.New("storage full")

	// ErrCorrupt is matched (with errors.Is) by every *CorruptError.
	ErrCorrupt = errors.New("corrupt data")
)

// CorruptError reports stored data that fails its checks: a bad checksum, an
// impossible length, a record that does not decode. Path names the file (or,
// for a database, the table and run) and Offset the byte offset of the first
// bad record within it (-1 when unknown).
type CorruptError struct {
	Path   string
	Offset int64
	Reason string
	Err    error // underlying cause, if any
}

// Error implements error.
func (e *CorruptError) Error() string {
	msg := fmt.Sprintf("corrupt data in %s", e.Path)
	if e.Offset >= 0 {
		msg += fmt.Sprintf(" at byte offset %d", e.Offset)
	}
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying cause.
func (e *CorruptError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrCorrupt) true for every *CorruptError.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// invalid wraps ErrInvalidArgument with a formatted message.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrInvalidArgument)
}

// notFound wraps ErrNotFound with a formatted message.
func notFound(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrNotFound)
}
