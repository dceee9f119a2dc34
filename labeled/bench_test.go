package labeled_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/statstore/statstore/labeled"
)

// validationScores builds an iterations × datasets × parameters × criteria
// array like DaCapo's validation scores, with some NaN.
func validationScores(b *testing.B, iterations int) *labeled.Array {
	b.Helper()
	rng := rand.New(rand.NewPCG(7, 11))
	dims := []labeled.Dim{seq("iterations", iterations), seq("datasets", 2), seq("parameters", 9), seq("criteria", 21)}
	data := make([]float64, iterations*2*9*21)
	for i := range data {
		data[i] = rng.Float64()
		if rng.IntN(20) == 0 {
			data[i] = nan
		}
	}
	return mustNew(b, data, dims...)
}

// BenchmarkReduce sweeps the number of iterations of a 4-D array and
// reduces along the first dimension ("iterations", strided) and the last
// ("criteria", contiguous).
func BenchmarkReduce(b *testing.B) {
	for _, n := range []int{10, 100, 1000, 10000} {
		a := validationScores(b, n)
		ops := []struct {
			name string
			f    func(string) error
		}{
			{"Max", func(d string) error { _, err := a.Max(d); return err }},
			{"Mean", func(d string) error { _, err := a.Mean(d); return err }},
			{"ArgMax", func(d string) error { _, err := a.ArgMax(d); return err }},
			{"IdxMax", func(d string) error { _, err := a.IdxMax(d); return err }},
		}
		for _, dim := range []string{"iterations", "criteria"} {
			for _, op := range ops {
				b.Run(fmt.Sprintf("%s/%s/n=%d", op.name, dim, n), func(b *testing.B) {
					b.SetBytes(int64(a.Len() * 8))
					b.ReportAllocs()
					for b.Loop() {
						if err := op.f(dim); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

// BenchmarkSel sweeps the size of the array and selects one criterion, then
// one label of the first dimension.
func BenchmarkSel(b *testing.B) {
	for _, n := range []int{10, 100, 1000, 10000} {
		a := validationScores(b, n)
		b.Run(fmt.Sprintf("criteria/n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.Sel("criteria", 20); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("iterations/n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.Sel("iterations", n-1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStack sweeps the number of parts stacked along a new dimension.
func BenchmarkStack(b *testing.B) {
	part := validationScores(b, 100)
	for _, n := range []int{2, 10, 50} {
		parts := make([]*labeled.Array, n)
		for i := range parts {
			parts[i] = part
		}
		d := seq("runs", n)
		b.Run(fmt.Sprintf("parts=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := labeled.Stack(d, parts...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
