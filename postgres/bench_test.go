package postgres

import (
	"context"
	"fmt"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/filestore"
)

// Benchmarks of the PostgreSQL store against the file store, in the same
// run (see the PostgreSQL section of docs/benchmarks.md). The test server runs with
// fsync=off, so the file store runs with NoSync: both hand their data to the
// operating system without forcing it to disk. For each history length n,
// a run is first filled with n entries; then
//
//	Append     appends 1,000 entries per call (one checkpoint of a trainer),
//	Retrieve   reads the whole history,
//	Subsample  picks 1,000 points in stride mode.

const benchChunk = 1000

// benchStore is a store under benchmark with two runs of n entries: "run",
// which is read, and "append", which the append benchmark extends.
type benchStore struct {
	name  string
	store statstore.StatsStore
	next  int // the next iteration to append to "append"
}

func benchEntries(from, n int) *statstore.TrainingStats {
	st := &statstore.TrainingStats{IterationStats: make([]statstore.TrainingIterationStats, n)}
	for i := range st.IterationStats {
		it := from + i
		st.IterationStats[i] = statstore.TrainingIterationStats{Iteration: it, Loss: 1 / float64(it+1), Time: 0.1}
	}
	return st
}

// benchStores opens both stores with runs "run" and "append" of n entries.
func benchStores(b *testing.B, n int) []*benchStore {
	b.Helper()
	ctx := context.Background()
	pg, _ := openStore(b, Options{})
	fs, err := filestore.Open(b.TempDir(), filestore.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { fs.Close() })
	out := []*benchStore{{name: "filestore", store: fs}, {name: "postgres", store: pg}}
	for _, s := range out {
		for _, run := range []string{"run", "append"} {
			for from := 0; from < n; from += 100_000 {
				if err := s.store.StoreTrainingStats(ctx, run, benchEntries(from, min(100_000, n-from))); err != nil {
					b.Fatal(err)
				}
			}
		}
		s.next = n
	}
	return out
}

func BenchmarkStores(b *testing.B) {
	ctx := context.Background()
	for _, size := range []struct {
		name string
		n    int
	}{{"1e5", 100_000}, {"1e6", 1_000_000}} {
		n := size.n
		stores := benchStores(b, n)
		for _, s := range stores {
			prefix := fmt.Sprintf("n=%s/store=%s", size.name, s.name)
			b.Run(prefix+"/op=append", func(b *testing.B) {
				b.SetBytes(benchChunk * 24)
				for b.Loop() {
					if err := s.store.StoreTrainingStats(ctx, "append", benchEntries(s.next, benchChunk)); err != nil {
						b.Fatal(err)
					}
					s.next += benchChunk
				}
				b.ReportMetric(float64(b.N*benchChunk)/b.Elapsed().Seconds(), "entries/s")
			})
			b.Run(prefix+"/op=retrieve", func(b *testing.B) {
				b.SetBytes(int64(n) * 24)
				for b.Loop() {
					st, err := s.store.RetrieveTrainingStats(ctx, "run")
					if err != nil || st.Len() != n {
						b.Fatalf("retrieve: %d entries, %v", st.Len(), err)
					}
				}
				b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "entries/s")
			})
			b.Run(prefix+"/op=subsample", func(b *testing.B) {
				for b.Loop() {
					pts, err := s.store.SubsampleTraining(ctx, "run", statstore.SubsampleOptions{MaxPoints: 1000})
					if err != nil || len(pts) != 1000 {
						b.Fatalf("subsample: %d points, %v", len(pts), err)
					}
				}
			})
		}
	}
}
