// Package labeled provides immutable float64 N-dimensional arrays with named
// dimensions and coordinate labels: the small part of Python's xarray that is
// needed to pick the best checkpoint of a training run.
//
// An [Array] is stored row-major. Every dimension ([Dim]) has a name and one
// coordinate label per position; labels are any comparable, non-nil values
// that equal themselves (ints, strings, finite or infinite floats, comparable
// structs ...) and are compared with ==, so int(1) and int64(1) are different
// labels. Labels within one dimension must be unique.
//
// Selection ([Array.Sel], [Array.ISel]) drops a dimension and remembers the
// selected label as a scalar coordinate, as xarray does; [Array.SelLabels]
// keeps the dimension and picks a subset of its labels. Reductions
// ([Array.Max], [Array.Min], [Array.Mean], [Array.ArgMax], [Array.ArgMin],
// [Array.IdxMax], [Array.IdxMin]) remove one dimension, keep the order and
// coordinates of the others, skip NaN values (like numpy's nanmax and
// friends) and give NaN, -1 or a missing label for a slice that is all NaN
// (or empty). [Stack] and [StackLabels] combine equally shaped parts along a
// new last dimension.
//
// All values are immutable: every method returns a new value and never
// modifies its receiver, so arrays can be shared between goroutines freely.
//
// Errors start with "labeled:", name what was wrong and wrap one of the
// sentinels [ErrDim], [ErrLabel], [ErrShape] or [ErrIndex], to be matched with
// errors.Is. Nothing panics on bad input except At with indices that are out
// of range or of the wrong number, which is a programming error like indexing
// a slice out of range.
package labeled
