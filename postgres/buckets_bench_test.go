package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/statstore/statstore"
)

// BenchmarkTrainingBuckets asks for 1,000 buckets of a run of 1e4 and of
// one of 1e6 entries in the same loop (one Store; the server's cache
// warm). x-large/small is the ratio the file store keeps under 2 at 1e7
// (issue 13, point 3); here the cost grows with the blocks read (one row
// per 320 entries), not with the entries.
func BenchmarkTrainingBuckets(b *testing.B) {
	ctx := context.Background()
	s, _ := openStore(b, Options{})
	for _, n := range []int{10_000, 1_000_000} {
		run := fmt.Sprintf("n%d", n)
		for from := 0; from < n; from += 100_000 {
			if err := s.StoreTrainingStats(ctx, run, benchEntries(from, min(100_000, n-from))); err != nil {
				b.Fatal(err)
			}
		}
	}
	ask := func(run string) {
		bs, _, err := s.TrainingBuckets(ctx, run, statstore.BucketOptions{Buckets: 1000})
		if err != nil || len(bs) == 0 || len(bs) > 1000 {
			b.Fatalf("got %d buckets (%v), want 1 to 1000", len(bs), err)
		}
	}
	ask("n10000")
	ask("n1000000")
	var tSmall, tLarge time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		ask("n10000")
		mid := time.Now()
		ask("n1000000")
		tSmall, tLarge = tSmall+mid.Sub(start), tLarge+time.Since(mid)
	}
	b.ReportMetric(float64(tSmall.Nanoseconds())/float64(b.N), "ns-small/op")
	b.ReportMetric(float64(tLarge.Nanoseconds())/float64(b.N), "ns-large/op")
	b.ReportMetric(tLarge.Seconds()/tSmall.Seconds(), "x-large/small")
}
