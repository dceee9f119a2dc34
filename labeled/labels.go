package labeled

import "slices"

// Labels holds coordinate labels of a reduced dimension, as returned by
// [Array.IdxMax] and [Array.IdxMin]: one label per element of the remaining
// dimensions, missing where the reduced slice was all NaN. It is immutable.
type Labels struct {
	g      grid
	labels []any
	ok     []bool
}

// Dims returns the dimension names in order.
func (l *Labels) Dims() []string { return l.g.names() }

// Shape returns the length of each dimension, in the order of [Labels.Dims].
func (l *Labels) Shape() []int { return slices.Clone(l.g.shape) }

// Len returns the total number of labels, present or missing: the product of
// the shape.
func (l *Labels) Len() int { return len(l.labels) }

// Coords returns a copy of the labels of dimension dim (the coordinates, not
// the stored labels), and false if there is no such dimension.
func (l *Labels) Coords(dim string) ([]any, bool) { return l.g.coords(dim) }

// At returns the label stored at the given indices, one per dimension, and
// false if it is missing. Like slice indexing, it panics if the number of
// indices differs from the number of dimensions or an index is out of range.
func (l *Labels) At(idx ...int) (any, bool) {
	off := l.g.offset("Labels", idx)
	return l.labels[off], l.ok[off]
}

// Values returns a row-major copy of the labels, nil where missing.
func (l *Labels) Values() []any { return slices.Clone(l.labels) }
