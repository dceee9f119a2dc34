package filestore

import (
	"context"
	"fmt"
	"testing"

	"github.com/statstore/statstore"
)

// benchSizes are the history lengths the benchmarks sweep.
var benchSizes = []struct {
	name string
	n    int
}{{"n=1e3", 1_000}, {"n=1e4", 10_000}, {"n=1e5", 100_000}, {"n=1e6", 1_000_000}}

// benchStore returns a store in a new directory holding a run "r" of n
// iterations written in checkpoints of 1,000, as a trainer writes them.
func benchStore(b *testing.B, n int) string {
	b.Helper()
	dir := b.TempDir()
	s, err := Open(dir, Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	storeHistory(b, s, "r", history(0, 1, n), 1000)
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkAppend appends 1,000 iterations (one checkpoint, fsynced) to a
// run of N iterations.
func BenchmarkAppend(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			dir := benchStore(b, sz.n)
			c := &countingFS{}
			s, err := Open(dir, Options{fs: c})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			// The whole future history, so each call's plan slices the last 1,000.
			all := history(0, 1, sz.n+1000*(b.N+1))
			ctx := context.Background()
			b.SetBytes(1000 * trainingEntrySize)
			b.ResetTimer()
			for i := range b.N {
				end := sz.n + 1000*(i+1)
				if err := s.StoreTrainingStats(ctx, "r", &statstore.TrainingStats{IterationStats: all[end-1000 : end]}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(c.syncs)/float64(b.N), "fsyncs/op")
			b.ReportMetric(float64(c.readBytes)/float64(b.N), "readB/op")
			b.ReportMetric(1000*float64(b.N)/b.Elapsed().Seconds(), "iterations/s")
		})
	}
}

// BenchmarkRetrieve reads a whole history of N iterations.
func BenchmarkRetrieve(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			dir := benchStore(b, sz.n)
			s, err := Open(dir, Options{ReadOnly: true})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			b.SetBytes(int64(sz.n) * trainingEntrySize)
			b.ResetTimer()
			for range b.N {
				st, err := s.RetrieveTrainingStats(context.Background(), "r")
				if err != nil || st.Len() != sz.n {
					b.Fatalf("got %d entries (%v), want %d", st.Len(), err, sz.n)
				}
			}
			b.ReportMetric(float64(sz.n)*float64(b.N)/b.Elapsed().Seconds(), "iterations/s")
		})
	}
}

// BenchmarkSubsample takes a 1,000-point stride subsample of N iterations,
// from a freshly opened store (cold: open, read the tail, seek) and from a
// store that has read the run before (warm).
func BenchmarkSubsample(b *testing.B) {
	for _, temp := range []string{"cold", "warm"} {
		for _, sz := range benchSizes {
			b.Run(fmt.Sprintf("%s/%s", temp, sz.name), func(b *testing.B) {
				dir := benchStore(b, sz.n)
				opts := statstore.SubsampleOptions{MaxPoints: 1000}
				warm, err := Open(dir, Options{ReadOnly: true})
				if err != nil {
					b.Fatal(err)
				}
				defer warm.Close()
				for range 2 { // the first read of a file reads, the second maps it
					if _, err := warm.SubsampleTraining(context.Background(), "r", opts); err != nil {
						b.Fatal(err)
					}
				}
				b.ResetTimer()
				for range b.N {
					s := warm
					if temp == "cold" {
						if s, err = Open(dir, Options{ReadOnly: true}); err != nil {
							b.Fatal(err)
						}
					}
					pts, err := s.SubsampleTraining(context.Background(), "r", opts)
					if err != nil || len(pts) != min(1000, sz.n) {
						b.Fatalf("got %d points (%v), want %d", len(pts), err, min(1000, sz.n))
					}
					if temp == "cold" {
						_ = s.Close()
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "subsamples/s")
			})
		}
	}
}
