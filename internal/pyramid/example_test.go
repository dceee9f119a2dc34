package pyramid_test

import (
	"fmt"
	"math"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/pyramid"
)

// levels answers pyramid.Query from a Mem and the history it was built
// from.
type levels struct {
	m *pyramid.Mem
	h []statstore.TrainingIterationStats
}

func (l levels) Blocks(level, from, to int) ([]statstore.TrainingBucket, error) {
	return l.m.Blocks(level, from, to), nil
}

func (l levels) Entries(from, to int) ([]statstore.TrainingIterationStats, error) {
	var out []statstore.TrainingIterationStats
	for _, e := range l.h {
		if e.Iteration >= from && e.Iteration < to {
			out = append(out, e)
		}
	}
	return out, nil
}

func Example() {
	var h []statstore.TrainingIterationStats
	for it := range 100_000 {
		loss := 1 / float64(it+1)
		switch it {
		case 31_337:
			loss = 50 // a spike
		case 77_777:
			loss = math.NaN()
		}
		h = append(h, statstore.TrainingIterationStats{Iteration: it, Loss: loss})
	}
	m := pyramid.NewMem()
	m.Add(h[:60_000]) // appended in two parts
	m.Add(h[60_000:])
	w := statstore.BucketWidth(0, 99_999, 4)
	fmt.Println("width", w, "pieces", pyramid.Plan(10, 100_000, w))
	buckets, _ := pyramid.Query(levels{m, h}, 0, 100_000, w)
	for _, b := range buckets {
		fmt.Printf("[%d, %d): %d entries, max %v at %d, %d NaN\n", b.From, b.To, b.Count, b.Max.Loss, b.Max.Iteration, b.NaN)
	}
	// Output:
	// width 32768 pieces [{-1 10 64} {0 64 256} {1 256 1024} {2 1024 4096} {3 4096 16384} {4 16384 98304} {2 98304 99328} {1 99328 99840} {0 99840 99968} {-1 99968 100000}]
	// [0, 32768): 32768 entries, max 50 at 31337, 0 NaN
	// [32768, 65536): 32768 entries, max 3.0516646830846227e-05 at 32768, 0 NaN
	// [65536, 98304): 32768 entries, max 1.5258556235409006e-05 at 65536, 1 NaN
	// [98304, 131072): 1696 entries, max 1.0172422562433243e-05 at 98304, 0 NaN
}
