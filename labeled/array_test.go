package labeled_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/statstore/statstore/labeled"
)

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		data []float64
		dims []labeled.Dim
		want error
		msg  string // substring the message must contain
	}{
		{"too few values", []float64{1, 2}, []labeled.Dim{dim("x", 0, 1, 2)}, labeled.ErrShape, "got 2 values"},
		{"too many values", []float64{1, 2, 3}, []labeled.Dim{dim("x", 0, 1)}, labeled.ErrShape, "shape [2]"},
		{"scalar needs one value", nil, nil, labeled.ErrShape, "got 0 values"},
		{"scalar with two values", []float64{1, 2}, nil, labeled.ErrShape, "got 2 values"},
		{"empty name", []float64{1}, []labeled.Dim{dim("", 0)}, labeled.ErrDim, "empty name"},
		{"duplicate name", []float64{1}, []labeled.Dim{dim("x", 0), dim("x", 0)}, labeled.ErrDim, `"x"`},
		{"duplicate label", []float64{1, 2}, []labeled.Dim{dim("x", "a", "a")}, labeled.ErrLabel, `duplicate label "a"`},
		{"duplicate float label", []float64{1, 2}, []labeled.Dim{dim("x", 0.0, -0.0)}, labeled.ErrLabel, "duplicate label"},
		{"nil label", []float64{1}, []labeled.Dim{dim("x", nil)}, labeled.ErrLabel, "nil"},
		{"slice label", []float64{1}, []labeled.Dim{dim("x", []int{1})}, labeled.ErrLabel, "not comparable"},
		{"map label", []float64{1}, []labeled.Dim{dim("x", map[int]int{})}, labeled.ErrLabel, "not comparable"},
		{"array holding a slice", []float64{1}, []labeled.Dim{dim("x", [1]any{[]int{1}})}, labeled.ErrLabel, "not comparable"},
		{"NaN label", []float64{1}, []labeled.Dim{dim("x", nan)}, labeled.ErrLabel, "NaN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := labeled.New(tt.data, tt.dims...)
			if !errors.Is(err, tt.want) {
				t.Fatalf("New() = %v, %v; want error wrapping %v", a, err, tt.want)
			}
			if a != nil {
				t.Errorf("New() returned an array with the error")
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "labeled: ") || !strings.Contains(msg, tt.msg) {
				t.Errorf("error %q: want prefix \"labeled: \" and %q", msg, tt.msg)
			}
		})
	}
}

func TestNewAndAccessors(t *testing.T) {
	data := []float64{1, 2, 3, 4, 5, 6}
	coords := []any{"a", "b", "c"}
	a := mustNew(t, data, labeled.Dim{Name: "row", Coords: []any{10, 20}}, labeled.Dim{Name: "col", Coords: coords})

	// New copies its inputs.
	data[0], coords[0] = 100, "z"

	t.Run("Dims", func(t *testing.T) {
		if got := a.Dims(); !slices.Equal(got, []string{"row", "col"}) {
			t.Errorf("Dims() = %v", got)
		}
	})
	t.Run("Shape", func(t *testing.T) {
		if got := a.Shape(); !slices.Equal(got, []int{2, 3}) {
			t.Errorf("Shape() = %v", got)
		}
	})
	t.Run("Len", func(t *testing.T) {
		if got := a.Len(); got != 6 {
			t.Errorf("Len() = %d", got)
		}
	})
	t.Run("Values is a copy", func(t *testing.T) {
		v := a.Values()
		if !slices.Equal(v, []float64{1, 2, 3, 4, 5, 6}) {
			t.Fatalf("Values() = %v", v)
		}
		v[0] = 42
		if a.At(0, 0) != 1 {
			t.Errorf("modifying Values() changed the array")
		}
	})
	t.Run("Coords is a copy", func(t *testing.T) {
		c, ok := a.Coords("col")
		if !ok || !slices.Equal(c, []any{"a", "b", "c"}) {
			t.Fatalf("Coords(col) = %v, %v", c, ok)
		}
		c[0] = "q"
		if c2, _ := a.Coords("col"); c2[0] != "a" {
			t.Errorf("modifying Coords() changed the array")
		}
		if c, ok := a.Coords("nope"); ok || c != nil {
			t.Errorf("Coords(nope) = %v, %v", c, ok)
		}
	})
	t.Run("At", func(t *testing.T) {
		for i := range 2 {
			for j := range 3 {
				if got, want := a.At(i, j), float64(i*3+j+1); got != want {
					t.Errorf("At(%d, %d) = %v, want %v", i, j, got, want)
				}
			}
		}
	})
	t.Run("HasCoord", func(t *testing.T) {
		if !a.HasCoord("row") || !a.HasCoord("col") || a.HasCoord("x") {
			t.Errorf("HasCoord wrong")
		}
	})
	t.Run("no scalars", func(t *testing.T) {
		if v, ok := a.Scalar("row"); ok {
			t.Errorf("Scalar(row) = %v, true", v)
		}
		if n := a.ScalarNames(); len(n) != 0 {
			t.Errorf("ScalarNames() = %v", n)
		}
	})
	t.Run("zero length dim", func(t *testing.T) {
		e := mustNew(t, nil, labeled.Dim{Name: "x", Coords: ints(2)}, labeled.Dim{Name: "y"})
		if e.Len() != 0 || !slices.Equal(e.Shape(), []int{2, 0}) {
			t.Errorf("Len() = %d, Shape() = %v", e.Len(), e.Shape())
		}
	})
}

func TestItem(t *testing.T) {
	tests := []struct {
		name    string
		a       *labeled.Array
		want    float64
		wantErr bool
	}{
		{"0-d", mustNew(t, []float64{7}), 7, false},
		{"one element 1-d", mustNew(t, []float64{8}, labeled.Dim{Name: "x", Coords: ints(1)}), 8, false},
		{"two elements", mustNew(t, []float64{1, 2}, labeled.Dim{Name: "x", Coords: ints(2)}), 0, true},
		{"empty", mustNew(t, nil, labeled.Dim{Name: "x"}), 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.a.Item()
			if tt.wantErr {
				if !errors.Is(err, labeled.ErrShape) || !strings.HasPrefix(err.Error(), "labeled: Item:") {
					t.Errorf("Item() error = %v, want ErrShape", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Item() = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestAtPanics(t *testing.T) {
	a := mustNew(t, []float64{1, 2, 3, 4}, labeled.Dim{Name: "x", Coords: ints(2)}, labeled.Dim{Name: "y", Coords: ints(2)})
	tests := []struct {
		name string
		idx  []int
	}{
		{"too few indices", []int{1}},
		{"too many indices", []int{0, 0, 0}},
		{"negative", []int{-1, 0}},
		{"past the end", []int{0, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("At(%v) did not panic", tt.idx)
				}
			}()
			a.At(tt.idx...)
		})
	}
	t.Run("0-d takes no index", func(t *testing.T) {
		if got := mustNew(t, []float64{3}).At(); got != 3 {
			t.Errorf("At() = %v", got)
		}
	})
}
