package labeled_test

import (
	"math"
	"slices"
	"testing"

	"github.com/statstore/statstore/labeled"
)

var nan = math.NaN()

// mustNew builds an array or fails the test.
func mustNew(t testing.TB, data []float64, dims ...labeled.Dim) *labeled.Array {
	t.Helper()
	a, err := labeled.New(data, dims...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

// sameFloats compares element-wise, treating NaN as equal to NaN.
func sameFloats(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool {
		return x == y || (math.IsNaN(x) && math.IsNaN(y))
	})
}

// ints returns the labels 0..n-1.
func ints(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// dim builds a Dim from its labels.
func dim(name string, coords ...any) labeled.Dim {
	return labeled.Dim{Name: name, Coords: coords}
}

// seq builds a Dim labelled 0..n-1.
func seq(name string, n int) labeled.Dim {
	return labeled.Dim{Name: name, Coords: ints(n)}
}
