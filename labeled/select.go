package labeled

import (
	"fmt"
	"slices"
)

// Sel returns the slice of a at the position whose label along dim equals
// label. The dimension is dropped and the label is kept as the scalar
// coordinate dim (see [Array.Scalar]), as xarray does.
//
// It returns an error wrapping [ErrDim] if dim does not exist and [ErrLabel]
// if no label equals label (labels compare with ==, so int(1) does not match
// int64(1)); the error names both.
func (a *Array) Sel(dim string, label any) (*Array, error) {
	k, err := a.g.lookup("Sel", dim)
	if err != nil {
		return nil, err
	}
	i, err := a.find("Sel", k, label)
	if err != nil {
		return nil, err
	}
	return a.isel(k, i), nil
}

// ISel returns the slice of a at position i along dim. The dimension is
// dropped and its label at i is kept as the scalar coordinate dim.
//
// It returns an error wrapping [ErrDim] if dim does not exist and [ErrIndex]
// if i is not in [0, length of dim).
func (a *Array) ISel(dim string, i int) (*Array, error) {
	k, err := a.g.lookup("ISel", dim)
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= a.g.shape[k] {
		return nil, fmt.Errorf("labeled: ISel: index %d out of range for dimension %q of length %d: %w",
			i, dim, a.g.shape[k], ErrIndex)
	}
	return a.isel(k, i), nil
}

// SelLabels returns the array restricted to the given labels of dim, in the
// given order; the dimension is kept. With no labels the dimension has
// length zero.
//
// It returns an error wrapping [ErrDim] if dim does not exist and [ErrLabel]
// if a label is missing or repeated.
func (a *Array) SelLabels(dim string, labels ...any) (*Array, error) {
	k, err := a.g.lookup("SelLabels", dim)
	if err != nil {
		return nil, err
	}
	pos := make([]int, len(labels))
	seen := make(map[any]bool, len(labels))
	for j, l := range labels {
		if pos[j], err = a.find("SelLabels", k, l); err != nil {
			return nil, err
		}
		if seen[l] {
			return nil, fmt.Errorf("labeled: SelLabels: label %s given twice for dimension %q: %w",
				describeLabel(l), dim, ErrLabel)
		}
		seen[l] = true
	}
	outer, n, inner := a.g.split(k)
	g := a.g.replaced(k, slices.Clone(labels))
	data := make([]float64, 0, g.size)
	for o := range outer {
		block := a.data[o*n*inner : (o+1)*n*inner]
		for _, p := range pos {
			data = append(data, block[p*inner:(p+1)*inner]...)
		}
	}
	return &Array{g: g, data: data, scalars: a.scalars}, nil
}

// find returns the position of label along axis k, or an error naming op,
// the dimension and the label.
func (a *Array) find(op string, k int, label any) (int, error) {
	name := a.g.dims[k].Name
	if problem := labelProblem(label); problem != "" {
		return -1, fmt.Errorf("labeled: %s: dimension %q: %s: %w", op, name, problem, ErrLabel)
	}
	i := indexOf(a.g.dims[k].Coords, label)
	if i < 0 {
		return -1, fmt.Errorf("labeled: %s: dimension %q has no label %s: %w",
			op, name, describeLabel(label), ErrLabel)
	}
	return i, nil
}

// isel drops axis k at position i and records the scalar coordinate.
func (a *Array) isel(k, i int) *Array {
	outer, n, inner := a.g.split(k)
	data := make([]float64, 0, outer*inner)
	for o := range outer {
		start := (o*n + i) * inner
		data = append(data, a.data[start:start+inner]...)
	}
	d := a.g.dims[k]
	scalars := make([]scalar, 0, len(a.scalars)+1)
	scalars = append(scalars, a.scalars...)
	scalars = append(scalars, scalar{name: d.Name, value: d.Coords[i]})
	return &Array{g: a.g.without(k), data: data, scalars: scalars}
}
