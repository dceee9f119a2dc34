package labeled_test

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/statstore/statstore/labeled"
)

// fuzzValues are the element values the fuzzer picks from: NaN, infinities,
// signed zeros, ties and ordinary numbers.
var fuzzValues = []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1), 1, 1, -2, 0.5, 1e300, -1e-300, 3}

// FuzzNew builds arrays of random shapes (sometimes with bad lengths, names
// or labels) and runs every operation along every dimension, checking that
// nothing panics, that errors wrap a sentinel and that results agree.
func FuzzNew(f *testing.F) {
	f.Add([]byte{3, 2}, []byte{0, 1, 2, 3, 4, 5}, int8(0))
	f.Add([]byte{7, 2, 5, 6}, []byte{0, 0, 7, 5}, int8(0))
	f.Add([]byte{0, 3}, []byte{}, int8(0))
	f.Add([]byte{}, []byte{6}, int8(0))
	f.Add([]byte{2, 0x82}, []byte{1}, int8(0))
	f.Add([]byte{0x44, 0x23}, []byte{9, 0}, int8(1))
	f.Fuzz(func(t *testing.T, shape, raw []byte, extra int8) {
		if len(shape) > 5 {
			shape = shape[:5]
		}
		var dims []labeled.Dim
		size := 1
		for i, b := range shape {
			n := int(b & 0x07) // at most 7^5 elements
			d := labeled.Dim{Name: fmt.Sprintf("d%d", i)}
			if b&0x80 != 0 {
				d.Name = "d0" // may duplicate a name
			}
			for j := range n {
				switch {
				case b&0x40 != 0:
					d.Coords = append(d.Coords, fmt.Sprintf("s%d", j))
				case b&0x20 != 0:
					d.Coords = append(d.Coords, j/2) // duplicate labels
				default:
					d.Coords = append(d.Coords, j)
				}
			}
			dims = append(dims, d)
			size *= n
		}
		size += int(extra) % 3
		data := make([]float64, max(size, 0))
		for i := range data {
			if len(raw) > 0 {
				data[i] = fuzzValues[int(raw[i%len(raw)])%len(fuzzValues)]
			}
		}
		a, err := labeled.New(data, dims...)
		if err != nil {
			if !errors.Is(err, labeled.ErrShape) && !errors.Is(err, labeled.ErrDim) && !errors.Is(err, labeled.ErrLabel) {
				t.Fatalf("New error %v wraps no sentinel", err)
			}
			return
		}
		_ = a.String()
		if _, err := a.Max("missing"); !errors.Is(err, labeled.ErrDim) {
			t.Fatalf("Max(missing) error = %v", err)
		}
		for _, d := range a.Dims() {
			checkReductions(t, a, d)
			coords, _ := a.Coords(d)
			if len(coords) > 0 {
				s, err := a.Sel(d, coords[len(coords)-1])
				if err != nil {
					t.Fatal(err)
				}
				i, err := a.ISel(d, len(coords)-1)
				if err != nil {
					t.Fatal(err)
				}
				if !sameFloats(s.Values(), i.Values()) {
					t.Fatalf("Sel and ISel differ along %s", d)
				}
			}
			rev := slices.Clone(coords)
			slices.Reverse(rev)
			if _, err := a.SelLabels(d, rev...); err != nil {
				t.Fatal(err)
			}
		}
		st, err := labeled.Stack(labeled.Dim{Name: "new", Coords: []any{"x", "y"}}, a, a)
		if err != nil {
			t.Fatal(err)
		}
		if st.Len() != 2*a.Len() {
			t.Fatalf("Stack Len = %d, want %d", st.Len(), 2*a.Len())
		}
		checkReductions(t, st, "new")
	})
}

// checkReductions runs every reduction of a along d and checks that they
// agree with each other.
func checkReductions(t *testing.T, a *labeled.Array, d string) {
	t.Helper()
	mx, err1 := a.Max(d)
	mn, err2 := a.Min(d)
	me, err3 := a.Mean(d)
	amx, err4 := a.ArgMax(d)
	amn, err5 := a.ArgMin(d)
	imx, err6 := a.IdxMax(d)
	imn, err7 := a.IdxMin(d)
	if err := errors.Join(err1, err2, err3, err4, err5, err6, err7); err != nil {
		t.Fatalf("reducing %s: %v", d, err)
	}
	coords, _ := a.Coords(d)
	mxv, mnv, mev := mx.Values(), mn.Values(), me.Values()
	amxv, amnv := amx.Values(), amn.Values()
	imxv, imnv := imx.Values(), imn.Values()
	for r := range mxv {
		if math.IsNaN(mxv[r]) != (amxv[r] < 0) || math.IsNaN(mnv[r]) != (amnv[r] < 0) || (amxv[r] < 0) != (amnv[r] < 0) {
			t.Fatalf("%s[%d]: max %v at %d, min %v at %d", d, r, mxv[r], amxv[r], mnv[r], amnv[r])
		}
		if amxv[r] < 0 {
			if !math.IsNaN(mev[r]) || imxv[r] != nil || imnv[r] != nil {
				t.Fatalf("%s[%d]: all NaN but mean %v, labels %v %v", d, r, mev[r], imxv[r], imnv[r])
			}
			continue
		}
		if mnv[r] > mxv[r] {
			t.Fatalf("%s[%d]: min %v > max %v", d, r, mnv[r], mxv[r])
		}
		if imxv[r] != coords[amxv[r]] || imnv[r] != coords[amnv[r]] {
			t.Fatalf("%s[%d]: labels %v %v do not match positions %d %d", d, r, imxv[r], imnv[r], amxv[r], amnv[r])
		}
		if m := mev[r]; !math.IsInf(m, 0) && !math.IsNaN(m) {
			tol := 1e-9 * max(math.Abs(mnv[r]), math.Abs(mxv[r]), 1)
			if m < mnv[r]-tol || m > mxv[r]+tol {
				t.Fatalf("%s[%d]: mean %v outside [%v, %v]", d, r, m, mnv[r], mxv[r])
			}
		}
	}
}
