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
// The runs are written 100,000 entries per call and their levels
// (migration 0012) built by one untimed query each, in bulk.
func BenchmarkTrainingBuckets(b *testing.B) {
	ctx := context.Background()
	s, url := openStore(b, Options{})
	sizes := []int{10_000, 1_000_000, 10_000_000}
	for _, n := range sizes {
		for from := 0; from < n; from += 100_000 {
			if err := s.StoreTrainingStats(ctx, fmt.Sprintf("n%d", n), benchEntries(from, min(100_000, n-from))); err != nil {
				b.Fatal(err)
			}
		}
	}
	benchBuckets(b, s, url, sizes)
}

// BenchmarkTrainingBucketsFollowing is BenchmarkTrainingBuckets at 1e4
// and 1e7 for a run written as a trainer with a dashboard open writes
// it: 10,000 entries per call, 1,000 buckets asked after each, so its
// levels are extended by many small transactions, each level's rows
// spread over the table's pages.
func BenchmarkTrainingBucketsFollowing(b *testing.B) {
	ctx := context.Background()
	s, url := openStore(b, Options{})
	sizes := []int{10_000, 10_000_000}
	for _, n := range sizes {
		run := fmt.Sprintf("n%d", n)
		for from := 0; from < n; from += 10_000 {
			if err := s.StoreTrainingStats(ctx, run, benchEntries(from, min(10_000, n-from))); err != nil {
				b.Fatal(err)
			}
			if _, _, err := s.TrainingBuckets(ctx, run, statstore.BucketOptions{Buckets: 1000}); err != nil {
				b.Fatal(err)
			}
		}
	}
	benchBuckets(b, s, url, sizes)
}

// benchBuckets times 1,000 buckets of runs "n<size>" (sizes[0] the
// baseline), warm (one Store) and cold (a Store opened and connected for
// each query, outside the timing, so nothing of the run is known to it
// and no statement is prepared on its connection; the server's cache is
// warm in both).
func benchBuckets(b *testing.B, s *Store, url string, sizes []int) {
	ctx := context.Background()
	ask := func(s *Store, n int) {
		bs, _, err := s.TrainingBuckets(ctx, fmt.Sprintf("n%d", n), statstore.BucketOptions{Buckets: 1000})
		if err != nil || len(bs) == 0 || len(bs) > 1000 {
			b.Fatalf("got %d buckets (%v), want 1 to 1000", len(bs), err)
		}
	}
	for _, n := range sizes {
		ask(s, n)
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
						if err := q.pool.Ping(ctx); err != nil {
							b.Fatal(err)
						}
						b.StartTimer()
					}
					start := time.Now()
					ask(q, n)
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
				if i > 0 {
					b.ReportMetric(took[i].Seconds()/took[0].Seconds(), fmt.Sprintf("x-%.0e/%.0e", float64(n), float64(sizes[0])))
				}
			}
		})
	}
}
