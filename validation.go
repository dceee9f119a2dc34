package statstore

import (
	"fmt"
	"math"
	"sort"

	"github.com/statstore/statstore/labeled"
)

// Dimension names of the labeled arrays returned by ToLabeled.
const (
	DimIterations = "iterations"
	DimDatasets   = "datasets"
	DimParameters = "parameters"
	DimCriteria   = "criteria"
)

// ValidationIterationScores are the scores of one validated checkpoint:
// Iteration is the number of training iterations done (0 = untrained
// weights) and Scores is nested [dataset][parameter set][criterion]. NaN is a
// legal score. Superseded marks the scores of a checkpoint whose weights a
// resumed training overwrote (see RewindPoint): they are kept, left out of
// best reports by default, and cleared when the iteration is validated
// again.
type ValidationIterationScores struct {
	Iteration  int
	Scores     [][][]float64
	Superseded bool
}

// Validate reports a negative iteration or one above MaxIteration.
func (s ValidationIterationScores) Validate() error {
	return checkIteration("validation", s.Iteration)
}

// Shape returns the lengths of the three axes, and false when the array is
// ragged.
func (s ValidationIterationScores) Shape() ([3]int, bool) {
	var sh [3]int
	sh[0] = len(s.Scores)
	for i, d := range s.Scores {
		if i == 0 {
			sh[1] = len(d)
		} else if len(d) != sh[1] {
			return sh, false
		}
		for j, p := range d {
			if i == 0 && j == 0 {
				sh[2] = len(p)
			} else if len(p) != sh[2] {
				return sh, false
			}
		}
	}
	return sh, true
}

// Equal reports whether s and o have the same iteration, bit-identical
// scores and the same Superseded mark.
func (s ValidationIterationScores) Equal(o ValidationIterationScores) bool {
	return s.Superseded == o.Superseded && s.SameScores(o)
}

// SameScores reports whether s and o have the same iteration and
// bit-identical scores (NaN equals the same NaN), whatever their Superseded
// marks: the merge rule leaves such an entry unchanged.
func (s ValidationIterationScores) SameScores(o ValidationIterationScores) bool {
	if s.Iteration != o.Iteration || len(s.Scores) != len(o.Scores) {
		return false
	}
	for i := range s.Scores {
		if len(s.Scores[i]) != len(o.Scores[i]) {
			return false
		}
		for j := range s.Scores[i] {
			a, b := s.Scores[i][j], o.Scores[i][j]
			if len(a) != len(b) {
				return false
			}
			for k := range a {
				if !sameFloat(a[k], b[k]) {
					return false
				}
			}
		}
	}
	return true
}

// ValidationScores are a run's validation scores with the metadata that gives
// them meaning. Scores are kept sorted by iteration, one entry per iteration.
type ValidationScores struct {
	Metadata
	Scores []ValidationIterationScores
}

// NewValidationScores returns empty scores described by meta, which must be valid.
func NewValidationScores(meta Metadata) (*ValidationScores, error) {
	if err := meta.Validate(); err != nil {
		return nil, err
	}
	return &ValidationScores{Metadata: meta}, nil
}

// Len returns the number of validated iterations.
func (v *ValidationScores) Len() int { return len(v.Scores) }

// checkShape reports a scores array that does not fit the metadata.
func (v *ValidationScores) checkShape(s ValidationIterationScores) error {
	want := v.Shape()
	got, ok := s.Shape()
	if !ok {
		return fmt.Errorf("scores of iteration %d are ragged, want %d×%d×%d (datasets × parameters × criteria): %w",
			s.Iteration, want[0], want[1], want[2], ErrShapeMismatch)
	}
	if !shapeFits(got, want) {
		return fmt.Errorf("scores of iteration %d have shape %d×%d×%d, want %d×%d×%d (datasets × parameters × criteria): %w",
			s.Iteration, got[0], got[1], got[2], want[0], want[1], want[2], ErrShapeMismatch)
	}
	return nil
}

// shapeFits reports whether a scores array of shape got fits want. An
// array cannot show the length of an axis nested inside an empty one (no
// datasets means no parameter sets to count criteria in), so only the axes
// it can show are compared.
func shapeFits(got, want [3]int) bool {
	switch {
	case got[0] != want[0]:
		return false
	case want[0] == 0:
		return true
	case got[1] != want[1]:
		return false
	case want[1] == 0:
		return true
	}
	return got[2] == want[2]
}

// Validate reports invalid metadata, iterations that are negative, above
// MaxIteration, unsorted or repeated, and scores of the wrong shape.
func (v *ValidationScores) Validate() error {
	if err := v.Metadata.Validate(); err != nil {
		return err
	}
	for i, s := range v.Scores {
		if err := s.Validate(); err != nil {
			return err
		}
		if err := v.checkShape(s); err != nil {
			return err
		}
		if i > 0 {
			prev := v.Scores[i-1].Iteration
			if s.Iteration == prev {
				return fmt.Errorf("validation iteration %d appears twice: %w", s.Iteration, ErrDuplicateIteration)
			}
			if s.Iteration < prev {
				return fmt.Errorf("validation iteration %d follows iteration %d, want sorted by iteration: %w", s.Iteration, prev, ErrOutOfOrder)
			}
		}
	}
	return nil
}

// search returns the index of the first entry with iteration >= n.
func (v *ValidationScores) search(n int) int {
	return sort.Search(len(v.Scores), func(i int) bool { return v.Scores[i].Iteration >= n })
}

// AddIterationScores inserts s in iteration order (an old checkpoint may be
// validated late), or replaces the entry v holds for s's iteration (the
// merge rule: the latest validation wins). Scores whose shape is not
// datasets × parameters × criteria wrap ErrShapeMismatch; v is unchanged on
// error.
func (v *ValidationScores) AddIterationScores(s ValidationIterationScores) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if err := v.checkShape(s); err != nil {
		return err
	}
	i := v.search(s.Iteration)
	if i < len(v.Scores) && v.Scores[i].Iteration == s.Iteration {
		v.Scores[i] = s
		return nil
	}
	v.Scores = append(v.Scores, ValidationIterationScores{})
	copy(v.Scores[i+1:], v.Scores[i:])
	v.Scores[i] = s
	return nil
}

// Subscores returns new scores with the same metadata holding only the given
// entries, which must each be one of v's entries (same iteration, same
// scores); another entry wraps ErrNotFound.
func (v *ValidationScores) Subscores(entries []ValidationIterationScores) (*ValidationScores, error) {
	out := &ValidationScores{Metadata: v.Metadata}
	for _, e := range entries {
		i := v.search(e.Iteration)
		if i == len(v.Scores) || !v.Scores[i].Equal(e) {
			return nil, fmt.Errorf("iteration %d is not one of these validation scores: %w", e.Iteration, ErrNotFound)
		}
		if err := out.AddIterationScores(e); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// DeleteAfter keeps only the iterations < n.
func (v *ValidationScores) DeleteAfter(n int) {
	v.Scores = v.Scores[:v.search(n)]
}

// From returns the entries with iteration >= n, sharing v's storage.
func (v *ValidationScores) From(n int) []ValidationIterationScores {
	return v.Scores[v.search(n):]
}

// ValidatedUntil returns the largest iteration + 1, or 0 when empty.
func (v *ValidationScores) ValidatedUntil() int {
	return validatedUntil(v.Scores)
}

func validatedUntil(scores []ValidationIterationScores) int {
	until := 0
	for _, s := range scores {
		if s.Iteration+1 > until {
			until = s.Iteration + 1
		}
	}
	return until
}

// Compare is DaCapo's ValidationScores.compare, kept for parity: with no
// existing scores it returns (false, 0); when the existing ones reach further
// than v (their validated-until is greater) it returns (true, 0); otherwise
// (false, existing validated-until). No store decides with it: stores merge
// by iteration (PlanValidation), so that no validation is lost implicitly.
func (v *ValidationScores) Compare(existing []ValidationIterationScores) (replace bool, storeFrom int) {
	if len(existing) == 0 {
		return false, 0
	}
	if ex := validatedUntil(existing); ex > v.ValidatedUntil() {
		return true, 0
	} else {
		return false, ex
	}
}

// ToLabeled returns the scores as a 4-D labeled array with dims iterations,
// datasets, parameters, criteria and coordinates the iteration numbers,
// dataset names, parameter display names and criterion names.
func (v *ValidationScores) ToLabeled() (*labeled.Array, error) {
	if err := v.Validate(); err != nil {
		return nil, err
	}
	sh := v.Shape()
	per := sh[0] * sh[1] * sh[2]
	data := make([]float64, 0, len(v.Scores)*per)
	iters := make([]any, len(v.Scores))
	for i, s := range v.Scores {
		iters[i] = s.Iteration
		for _, d := range s.Scores {
			for _, p := range d {
				data = append(data, p...)
			}
		}
	}
	return labeled.New(data,
		labeled.Dim{Name: DimIterations, Coords: iters},
		labeled.Dim{Name: DimDatasets, Coords: anys(v.Datasets)},
		labeled.Dim{Name: DimParameters, Coords: anys(v.ParameterDisplayNames())},
		labeled.Dim{Name: DimCriteria, Coords: anys(v.Criteria())},
	)
}

func anys(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

// sameFloat reports bit-exact equality, so NaN equals the same NaN.
func sameFloat(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b)
}
