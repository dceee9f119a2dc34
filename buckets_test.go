package statstore_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	statstore "github.com/statstore/statstore"
	"github.com/statstore/statstore/memstore"
)

func TestBucketWidth(t *testing.T) {
	for _, c := range []struct{ first, last, n, want int }{
		{0, 9, 10, 1},
		{0, 10, 10, 2},
		{0, 9_999_999, 1000, 16384},
		{0, 9_999, 1000, 16},
		{5, 5, 1, 1},
		{7, 8, 1, 16}, // 7 and 8 share a bucket only from width 16
		{0, 100, 0, 1},
	} {
		got := statstore.BucketWidth(c.first, c.last, c.n)
		if got != c.want {
			t.Errorf("BucketWidth(%d, %d, %d) = %d, want %d", c.first, c.last, c.n, got, c.want)
		}
		if c.n >= 1 && got > 1 && c.last/(got/2)-c.first/(got/2)+1 <= c.n {
			t.Errorf("BucketWidth(%d, %d, %d) = %d is not the smallest", c.first, c.last, c.n, got)
		}
	}
}

// spikyHistory has gaps, NaN and ±Inf losses, ties and spikes.
func spikyHistory(r *rand.Rand, n int) []statstore.TrainingIterationStats {
	out := make([]statstore.TrainingIterationStats, 0, n)
	it := r.IntN(50)
	for range n {
		l := math.Round(r.Float64()*20) / 10
		switch r.IntN(40) {
		case 0:
			l = math.NaN()
		case 1:
			l = math.Inf(1)
		case 2:
			l = math.Inf(-1)
		case 3:
			l = 1000 * r.Float64() // a spike
		}
		out = append(out, statstore.TrainingIterationStats{Iteration: it, Loss: l, Time: float64(it)})
		it += 1 + r.IntN(3)*r.IntN(2)
	}
	return out
}

// TestBucketsProperties: every bucket holds what a scan of its entries
// gives; merged blocks equal the wider bucket (what a store's pyramid
// relies on); every finite extreme of the range is among the points.
func TestBucketsProperties(t *testing.T) {
	seed := uint64(rand.Int64())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	for trial := range 200 {
		h := spikyHistory(r, 1+r.IntN(3000))
		n := 1 + r.IntN(300)
		buckets, w, err := statstore.BucketTraining(h, statstore.BucketOptions{Buckets: n})
		if err != nil {
			t.Fatal(err)
		}
		if len(buckets) > n {
			t.Fatalf("trial %d: %d buckets, asked for at most %d", trial, len(buckets), n)
		}
		total := 0
		for _, b := range buckets {
			total += b.Count
			if b.To-b.From != w || b.From%w != 0 || b.First.Iteration < b.From || b.Last.Iteration >= b.To {
				t.Fatalf("trial %d: bucket %+v not aligned to width %d", trial, b, w)
			}
		}
		if total != len(h) {
			t.Fatalf("trial %d: buckets count %d entries, history has %d", trial, total, len(h))
		}
		// Blocks of width w/4 merged in order equal the buckets of width w.
		if w >= 4 {
			blocks := statstore.BucketsOfWidth(h, w/4)
			var merged []statstore.TrainingBucket
			for _, b := range blocks {
				from := b.From / w * w
				if len(merged) > 0 && merged[len(merged)-1].From == from {
					merged[len(merged)-1] = statstore.MergeBuckets(merged[len(merged)-1], b)
					continue
				}
				b.From, b.To = from, from+w
				merged = append(merged, b)
			}
			for i := range merged {
				merged[i].To = merged[i].From + w
			}
			if !bucketsEqual(merged, buckets) {
				t.Fatalf("trial %d: merged blocks of width %d differ from buckets of width %d", trial, w/4, w)
			}
		}
		// The highest finite loss (a spike) is drawn.
		hi := math.Inf(-1)
		for _, e := range h {
			if !math.IsNaN(e.Loss) && !math.IsInf(e.Loss, 0) {
				hi = math.Max(hi, e.Loss)
			}
		}
		found := math.IsInf(hi, -1)
		for _, b := range buckets {
			for _, p := range b.Points() {
				if p.Loss == hi {
					found = true
				}
			}
		}
		if !found {
			t.Fatalf("trial %d: the highest loss %v is in no bucket's points", trial, hi)
		}
	}
}

// bucketsEqual compares buckets, NaN losses equal to NaN.
func bucketsEqual(a, b []statstore.TrainingBucket) bool {
	return fmt.Sprintf("%v", a) == fmt.Sprintf("%v", b)
}

// TestBucketsOfARunningRun: a history and its prefix share every bucket
// but the prefix's last, at the same width.
func TestBucketsOfARunningRun(t *testing.T) {
	h := spikyHistory(rand.New(rand.NewPCG(3, 4)), 5000)
	full := statstore.BucketsOfWidth(h, 64)
	part := statstore.BucketsOfWidth(h[:3001], 64)
	if !reflect.DeepEqual(fmt.Sprint(part[:len(part)-1]), fmt.Sprint(full[:len(part)-1])) {
		t.Error("a prefix's finished buckets differ from the full history's")
	}
}

func TestBucketOptionsInvalid(t *testing.T) {
	for _, o := range []statstore.BucketOptions{{Buckets: -1}, {Buckets: statstore.MaxBuckets + 1}, {Buckets: 5, Range: statstore.IterationRange{From: 9, To: 3}}} {
		if _, _, err := statstore.BucketTraining(nil, o); err == nil {
			t.Errorf("BucketTraining(%+v) accepted", o)
		}
	}
}

func ExampleRetrieveTrainingBuckets() {
	s := memstore.New(nil)
	stats := &statstore.TrainingStats{}
	for i := range 1000 {
		loss := 1 / float64(i+1)
		if i == 500 {
			loss = 7 // a spike a stride subsample would miss
		}
		if i == 700 {
			loss = math.NaN()
		}
		stats.IterationStats = append(stats.IterationStats, statstore.TrainingIterationStats{Iteration: i, Loss: loss, Time: 0.1})
	}
	ctx := context.Background()
	_ = s.StoreTrainingStats(ctx, "run", stats)
	buckets, width, _ := statstore.RetrieveTrainingBuckets(ctx, s, "run", statstore.BucketOptions{Buckets: 4})
	fmt.Println("width", width)
	for _, b := range buckets {
		fmt.Printf("[%d, %d) max %.3g at %d, first non-finite %d\n", b.From, b.To, b.Max.Loss, b.Max.Iteration, b.FirstNonFinite)
	}
	// Output:
	// width 256
	// [0, 256) max 1 at 0, first non-finite -1
	// [256, 512) max 7 at 500, first non-finite -1
	// [512, 768) max 0.00195 at 512, first non-finite 700
	// [768, 1024) max 0.0013 at 768, first non-finite -1
}
