package labeled

import "errors"

// Sentinel errors. Every error returned by this package wraps exactly one of
// them, so callers can match with errors.Is.
var (
	// ErrDim reports a dimension name that does not exist, is empty or is
	// duplicated.
	ErrDim = errors.New("invalid dimension")

	// ErrLabel reports a coordinate label that does not exist, is duplicated
	// within its dimension, is not comparable or is nil, or coordinates that
	// differ where they must match.
	ErrLabel = errors.New("invalid coordinate label")

	// ErrShape reports data whose length or shape does not match the
	// dimensions, or parts that cannot be combined.
	ErrShape = errors.New("shape mismatch")

	// ErrIndex reports a position that is out of range for its dimension.
	ErrIndex = errors.New("index out of range")
)
