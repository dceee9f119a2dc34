package labeled

import (
	"fmt"
	"slices"
)

// Array is an immutable, row-major float64 N-dimensional array with named
// dimensions and coordinate labels. It also carries scalar coordinates: the
// labels of dimensions removed by [Array.Sel] or [Array.ISel], as in xarray.
//
// Create arrays with [New] or [Stack]; the zero Array is not usable. All
// methods leave the receiver unchanged and are safe for concurrent use.
type Array struct {
	g       grid
	data    []float64
	scalars []scalar // in the order they were recorded
}

// scalar is a scalar coordinate: a name and the label it was fixed at.
type scalar struct {
	name  string
	value any
}

// New returns an array holding a copy of data with the given dimensions,
// the last one varying fastest (row-major). With no dims the array is a
// scalar (0-d) and data must have exactly one element.
//
// It returns an error wrapping [ErrShape] if len(data) is not the product of
// the coordinate lengths, [ErrDim] for an empty or duplicated dimension name
// and [ErrLabel] for a nil, non-comparable, NaN or duplicated label.
func New(data []float64, dims ...Dim) (*Array, error) {
	if err := validateDims("", dims); err != nil {
		return nil, err
	}
	g := newGrid(copyDims(dims))
	if len(data) != g.size {
		return nil, fmt.Errorf("labeled: got %d values for shape %v (%d values): %w",
			len(data), g.shape, g.size, ErrShape)
	}
	return &Array{g: g, data: slices.Clone(data)}, nil
}

// Dims returns the dimension names in order.
func (a *Array) Dims() []string { return a.g.names() }

// Shape returns the length of each dimension, in the order of [Array.Dims].
func (a *Array) Shape() []int { return slices.Clone(a.g.shape) }

// Len returns the total number of elements: the product of the shape, 1 for
// a 0-d array.
func (a *Array) Len() int { return len(a.data) }

// Coords returns a copy of the labels of dimension dim, and false if there is
// no such dimension.
func (a *Array) Coords(dim string) ([]any, bool) { return a.g.coords(dim) }

// Scalar returns the scalar coordinate called name, left behind by
// [Array.Sel] or [Array.ISel], and false if there is none.
func (a *Array) Scalar(name string) (any, bool) {
	for _, s := range a.scalars {
		if s.name == name {
			return s.value, true
		}
	}
	return nil, false
}

// ScalarNames returns the names of the scalar coordinates in the order they
// were recorded.
func (a *Array) ScalarNames() []string {
	out := make([]string, len(a.scalars))
	for i, s := range a.scalars {
		out[i] = s.name
	}
	return out
}

// HasCoord reports whether name is a dimension or a scalar coordinate.
func (a *Array) HasCoord(name string) bool {
	if a.g.axis(name) >= 0 {
		return true
	}
	_, ok := a.Scalar(name)
	return ok
}

// Values returns a row-major copy of the elements.
func (a *Array) Values() []float64 { return slices.Clone(a.data) }

// At returns the element at the given position, one index per dimension (none
// for a 0-d array). Like slice indexing, it panics if the number of indices
// differs from the number of dimensions or an index is out of range.
func (a *Array) At(idx ...int) float64 { return a.data[a.g.offset("Array", idx)] }

// Item returns the single value of an array with exactly one element,
// typically a 0-d array left by selections and reductions. It returns an
// error wrapping [ErrShape] for any other size.
func (a *Array) Item() (float64, error) {
	if len(a.data) != 1 {
		return 0, fmt.Errorf("labeled: Item: array of shape %v has %d values, want 1: %w",
			a.g.shape, len(a.data), ErrShape)
	}
	return a.data[0], nil
}
