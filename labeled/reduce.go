package labeled

import "math"

// Reductions remove one dimension and keep the others, with their order and
// coordinates, and the scalar coordinates. They skip NaN values; a slice
// that is all NaN (or empty) reduces to NaN, position -1 or a missing label.
// Each is a single pass over the data with no per-element allocation.

// Max returns the largest non-NaN value along dim. +Inf and -Inf are
// ordinary values. It returns an error wrapping [ErrDim] if dim does not
// exist.
func (a *Array) Max(dim string) (*Array, error) {
	k, err := a.g.lookup("Max", dim)
	if err != nil {
		return nil, err
	}
	val, _ := a.extreme(k, true)
	return &Array{g: a.g.without(k), data: val, scalars: a.scalars}, nil
}

// Min returns the smallest non-NaN value along dim. It returns an error
// wrapping [ErrDim] if dim does not exist.
func (a *Array) Min(dim string) (*Array, error) {
	k, err := a.g.lookup("Min", dim)
	if err != nil {
		return nil, err
	}
	val, _ := a.extreme(k, false)
	return &Array{g: a.g.without(k), data: val, scalars: a.scalars}, nil
}

// Mean returns the mean of the non-NaN values along dim (NaN if there are
// none; NaN too if both +Inf and -Inf occur). It returns an error wrapping
// [ErrDim] if dim does not exist.
func (a *Array) Mean(dim string) (*Array, error) {
	k, err := a.g.lookup("Mean", dim)
	if err != nil {
		return nil, err
	}
	outer, n, inner := a.g.split(k)
	sum := make([]float64, outer*inner)
	count := make([]int, outer*inner)
	if inner == 1 {
		// Reducing the last dimension: each slice is contiguous.
		for o := range outer {
			s, c := 0.0, 0
			for _, v := range a.data[o*n : (o+1)*n] {
				if v == v {
					s += v
					c++
				}
			}
			sum[o], count[o] = s, c
		}
	} else {
		for o := range outer {
			s := sum[o*inner : (o+1)*inner]
			c := count[o*inner : (o+1)*inner]
			for j := range n {
				row := a.data[(o*n+j)*inner : (o*n+j+1)*inner]
				s, c := s[:len(row)], c[:len(row)] // lets the compiler drop bounds checks
				for i, v := range row {
					if v == v {
						s[i] += v
						c[i]++
					}
				}
			}
		}
	}
	for r, c := range count {
		if c == 0 {
			sum[r] = math.NaN()
		} else {
			sum[r] /= float64(c)
		}
	}
	return &Array{g: a.g.without(k), data: sum, scalars: a.scalars}, nil
}

// ArgMax returns the position along dim of the largest non-NaN value: the
// first one on ties, -1 when the slice is all NaN. It returns an error
// wrapping [ErrDim] if dim does not exist.
func (a *Array) ArgMax(dim string) (*Index, error) {
	k, err := a.g.lookup("ArgMax", dim)
	if err != nil {
		return nil, err
	}
	_, pos := a.extreme(k, true)
	return &Index{g: a.g.without(k), pos: pos}, nil
}

// ArgMin returns the position along dim of the smallest non-NaN value: the
// first one on ties, -1 when the slice is all NaN. It returns an error
// wrapping [ErrDim] if dim does not exist.
func (a *Array) ArgMin(dim string) (*Index, error) {
	k, err := a.g.lookup("ArgMin", dim)
	if err != nil {
		return nil, err
	}
	_, pos := a.extreme(k, false)
	return &Index{g: a.g.without(k), pos: pos}, nil
}

// IdxMax returns the label along dim of the largest non-NaN value (the
// first one on ties); the label is missing where the slice is all NaN. It
// returns an error wrapping [ErrDim] if dim does not exist.
func (a *Array) IdxMax(dim string) (*Labels, error) {
	k, err := a.g.lookup("IdxMax", dim)
	if err != nil {
		return nil, err
	}
	_, pos := a.extreme(k, true)
	return labelsAt(a.g, k, pos), nil
}

// IdxMin returns the label along dim of the smallest non-NaN value (the
// first one on ties); the label is missing where the slice is all NaN. It
// returns an error wrapping [ErrDim] if dim does not exist.
func (a *Array) IdxMin(dim string) (*Labels, error) {
	k, err := a.g.lookup("IdxMin", dim)
	if err != nil {
		return nil, err
	}
	_, pos := a.extreme(k, false)
	return labelsAt(a.g, k, pos), nil
}

// labelsAt turns positions along axis k of g into the labels there.
func labelsAt(g grid, k int, pos []int) *Labels {
	coords := g.dims[k].Coords
	l := &Labels{g: g.without(k), labels: make([]any, len(pos)), ok: make([]bool, len(pos))}
	for r, p := range pos {
		if p >= 0 {
			l.labels[r], l.ok[r] = coords[p], true
		}
	}
	return l
}

// extreme computes, for every slice along axis k, the largest (if largest)
// or smallest non-NaN value and the first position where it occurs; NaN and
// -1 for a slice without any. It walks the data once, in memory order.
//
// The hot loops start from -Inf (or +Inf) and only test v > best (or
// v < best), which is false for NaN. A slice whose values are all NaN or
// equal to the starting infinity is left at -1 and resolved by fixInf.
func (a *Array) extreme(k int, largest bool) (val []float64, pos []int) {
	outer, n, inner := a.g.split(k)
	start := math.Inf(-1)
	if !largest {
		start = math.Inf(1)
	}
	val = make([]float64, outer*inner)
	pos = make([]int, outer*inner)
	for r := range val {
		val[r], pos[r] = start, -1
	}
	if inner == 1 {
		// Reducing the last dimension: each slice is contiguous.
		for o := range outer {
			best, at := start, -1
			if largest {
				for j, v := range a.data[o*n : (o+1)*n] {
					if v > best {
						best, at = v, j
					}
				}
			} else {
				for j, v := range a.data[o*n : (o+1)*n] {
					if v < best {
						best, at = v, j
					}
				}
			}
			val[o], pos[o] = best, at
		}
	} else {
		for o := range outer {
			bv := val[o*inner : (o+1)*inner]
			bp := pos[o*inner : (o+1)*inner]
			for j := range n {
				row := a.data[(o*n+j)*inner : (o*n+j+1)*inner]
				bv, bp := bv[:len(row)], bp[:len(row)] // lets the compiler drop bounds checks
				if largest {
					for i, v := range row {
						if v > bv[i] {
							bv[i], bp[i] = v, j
						}
					}
				} else {
					for i, v := range row {
						if v < bv[i] {
							bv[i], bp[i] = v, j
						}
					}
				}
			}
		}
	}
	a.fixInf(outer, n, inner, start, val, pos)
	return val, pos
}

// fixInf resolves the slices extreme left at position -1: the first element
// equal to start (the infinity extreme began with) is the answer if there
// is one; otherwise the slice is all NaN and the value becomes NaN.
func (a *Array) fixInf(outer, n, inner int, start float64, val []float64, pos []int) {
	for r, p := range pos {
		if p >= 0 {
			continue
		}
		o, i := r/inner, r%inner
		val[r] = math.NaN()
		for j := range n {
			if a.data[(o*n+j)*inner+i] == start {
				val[r], pos[r] = start, j
				break
			}
		}
	}
}
