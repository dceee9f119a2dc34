package labeled

import (
	"fmt"
	"reflect"
	"strconv"
)

// Dim is a named dimension with one coordinate label per position.
//
// Labels are comparable values (int, string, float64 ...) compared with ==;
// they must be non-nil, unique within the dimension and equal to themselves
// (a NaN label is rejected). A Dim may have no labels (a dimension of
// length zero).
type Dim struct {
	Name   string
	Coords []any
}

// validateDims checks names and labels of dims and returns the first
// problem found. where prefixes the description of the dimension in errors
// ("" or for example "Stack: new ").
func validateDims(where string, dims []Dim) error {
	seen := make(map[string]bool, len(dims))
	for i, d := range dims {
		if d.Name == "" {
			return fmt.Errorf("labeled: %sdimension %d has an empty name: %w", where, i, ErrDim)
		}
		if seen[d.Name] {
			return fmt.Errorf("labeled: %sdimension %q: name used twice: %w", where, d.Name, ErrDim)
		}
		seen[d.Name] = true
		if err := validateCoords(where, d); err != nil {
			return err
		}
	}
	return nil
}

// validateCoords checks that every label of d is usable and unique.
func validateCoords(where string, d Dim) error {
	pos := make(map[any]int, len(d.Coords))
	for i, c := range d.Coords {
		if problem := labelProblem(c); problem != "" {
			return fmt.Errorf("labeled: %sdimension %q, coordinate %d: %s: %w", where, d.Name, i, problem, ErrLabel)
		}
		if j, dup := pos[c]; dup {
			return fmt.Errorf("labeled: %sdimension %q: duplicate label %s at positions %d and %d: %w",
				where, d.Name, describeLabel(c), j, i, ErrLabel)
		}
		pos[c] = i
	}
	return nil
}

// labelProblem returns why v cannot be used as a coordinate label, or "".
func labelProblem(v any) string {
	if v == nil {
		return "label is nil"
	}
	// reflect.Value.Comparable also looks inside interfaces held by arrays
	// and structs, so == below cannot panic when it reports true.
	if !reflect.ValueOf(v).Comparable() {
		return fmt.Sprintf("label of type %T is not comparable", v)
	}
	if v != v {
		return fmt.Sprintf("label %v (%T) is not equal to itself (NaN)", v, v)
	}
	return ""
}

// indexOf returns the position of label in coords or -1. label must have
// no labelProblem.
func indexOf(coords []any, label any) int {
	for i, c := range coords {
		if c == label {
			return i
		}
	}
	return -1
}

// describeLabel formats a label for error messages, with its type so that
// int/int64 or "1"/1 mix-ups are visible.
func describeLabel(v any) string {
	if v == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%#v (%T)", v, v)
}

// formatLabel formats a label for String output.
func formatLabel(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case int:
		return strconv.Itoa(x)
	default:
		return fmt.Sprint(v)
	}
}

// formatValue formats an array element for String output.
func formatValue(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// formatInt formats an int for String output.
func formatInt(i int) string { return strconv.Itoa(i) }
