package labeled

import (
	"fmt"
	"slices"
)

// Stack combines parts along a new last dimension named dim.Name, part i
// at label dim.Coords[i]. The parts must have the same dimensions, in the
// same order, with the same coordinates.
//
// Scalar coordinates named dim.Name are dropped (they are now the new
// dimension); other scalar coordinates are kept if every part has the same
// value for them and dropped otherwise.
//
// It returns an error wrapping [ErrShape] if len(parts) differs from
// len(dim.Coords), there are no parts, a part is nil or the parts differ in
// dimensions or lengths; [ErrLabel] if their coordinates differ or dim has a
// bad label; [ErrDim] if dim.Name is empty or already a dimension.
func Stack(dim Dim, parts ...*Array) (*Array, error) {
	grids := make([]grid, len(parts))
	for i, p := range parts {
		if p == nil {
			return nil, fmt.Errorf("labeled: Stack: part %d is nil: %w", i, ErrShape)
		}
		grids[i] = p.g
	}
	g, err := stackGrid("Stack", dim, grids)
	if err != nil {
		return nil, err
	}
	np := len(parts)
	data := make([]float64, g.size)
	for p, part := range parts {
		for i, v := range part.data {
			data[i*np+p] = v
		}
	}
	return &Array{g: g, data: data, scalars: commonScalars(dim.Name, parts)}, nil
}

// StackLabels combines parts along a new last dimension named dim.Name, part
// i at label dim.Coords[i], like [Stack] does for arrays. Missing labels stay
// missing. Its errors are those of [Stack].
func StackLabels(dim Dim, parts ...*Labels) (*Labels, error) {
	grids := make([]grid, len(parts))
	for i, p := range parts {
		if p == nil {
			return nil, fmt.Errorf("labeled: StackLabels: part %d is nil: %w", i, ErrShape)
		}
		grids[i] = p.g
	}
	g, err := stackGrid("StackLabels", dim, grids)
	if err != nil {
		return nil, err
	}
	np := len(parts)
	out := &Labels{g: g, labels: make([]any, g.size), ok: make([]bool, g.size)}
	for p, part := range parts {
		for i := range part.labels {
			out.labels[i*np+p], out.ok[i*np+p] = part.labels[i], part.ok[i]
		}
	}
	return out, nil
}

// stackGrid checks dim and the grids of the parts and returns the grid of
// the stacked result.
func stackGrid(op string, dim Dim, grids []grid) (grid, error) {
	if err := validateDims(op+": new ", []Dim{dim}); err != nil {
		return grid{}, err
	}
	if len(grids) != len(dim.Coords) {
		return grid{}, fmt.Errorf("labeled: %s: %d parts for %d labels of dimension %q: %w",
			op, len(grids), len(dim.Coords), dim.Name, ErrShape)
	}
	if len(grids) == 0 {
		return grid{}, fmt.Errorf("labeled: %s: no parts to stack along %q: %w", op, dim.Name, ErrShape)
	}
	first := grids[0]
	if first.axis(dim.Name) >= 0 {
		return grid{}, fmt.Errorf("labeled: %s: parts already have a dimension %q: %w", op, dim.Name, ErrDim)
	}
	for i, g := range grids[1:] {
		if err := first.match(g, fmt.Sprintf("%s: part %d", op, i+1)); err != nil {
			return grid{}, err
		}
	}
	return first.appended(Dim{Name: dim.Name, Coords: slices.Clone(dim.Coords)}), nil
}

// commonScalars returns the scalar coordinates of parts[0] that every part
// has with the same value, except the one called drop.
func commonScalars(drop string, parts []*Array) []scalar {
	var out []scalar
	for _, s := range parts[0].scalars {
		if s.name == drop {
			continue
		}
		same := true
		for _, p := range parts[1:] {
			if v, ok := p.Scalar(s.name); !ok || v != s.value {
				same = false
				break
			}
		}
		if same {
			out = append(out, s)
		}
	}
	return out
}
