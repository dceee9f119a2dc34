package labeled

import "slices"

// Index holds positions along a reduced dimension, as returned by
// [Array.ArgMax] and [Array.ArgMin]: one int per element of the remaining
// dimensions, -1 where the reduced slice was all NaN. It is immutable.
type Index struct {
	g   grid
	pos []int
}

// Dims returns the dimension names in order.
func (x *Index) Dims() []string { return x.g.names() }

// Shape returns the length of each dimension, in the order of [Index.Dims].
func (x *Index) Shape() []int { return slices.Clone(x.g.shape) }

// Len returns the total number of positions: the product of the shape.
func (x *Index) Len() int { return len(x.pos) }

// Coords returns a copy of the labels of dimension dim, and false if there is
// no such dimension.
func (x *Index) Coords(dim string) ([]any, bool) { return x.g.coords(dim) }

// At returns the position stored at the given indices, one per dimension.
// Like slice indexing, it panics if the number of indices differs from the
// number of dimensions or an index is out of range.
func (x *Index) At(idx ...int) int { return x.pos[x.g.offset("Index", idx)] }

// Values returns a row-major copy of the positions.
func (x *Index) Values() []int { return slices.Clone(x.pos) }
