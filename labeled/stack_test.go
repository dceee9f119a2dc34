package labeled_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/statstore/statstore/labeled"
)

func TestStack(t *testing.T) {
	x := mustNew(t, []float64{1, 2, 3, 4, 5, 6}, dim("iterations", 100, 200), dim("criteria", "voi", "f1", "loss"))
	y := mustNew(t, []float64{10, 20, 30, 40, 50, 60}, dim("iterations", 100, 200), dim("criteria", "voi", "f1", "loss"))

	t.Run("new last dim", func(t *testing.T) {
		s, err := labeled.Stack(dim("datasets", "train", "val"), x, y)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(s.Dims(), []string{"iterations", "criteria", "datasets"}) || !slices.Equal(s.Shape(), []int{2, 3, 2}) {
			t.Fatalf("dims %v shape %v", s.Dims(), s.Shape())
		}
		want := []float64{1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 6, 60}
		if !slices.Equal(s.Values(), want) {
			t.Errorf("values = %v, want %v", s.Values(), want)
		}
		back, err := s.Sel("datasets", "val")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(back.Values(), y.Values()) {
			t.Errorf("Sel after Stack = %v", back.Values())
		}
	})
	t.Run("Sel then Stack drops the scalar coord of the new dim", func(t *testing.T) {
		p0, _ := x.Sel("iterations", 100)
		p1, _ := x.Sel("iterations", 200)
		s, err := labeled.Stack(dim("iterations", 100, 200), p0, p1)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := s.Scalar("iterations"); ok || len(s.ScalarNames()) != 0 {
			t.Errorf("scalar coords %v kept", s.ScalarNames())
		}
		if !slices.Equal(s.Dims(), []string{"criteria", "iterations"}) || !slices.Equal(s.Values(), []float64{1, 4, 2, 5, 3, 6}) {
			t.Errorf("got %v", s)
		}
	})
	t.Run("common scalar coords kept, differing dropped", func(t *testing.T) {
		p0, _ := x.Sel("criteria", "voi")
		p0, _ = p0.Sel("iterations", 100)
		p1, _ := y.Sel("criteria", "voi")
		p1, _ = p1.Sel("iterations", 200)
		s, err := labeled.Stack(dim("datasets", "train", "val"), p0, p1)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.ScalarNames(); !slices.Equal(got, []string{"criteria"}) {
			t.Errorf("ScalarNames() = %v, want [criteria]", got)
		}
		if !slices.Equal(s.Values(), []float64{1, 40}) {
			t.Errorf("values = %v", s.Values())
		}
	})
	t.Run("0-d parts", func(t *testing.T) {
		s, err := labeled.Stack(seq("i", 3), mustNew(t, []float64{1}), mustNew(t, []float64{2}), mustNew(t, []float64{3}))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(s.Values(), []float64{1, 2, 3}) || !slices.Equal(s.Dims(), []string{"i"}) {
			t.Errorf("got %v", s)
		}
	})
	t.Run("coords are copied", func(t *testing.T) {
		d := dim("datasets", "train", "val")
		s, err := labeled.Stack(d, x, y)
		if err != nil {
			t.Fatal(err)
		}
		d.Coords[0] = "changed"
		if c, _ := s.Coords("datasets"); c[0] != "train" {
			t.Errorf("Stack shares dim.Coords with the caller")
		}
	})
}

func TestStackLabels(t *testing.T) {
	x := mustNew(t, []float64{1, 9, nan, nan}, dim("criteria", "voi", "f1"), dim("iterations", 10, 20))
	y := mustNew(t, []float64{5, 4, 3, 8}, dim("criteria", "voi", "f1"), dim("iterations", 10, 20))
	lx, _ := x.IdxMax("iterations")
	ly, _ := y.IdxMax("iterations")
	s, err := labeled.StackLabels(dim("datasets", "a", "b"), lx, ly)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Dims(), []string{"criteria", "datasets"}) || !slices.Equal(s.Shape(), []int{2, 2}) {
		t.Fatalf("dims %v shape %v", s.Dims(), s.Shape())
	}
	if want := []any{20, 10, nil, 20}; !slices.Equal(s.Values(), want) {
		t.Errorf("values = %v, want %v", s.Values(), want)
	}
	if _, ok := s.At(1, 0); ok {
		t.Errorf("missing label became present")
	}
}

func TestStackErrors(t *testing.T) {
	x := mustNew(t, []float64{1, 2}, dim("criteria", "voi", "f1"))
	other := mustNew(t, []float64{1, 2}, dim("criteria", "voi", "iou"))
	longer := mustNew(t, []float64{1, 2, 3}, dim("criteria", "voi", "f1", "iou"))
	renamed := mustNew(t, []float64{1, 2}, dim("metric", "voi", "f1"))
	lx, _ := x.IdxMax("criteria")
	l2 := mustNew(t, []float64{1, 2, 3, 4}, seq("a", 2), seq("b", 2))
	ll, _ := l2.IdxMax("b")

	tests := []struct {
		name string
		call func() error
		want error
		msg  string
	}{
		{"fewer parts than labels", func() error { _, err := labeled.Stack(seq("d", 3), x, x); return err }, labeled.ErrShape, "2 parts for 3 labels"},
		{"more parts than labels", func() error { _, err := labeled.Stack(seq("d", 1), x, x); return err }, labeled.ErrShape, "2 parts for 1 labels"},
		{"no parts", func() error { _, err := labeled.Stack(dim("d")); return err }, labeled.ErrShape, "no parts"},
		{"nil part", func() error { _, err := labeled.Stack(seq("d", 2), x, nil); return err }, labeled.ErrShape, "part 1 is nil"},
		{"different length", func() error { _, err := labeled.Stack(seq("d", 2), x, longer); return err }, labeled.ErrShape, "length 3, want 2"},
		{"different dim names", func() error { _, err := labeled.Stack(seq("d", 2), x, renamed); return err }, labeled.ErrShape, "metric"},
		{"different coords", func() error { _, err := labeled.Stack(seq("d", 2), x, other); return err }, labeled.ErrLabel, `"iou"`},
		{"existing dim", func() error { _, err := labeled.Stack(seq("criteria", 2), x, x); return err }, labeled.ErrDim, `"criteria"`},
		{"empty dim name", func() error { _, err := labeled.Stack(seq("", 2), x, x); return err }, labeled.ErrDim, "Stack: new dimension 0 has an empty name"},
		{"duplicate label", func() error { _, err := labeled.Stack(dim("d", 1, 1), x, x); return err }, labeled.ErrLabel, "duplicate label"},
		{"bad label", func() error { _, err := labeled.Stack(dim("d", 1, []int{}), x, x); return err }, labeled.ErrLabel, "not comparable"},
		{"labels: nil part", func() error { _, err := labeled.StackLabels(seq("d", 1), nil); return err }, labeled.ErrShape, "StackLabels: part 0 is nil"},
		{"labels: count", func() error { _, err := labeled.StackLabels(seq("d", 2), lx); return err }, labeled.ErrShape, "1 parts for 2 labels"},
		{"labels: shapes", func() error { _, err := labeled.StackLabels(seq("d", 2), lx, ll); return err }, labeled.ErrShape, "dimensions"},
		{"labels: existing dim", func() error { _, err := labeled.StackLabels(seq("a", 1), ll); return err }, labeled.ErrDim, `"a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "labeled: ") || !strings.Contains(msg, tt.msg) {
				t.Errorf("error %q: want labeled: prefix and %q", msg, tt.msg)
			}
		})
	}
}
