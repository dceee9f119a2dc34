package labeled_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/statstore/statstore/labeled"
)

func TestReduce1D(t *testing.T) {
	inf := math.Inf(1)
	tests := []struct {
		name           string
		data           []float64
		max, min, mean float64
		argMax, argMin int // -1: all NaN
	}{
		{"plain", []float64{1, 3, 2}, 3, 1, 2, 1, 0},
		{"NaN skipped", []float64{nan, 2, nan, 5}, 5, 2, 3.5, 3, 1},
		{"leading NaN", []float64{nan, -1}, -1, -1, -1, 1, 1},
		{"all NaN", []float64{nan, nan, nan}, nan, nan, nan, -1, -1},
		{"empty", []float64{}, nan, nan, nan, -1, -1},
		{"ties take the first", []float64{2, 5, 5, 1, 1}, 5, 1, 2.8, 1, 3},
		{"all equal", []float64{4, 4, 4}, 4, 4, 4, 0, 0},
		{"+Inf", []float64{1, inf, nan}, inf, 1, inf, 1, 0},
		{"-Inf", []float64{-inf, 0}, 0, -inf, -inf, 1, 0},
		{"only -Inf", []float64{nan, -inf}, -inf, -inf, -inf, 1, 1},
		{"+Inf and -Inf", []float64{inf, -inf}, inf, -inf, nan, 0, 1},
		{"single", []float64{0.5}, 0.5, 0.5, 0.5, 0, 0},
	}
	letters := []any{"a", "b", "c", "d", "e", "f"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := mustNew(t, tt.data, dim("iterations", letters[:len(tt.data)]...))
			for _, r := range []struct {
				op   string
				f    func(string) (*labeled.Array, error)
				want float64
			}{{"Max", a.Max, tt.max}, {"Min", a.Min, tt.min}, {"Mean", a.Mean, tt.mean}} {
				got, err := r.f("iterations")
				if err != nil {
					t.Fatalf("%s: %v", r.op, err)
				}
				if len(got.Dims()) != 0 {
					t.Errorf("%s kept dims %v", r.op, got.Dims())
				}
				if v, err := got.Item(); err != nil || !sameFloats([]float64{v}, []float64{r.want}) {
					t.Errorf("%s = %v, %v; want %v", r.op, v, err, r.want)
				}
			}
			for _, r := range []struct {
				op   string
				pos  func(string) (*labeled.Index, error)
				idx  func(string) (*labeled.Labels, error)
				want int
			}{{"Max", a.ArgMax, a.IdxMax, tt.argMax}, {"Min", a.ArgMin, a.IdxMin, tt.argMin}} {
				pos, err := r.pos("iterations")
				if err != nil {
					t.Fatalf("Arg%s: %v", r.op, err)
				}
				if got := pos.At(); got != r.want {
					t.Errorf("Arg%s = %d, want %d", r.op, got, r.want)
				}
				lab, err := r.idx("iterations")
				if err != nil {
					t.Fatalf("Idx%s: %v", r.op, err)
				}
				got, ok := lab.At()
				if r.want < 0 {
					if ok || got != nil || lab.Values()[0] != nil {
						t.Errorf("Idx%s = %v, %v; want missing", r.op, got, ok)
					}
				} else if !ok || got != letters[r.want] {
					t.Errorf("Idx%s = %v, %v; want %v", r.op, got, ok, letters[r.want])
				}
			}
		})
	}
}

// naive reduces axis k of a by calling f on each slice, walking with At.
func naive(a *labeled.Array, k int, f func([]float64) float64) []float64 {
	shape := a.Shape()
	rest := slices.Delete(slices.Clone(shape), k, k+1)
	size := 1
	for _, s := range rest {
		size *= s
	}
	out := make([]float64, 0, size)
	idx := make([]int, len(rest))
	for range size {
		full := slices.Insert(slices.Clone(idx), k, 0)
		var slice []float64
		for j := range shape[k] {
			full[k] = j
			slice = append(slice, a.At(full...))
		}
		out = append(out, f(slice))
		for d := len(idx) - 1; d >= 0; d-- {
			if idx[d]++; idx[d] < rest[d] {
				break
			}
			idx[d] = 0
		}
	}
	return out
}

func naiveArg(s []float64, better func(v, best float64) bool) float64 {
	at := -1
	for j, v := range s {
		if !math.IsNaN(v) && (at < 0 || better(v, s[at])) {
			at = j
		}
	}
	return float64(at)
}

func naiveMean(s []float64) float64 {
	sum, n := 0.0, 0
	for _, v := range s {
		if !math.IsNaN(v) {
			sum += v
			n++
		}
	}
	if n == 0 {
		return nan
	}
	return sum / float64(n)
}

// TestReduceND checks every reduction along every axis of a 4-D array with
// NaNs, infinities and ties against a straightforward implementation.
func TestReduceND(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dims := []labeled.Dim{seq("iterations", 7), dim("datasets", "a", "b"), seq("parameters", 3), dim("criteria", "voi", "f1", "loss", "iou")}
	data := make([]float64, 7*2*3*4)
	for i := range data {
		switch rng.IntN(10) {
		case 0:
			data[i] = nan
		case 1:
			data[i] = math.Inf(rng.IntN(2)*2 - 1)
		default:
			data[i] = float64(rng.IntN(5)) // small range: many ties
		}
	}
	// One slice along iterations that is all NaN.
	for it := range 7 {
		data[it*24] = nan
	}
	a := mustNew(t, data, dims...)
	argMax := func(s []float64) float64 { return naiveArg(s, func(v, b float64) bool { return v > b }) }
	argMin := func(s []float64) float64 { return naiveArg(s, func(v, b float64) bool { return v < b }) }
	maxOf := func(s []float64) float64 {
		if i := argMax(s); i >= 0 {
			return s[int(i)]
		}
		return nan
	}
	minOf := func(s []float64) float64 {
		if i := argMin(s); i >= 0 {
			return s[int(i)]
		}
		return nan
	}
	for k, d := range dims {
		t.Run(d.Name, func(t *testing.T) {
			wantDims := slices.Delete(a.Dims(), k, k+1)
			for _, r := range []struct {
				op   string
				f    func(string) (*labeled.Array, error)
				want func([]float64) float64
			}{{"Max", a.Max, maxOf}, {"Min", a.Min, minOf}, {"Mean", a.Mean, naiveMean}} {
				got, err := r.f(d.Name)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got.Dims(), wantDims) {
					t.Errorf("%s dims = %v, want %v", r.op, got.Dims(), wantDims)
				}
				for _, name := range wantDims {
					gc, _ := got.Coords(name)
					ac, _ := a.Coords(name)
					if !slices.Equal(gc, ac) {
						t.Errorf("%s coords of %s = %v, want %v", r.op, name, gc, ac)
					}
				}
				if want := naive(a, k, r.want); !sameFloats(got.Values(), want) {
					t.Errorf("%s values = %v, want %v", r.op, got.Values(), want)
				}
			}
			for _, r := range []struct {
				op   string
				pos  func(string) (*labeled.Index, error)
				idx  func(string) (*labeled.Labels, error)
				want func([]float64) float64
			}{{"Max", a.ArgMax, a.IdxMax, argMax}, {"Min", a.ArgMin, a.IdxMin, argMin}} {
				pos, err := r.pos(d.Name)
				if err != nil {
					t.Fatal(err)
				}
				lab, err := r.idx(d.Name)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(pos.Dims(), wantDims) || !slices.Equal(lab.Dims(), wantDims) {
					t.Errorf("Arg/Idx%s dims = %v, %v", r.op, pos.Dims(), lab.Dims())
				}
				if !slices.Equal(pos.Shape(), lab.Shape()) || pos.Len() != lab.Len() {
					t.Errorf("Arg/Idx%s shapes differ: %v, %v", r.op, pos.Shape(), lab.Shape())
				}
				want := naive(a, k, r.want)
				labels := lab.Values()
				for i, p := range pos.Values() {
					if float64(p) != want[i] {
						t.Fatalf("Arg%s[%d] = %d, want %v", r.op, i, p, want[i])
					}
					if p < 0 && labels[i] != nil || p >= 0 && labels[i] != d.Coords[p] {
						t.Fatalf("Idx%s[%d] = %v, want label at %d", r.op, i, labels[i], p)
					}
				}
			}
		})
	}
}

func TestIndexAndLabelsAccessors(t *testing.T) {
	a := mustNew(t, []float64{1, 9, nan, nan, 3, 2},
		dim("datasets", "a", "b", "c"), dim("iterations", 10, 20))
	pos, err := a.ArgMax("iterations")
	if err != nil {
		t.Fatal(err)
	}
	lab, err := a.IdxMax("iterations")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Index", func(t *testing.T) {
		if !slices.Equal(pos.Values(), []int{1, -1, 0}) || pos.At(2) != 0 || pos.Len() != 3 {
			t.Errorf("Index = %v", pos)
		}
		if c, ok := pos.Coords("datasets"); !ok || !slices.Equal(c, []any{"a", "b", "c"}) {
			t.Errorf("Coords = %v, %v", c, ok)
		}
		if _, ok := pos.Coords("iterations"); ok {
			t.Errorf("reduced dim still has coords")
		}
		if !slices.Equal(pos.Shape(), []int{3}) {
			t.Errorf("Shape = %v", pos.Shape())
		}
	})
	t.Run("Labels", func(t *testing.T) {
		if !slices.Equal(lab.Values(), []any{20, nil, 10}) || lab.Len() != 3 {
			t.Errorf("Labels = %v", lab)
		}
		if v, ok := lab.At(1); ok || v != nil {
			t.Errorf("At(1) = %v, %v; want missing", v, ok)
		}
		if v, ok := lab.At(0); !ok || v != 20 {
			t.Errorf("At(0) = %v, %v", v, ok)
		}
		if c, ok := lab.Coords("datasets"); !ok || !slices.Equal(c, []any{"a", "b", "c"}) {
			t.Errorf("Coords = %v, %v", c, ok)
		}
		if !slices.Equal(lab.Shape(), []int{3}) {
			t.Errorf("Shape = %v", lab.Shape())
		}
	})
	t.Run("At panics out of range", func(t *testing.T) {
		for name, f := range map[string]func(){
			"Index":  func() { pos.At(3) },
			"Labels": func() { lab.At(0, 0) },
		} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%s.At did not panic", name)
					}
				}()
				f()
			}()
		}
	})
}

func TestReduceErrors(t *testing.T) {
	a := scores(t)
	s := mustNew(t, []float64{1})
	tests := []struct {
		name string
		call func() (any, error)
	}{
		{"Max", func() (any, error) { return a.Max("datasets") }},
		{"Min", func() (any, error) { return a.Min("datasets") }},
		{"Mean", func() (any, error) { return a.Mean("datasets") }},
		{"ArgMax", func() (any, error) { return a.ArgMax("datasets") }},
		{"ArgMin", func() (any, error) { return a.ArgMin("datasets") }},
		{"IdxMax", func() (any, error) { return a.IdxMax("datasets") }},
		{"IdxMin", func() (any, error) { return a.IdxMin("datasets") }},
		{"Max of 0-d", func() (any, error) { return s.Max("datasets") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.call()
			if !errors.Is(err, labeled.ErrDim) {
				t.Fatalf("error = %v, want ErrDim", err)
			}
			msg := err.Error()
			op, _, _ := strings.Cut(tt.name, " ")
			if !strings.HasPrefix(msg, "labeled: "+op+": ") || !strings.Contains(msg, `"datasets"`) {
				t.Errorf("error %q does not name the operation and the dimension", msg)
			}
		})
	}
}
