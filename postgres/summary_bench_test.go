package postgres

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/statstore/statstore"
)

// Sizes of BenchmarkRunSummaries' synthetic lab: the file store's
// (filestore/summary_bench_test.go) but with 1,000 training iterations
// per run instead of 100,000 (loading 10^9 entries through PostgreSQL
// would take hours here; listing reads no history, so the length of the
// histories does not enter what is measured).
const (
	benchLabRuns        = 10_000
	benchLabIterations  = 1_000
	benchLabValidations = 20
	benchLabVariants    = 50
)

// benchLabStore fills a store with the lab through the Store's own writes
// (so the summaries are the ones the write path keeps), 8 writers at once.
func benchLabStore(b *testing.B) *Store {
	b.Helper()
	ctx := context.Background()
	s, _ := openStore(b, Options{MaxConns: 8})
	meta := statstore.Metadata{Datasets: []string{"validate", "test"}, Parameters: statstore.ThresholdParameters(0.3, 0.5, 0.7),
		EvaluationScores: statstore.InstanceCriteria()}
	variants := make([]*statstore.ValidationScores, benchLabVariants)
	for v := range variants {
		scores := &statstore.ValidationScores{Metadata: meta}
		for k := range benchLabValidations {
			it := (k + 1) * benchLabIterations / benchLabValidations
			e := statstore.ValidationIterationScores{Iteration: it - 1, Scores: make([][][]float64, 2)}
			for d := range e.Scores {
				e.Scores[d] = make([][]float64, 3)
				for p := range e.Scores[d] {
					e.Scores[d][p] = []float64{float64(v) + float64(k%7)/10 + float64(d+p)/100, 1, 2}
				}
			}
			scores.Scores = append(scores.Scores, e)
		}
		variants[v] = scores
	}
	training := benchEntries(0, benchLabIterations)
	archs := []string{"unet", "fcn", "resnet", "vit", "mlp"}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < benchLabRuns; i += 8 {
				run := fmt.Sprintf("task%d_split_%s_trainer__%d", i/50, archs[(i/10)%len(archs)], i%10)
				if err := s.StoreTrainingStats(ctx, run, training); err != nil {
					errs <- err
					return
				}
				if err := s.StoreValidationIterationScores(ctx, run, variants[i%benchLabVariants]); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		b.Fatal(err)
	}
	b.Logf("lab of %d runs loaded in %v", benchLabRuns, time.Since(start).Round(time.Second))
	return s
}

// BenchmarkRunSummaries lists a lab of 10,000 runs through the kept
// summaries, as filestore's BenchmarkRunSummaries does: all of them with
// their best values, filtered and sorted (a page of 100), and the
// leaderboard of one dataset; the baseline recomputes every summary from
// the histories (statstore.ListRunSummaries of a store without
// summaries), on 1,000 runs.
func BenchmarkRunSummaries(b *testing.B) {
	s := benchLabStore(b)
	ctx := context.Background()
	filter, err := statstore.ParseRunFilter("name~unet repetition>=2 best.validate.voi<30")
	if err != nil {
		b.Fatal(err)
	}
	sortBy, err := statstore.ParseRunSort("-best.validate.voi_split,name")
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		q    statstore.RunQuery
	}{
		{"all", statstore.RunQuery{}},
		{"filtered+sorted", statstore.RunQuery{Filter: filter, Sort: sortBy, Limit: 100}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				page, err := s.RunSummaries(ctx, tc.q)
				if err != nil {
					b.Fatal(err)
				}
				if page.Total == 0 {
					b.Fatal("no run selected")
				}
			}
			b.ReportMetric(float64(benchLabRuns), "runs")
		})
	}
	b.Run("leaderboard", func(b *testing.B) {
		for b.Loop() {
			lb, err := statstore.StoreLeaderboard(ctx, s, nil, statstore.LeaderboardOptions{Dataset: "validate"})
			if err != nil {
				b.Fatal(err)
			}
			if len(lb.Boards) == 0 {
				b.Fatal("empty leaderboard")
			}
		}
	})
}
