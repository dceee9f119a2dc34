package labeled_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/statstore/statstore/labeled"
)

// scores is a 2×3 array: iterations {100, 200} × criteria {voi, f1, loss}.
func scores(t testing.TB) *labeled.Array {
	return mustNew(t, []float64{1, 2, 3, 4, 5, 6},
		dim("iterations", 100, 200), dim("criteria", "voi", "f1", "loss"))
}

func TestSel(t *testing.T) {
	a := scores(t)
	tests := []struct {
		name   string
		dim    string
		label  any
		want   []float64
		dims   []string
		scalar any
	}{
		{"first dim", "iterations", 200, []float64{4, 5, 6}, []string{"criteria"}, 200},
		{"last dim", "criteria", "f1", []float64{2, 5}, []string{"iterations"}, "f1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := a.Sel(tt.dim, tt.label)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Values(), tt.want) || !slices.Equal(got.Dims(), tt.dims) {
				t.Errorf("Sel = %v", got)
			}
			if v, ok := got.Scalar(tt.dim); !ok || v != tt.scalar {
				t.Errorf("Scalar(%q) = %v, %v; want %v", tt.dim, v, ok, tt.scalar)
			}
			if !got.HasCoord(tt.dim) {
				t.Errorf("HasCoord(%q) = false after Sel", tt.dim)
			}
		})
	}
	t.Run("keeps scalar coords through Sel and reductions", func(t *testing.T) {
		b, err := a.Sel("criteria", "loss")
		if err != nil {
			t.Fatal(err)
		}
		c, err := b.Sel("iterations", 100)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := c.Item(); err != nil || v != 3 {
			t.Errorf("Item() = %v, %v", v, err)
		}
		if got := c.ScalarNames(); !slices.Equal(got, []string{"criteria", "iterations"}) {
			t.Errorf("ScalarNames() = %v", got)
		}
		m, err := b.Max("iterations")
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := m.Scalar("criteria"); !ok || v != "loss" {
			t.Errorf("Max lost scalar coord: %v, %v", v, ok)
		}
		if a.HasCoord("x") || len(a.ScalarNames()) != 0 {
			t.Errorf("Sel changed its receiver")
		}
	})
}

func TestISel(t *testing.T) {
	a := scores(t)
	got, err := a.ISel("criteria", 2)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Values(), []float64{3, 6}) {
		t.Errorf("ISel values = %v", got.Values())
	}
	if v, ok := got.Scalar("criteria"); !ok || v != "loss" {
		t.Errorf("Scalar(criteria) = %v, %v", v, ok)
	}
}

func TestSelLabels(t *testing.T) {
	a := scores(t)
	tests := []struct {
		name   string
		labels []any
		want   []float64
	}{
		{"reorder", []any{"loss", "voi"}, []float64{3, 1, 6, 4}},
		{"one", []any{"f1"}, []float64{2, 5}},
		{"none", nil, []float64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := a.SelLabels("criteria", tt.labels...)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Values(), tt.want) {
				t.Errorf("values = %v, want %v", got.Values(), tt.want)
			}
			if c, _ := got.Coords("criteria"); !slices.Equal(c, tt.labels) {
				t.Errorf("coords = %v, want %v", c, tt.labels)
			}
			if !slices.Equal(got.Shape(), []int{2, len(tt.labels)}) {
				t.Errorf("shape = %v", got.Shape())
			}
		})
	}
	t.Run("first dim", func(t *testing.T) {
		got, err := a.SelLabels("iterations", 200)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Values(), []float64{4, 5, 6}) || !slices.Equal(got.Dims(), a.Dims()) {
			t.Errorf("got %v", got)
		}
	})
}

func TestSelectErrors(t *testing.T) {
	a := scores(t)
	tests := []struct {
		name string
		call func() (*labeled.Array, error)
		want error
		msg  []string // substrings of the message
	}{
		{"Sel unknown dim", func() (*labeled.Array, error) { return a.Sel("datasets", "x") }, labeled.ErrDim, []string{"Sel", `"datasets"`}},
		{"Sel unknown label", func() (*labeled.Array, error) { return a.Sel("criteria", "iou") }, labeled.ErrLabel, []string{"Sel", `"criteria"`, `"iou"`}},
		{"Sel label of other type", func() (*labeled.Array, error) { return a.Sel("iterations", int64(100)) }, labeled.ErrLabel, []string{"100 (int64)"}},
		{"Sel non-comparable label", func() (*labeled.Array, error) { return a.Sel("iterations", []int{1}) }, labeled.ErrLabel, []string{"not comparable"}},
		{"Sel nil label", func() (*labeled.Array, error) { return a.Sel("iterations", nil) }, labeled.ErrLabel, []string{"nil"}},
		{"ISel unknown dim", func() (*labeled.Array, error) { return a.ISel("x", 0) }, labeled.ErrDim, []string{"ISel", `"x"`}},
		{"ISel negative", func() (*labeled.Array, error) { return a.ISel("criteria", -1) }, labeled.ErrIndex, []string{"-1", `"criteria"`}},
		{"ISel past end", func() (*labeled.Array, error) { return a.ISel("criteria", 3) }, labeled.ErrIndex, []string{"index 3", "length 3"}},
		{"SelLabels unknown dim", func() (*labeled.Array, error) { return a.SelLabels("x", 1) }, labeled.ErrDim, []string{"SelLabels", `"x"`}},
		{"SelLabels unknown label", func() (*labeled.Array, error) { return a.SelLabels("criteria", "voi", "iou") }, labeled.ErrLabel, []string{`"iou"`}},
		{"SelLabels repeated label", func() (*labeled.Array, error) { return a.SelLabels("criteria", "voi", "voi") }, labeled.ErrLabel, []string{"twice"}},
		{"SelLabels non-comparable label", func() (*labeled.Array, error) { return a.SelLabels("criteria", map[int]int{}) }, labeled.ErrLabel, []string{"not comparable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.call()
			if !errors.Is(err, tt.want) || got != nil {
				t.Fatalf("got %v, %v; want error wrapping %v", got, err, tt.want)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "labeled: ") {
				t.Errorf("error %q lacks the labeled: prefix", msg)
			}
			for _, s := range tt.msg {
				if !strings.Contains(msg, s) {
					t.Errorf("error %q does not mention %q", msg, s)
				}
			}
		})
	}
}
