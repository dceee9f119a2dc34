package labeled

import (
	"fmt"
	"slices"
)

// grid is the shape shared by Array, Index and Labels: the dimensions in
// order, their lengths and the row-major strides. Coordinate slices are
// never modified once in a grid, so grids share them freely.
type grid struct {
	dims    []Dim
	shape   []int
	strides []int
	size    int
}

// newGrid builds the grid of dims, which must already be valid.
func newGrid(dims []Dim) grid {
	g := grid{
		dims:    dims,
		shape:   make([]int, len(dims)),
		strides: make([]int, len(dims)),
		size:    1,
	}
	for i := len(dims) - 1; i >= 0; i-- {
		g.shape[i] = len(dims[i].Coords)
		g.strides[i] = g.size
		g.size *= g.shape[i]
	}
	return g
}

// copyDims returns a deep copy of dims (the Coords slices are copied too).
func copyDims(dims []Dim) []Dim {
	out := make([]Dim, len(dims))
	for i, d := range dims {
		out[i] = Dim{Name: d.Name, Coords: slices.Clone(d.Coords)}
	}
	return out
}

// names returns the dimension names in order.
func (g grid) names() []string {
	out := make([]string, len(g.dims))
	for i, d := range g.dims {
		out[i] = d.Name
	}
	return out
}

// axis returns the position of the dimension called name, or -1.
func (g grid) axis(name string) int {
	for i, d := range g.dims {
		if d.Name == name {
			return i
		}
	}
	return -1
}

// lookup returns the axis of dim or an error naming op and dim.
func (g grid) lookup(op, dim string) (int, error) {
	k := g.axis(dim)
	if k < 0 {
		return -1, fmt.Errorf("labeled: %s: no dimension %q (dimensions are %q): %w", op, dim, g.names(), ErrDim)
	}
	return k, nil
}

// coords returns a copy of the labels of dimension name.
func (g grid) coords(name string) ([]any, bool) {
	k := g.axis(name)
	if k < 0 {
		return nil, false
	}
	return slices.Clone(g.dims[k].Coords), true
}

// split returns, for axis k, the number of blocks before it, its length and
// the number of elements after it, so element (o, j, i) is at
// (o*n+j)*inner+i.
func (g grid) split(k int) (outer, n, inner int) {
	outer = 1
	for _, s := range g.shape[:k] {
		outer *= s
	}
	return outer, g.shape[k], g.strides[k]
}

// without returns the grid with axis k removed.
func (g grid) without(k int) grid {
	dims := make([]Dim, 0, len(g.dims)-1)
	dims = append(dims, g.dims[:k]...)
	dims = append(dims, g.dims[k+1:]...)
	return newGrid(dims)
}

// replaced returns the grid with the coordinates of axis k replaced.
func (g grid) replaced(k int, coords []any) grid {
	dims := slices.Clone(g.dims)
	dims[k] = Dim{Name: dims[k].Name, Coords: coords}
	return newGrid(dims)
}

// appended returns the grid with d added as the last dimension.
func (g grid) appended(d Dim) grid {
	dims := make([]Dim, 0, len(g.dims)+1)
	dims = append(dims, g.dims...)
	dims = append(dims, d)
	return newGrid(dims)
}

// offset returns the flat position of idx. It panics, like slice indexing,
// when idx has the wrong length or an index is out of range.
func (g grid) offset(kind string, idx []int) int {
	if len(idx) != len(g.dims) {
		panic(fmt.Sprintf("labeled: %s.At: got %d indices for %d dimensions", kind, len(idx), len(g.dims)))
	}
	off := 0
	for k, i := range idx {
		if i < 0 || i >= g.shape[k] {
			panic(fmt.Sprintf("labeled: %s.At: index %d out of range for dimension %q of length %d",
				kind, i, g.dims[k].Name, g.shape[k]))
		}
		off += i * g.strides[k]
	}
	return off
}

// match reports how other differs from g (names, lengths or labels), or nil
// when they are identical. what names other in the error.
func (g grid) match(other grid, what string) error {
	if !slices.Equal(g.names(), other.names()) {
		return fmt.Errorf("labeled: %s has dimensions %q, want %q: %w", what, other.names(), g.names(), ErrShape)
	}
	for k, d := range g.dims {
		if g.shape[k] != other.shape[k] {
			return fmt.Errorf("labeled: %s: dimension %q has length %d, want %d: %w",
				what, d.Name, other.shape[k], g.shape[k], ErrShape)
		}
		for j, c := range d.Coords {
			if oc := other.dims[k].Coords[j]; oc != c {
				return fmt.Errorf("labeled: %s: dimension %q has label %s at position %d, want %s: %w",
					what, d.Name, describeLabel(oc), j, describeLabel(c), ErrLabel)
			}
		}
	}
	return nil
}
