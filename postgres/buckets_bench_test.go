package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/statstore/statstore"
)

// BenchmarkTrainingBuckets asks for 1,000 buckets of runs of 1e4, 1e6 and
// 1e7 entries in the same loop and reports each one's time and the
// ratios x-1e6/1e4 and x-1e7/1e4 (issue 13, point 3: within 2 at 1e7).
// warm: one Store; cold: a Store opened and connected for each query
// (outside the timing), so nothing of the run is known to it and no
// statement is prepared on its connection. The server's own cache
// is warm in both. At 1e4 the buckets (16 iterations) are read from the
// blocks of entries; at 1e6 and 1e7 from the levels (migration 0012),
// which the untimed first query builds.
func BenchmarkTrainingBuckets(b *testing.B) {
	ctx := context.Background()
	s, url := openStore(b, Options{})
	sizes := []int{10_000, 1_000_000, 10_000_000}
	for _, n := range sizes {
		run := fmt.Sprintf("n%d", n)
		for from := 0; from < n; from += 100_000 {
			if err := s.StoreTrainingStats(ctx, run, benchEntries(from, min(100_000, n-from))); err != nil {
				b.Fatal(err)
			}
		}
	}
	ask := func(s *Store, run string) {
		bs, _, err := s.TrainingBuckets(ctx, run, statstore.BucketOptions{Buckets: 1000})
		if err != nil || len(bs) == 0 || len(bs) > 1000 {
			b.Fatalf("got %d buckets (%v), want 1 to 1000", len(bs), err)
		}
	}
	for _, n := range sizes {
		ask(s, fmt.Sprintf("n%d", n))
	}
	for _, cold := range []bool{false, true} {
		name := "warm"
		if cold {
			name = "cold"
		}
		b.Run(name, func(b *testing.B) {
			took := make([]time.Duration, len(sizes))
			for range b.N {
				for i, n := range sizes {
					q := s
					if cold {
						b.StopTimer()
						var err error
						if q, err = Open(ctx, url, Options{}); err != nil {
							b.Fatal(err)
						}
						if err := q.pool.Ping(ctx); err != nil { // connected, nothing prepared
							b.Fatal(err)
						}
						b.StartTimer()
					}
					start := time.Now()
					ask(q, fmt.Sprintf("n%d", n))
					took[i] += time.Since(start)
					if cold {
						b.StopTimer()
						q.Close()
						b.StartTimer()
					}
				}
			}
			for i, n := range sizes {
				b.ReportMetric(float64(took[i].Nanoseconds())/float64(b.N), fmt.Sprintf("ns-%.0e/op", float64(n)))
			}
			b.ReportMetric(took[1].Seconds()/took[0].Seconds(), "x-1e6/1e4")
			b.ReportMetric(took[2].Seconds()/took[0].Seconds(), "x-1e7/1e4")
		})
	}
}
