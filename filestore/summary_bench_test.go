package filestore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/statstore/statstore"
)

// Sizes of BenchmarkRunSummaries' synthetic lab.
const (
	benchRuns        = 10_000
	benchIterations  = 100_000
	benchValidations = 20
	benchVariants    = 50 // distinct validation files, hard-linked across runs
)

// benchLab returns a store directory holding benchRuns runs of
// benchIterations training entries and benchValidations validations each,
// with current summaries, generated once and cached in the temporary
// directory. The runs' files are written directly: one training file
// (written by the store) and benchVariants validation files, hard-linked
// under every run's name, and each run's summary file written with the
// stamps of its links, so generating takes seconds, not hours.
func benchLab(b *testing.B) string {
	b.Helper()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("statstore-bench-lab-%d-%d-%d-v2", benchRuns, benchIterations, benchValidations))
	if _, err := os.Stat(filepath.Join(dir, "complete")); err == nil {
		return dir
	}
	if err := os.RemoveAll(dir); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	src := filepath.Join(dir, "src")
	s, err := Open(src, Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	meta := statstore.Metadata{Datasets: []string{"validate", "test"}, Parameters: statstore.ThresholdParameters(0.3, 0.5, 0.7),
		EvaluationScores: statstore.InstanceCriteria()}
	if err := s.StoreTrainingStats(ctx, "template", &statstore.TrainingStats{IterationStats: history(0, 1, benchIterations)}); err != nil {
		b.Fatal(err)
	}
	sums := make([]statstore.RunSummary, benchVariants)
	for v := range benchVariants {
		scores := &statstore.ValidationScores{Metadata: meta}
		for k := range benchValidations {
			it := (k + 1) * benchIterations / benchValidations
			e := statstore.ValidationIterationScores{Iteration: it - 1, Scores: make([][][]float64, 2)}
			for d := range e.Scores {
				e.Scores[d] = make([][]float64, 3)
				for p := range e.Scores[d] {
					e.Scores[d][p] = []float64{float64(v) + float64(k%7)/10 + float64(d+p)/100, 1, 2}
				}
			}
			scores.Scores = append(scores.Scores, e)
		}
		run := fmt.Sprintf("v%d", v)
		if err := s.StoreTrainingStats(ctx, run, &statstore.TrainingStats{IterationStats: history(0, 1, 1)}); err != nil {
			b.Fatal(err)
		}
		if err := s.StoreValidationIterationScores(ctx, run, scores); err != nil {
			b.Fatal(err)
		}
		train, err := s.RetrieveTrainingStats(ctx, "template")
		if err != nil {
			b.Fatal(err)
		}
		sums[v] = statstore.Summarize("", train, scores)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	for _, d := range []string{kindTraining.dirName(), kindValidation.dirName(), summariesDir, locksDir, tmpDir} {
		if err := os.MkdirAll(filepath.Join(dir, d), dirPerm); err != nil {
			b.Fatal(err)
		}
	}
	lab, err := Open(dir, Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer lab.Close()
	archs := []string{"unet", "fcn", "resnet", "vit", "mlp"}
	for i := range benchRuns {
		run := fmt.Sprintf("task%d_split_%s_trainer__%d", i/50, archs[(i/10)%len(archs)], i%10)
		v := i % benchVariants
		if err := os.Link(filepath.Join(src, kindTraining.dirName(), "template"), lab.path(kindTraining, run)); err != nil {
			b.Fatal(err)
		}
		if err := os.Link(filepath.Join(src, kindValidation.dirName(), fmt.Sprintf("v%d", v)), lab.path(kindValidation, run)); err != nil {
			b.Fatal(err)
		}
		lab.mu.Lock()
		lab.sums = nil // keep memory flat: the summaries are in their files
		lab.mu.Unlock()
		if err := lab.writeSummary(run, sums[v]); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := lab.RunSummaries(ctx, statstore.RunQuery{}); err != nil { // writes the summary index
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "complete"), nil, filePerm); err != nil {
		b.Fatal(err)
	}
	return dir
}

// forget empties s's caches of summaries and metadata, as in a Store
// just opened.
func (s *Store) forget() {
	s.mu.Lock()
	s.sums, s.sumIndexed, s.metas = nil, false, nil
	s.mu.Unlock()
}

// BenchmarkRunSummaries lists a lab of 10,000 runs (100,000 iterations and
// 20 validations each) through the kept summaries: all of them with their
// best values, filtered and sorted, and the leaderboard; cold (a Store just
// opened: the summary index read) and warm (the Store's cache: two stats
// per run).
func BenchmarkRunSummaries(b *testing.B) {
	dir := benchLab(b)
	ctx := context.Background()
	filter, err := statstore.ParseRunFilter("name~unet repetition>=2 best.validate.voi<30")
	if err != nil {
		b.Fatal(err)
	}
	sortBy, err := statstore.ParseRunSort("-best.validate.voi_split,name")
	if err != nil {
		b.Fatal(err)
	}
	queries := []struct {
		name string
		q    statstore.RunQuery
	}{
		{"all", statstore.RunQuery{}},
		{"filtered+sorted", statstore.RunQuery{Filter: filter, Sort: sortBy, Limit: 100}},
	}
	b.Run("baseline/ListRuns", func(b *testing.B) {
		// What listing did before summaries: every run's training tail and
		// validation file read.
		s, err := Open(dir, Options{ReadOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		for b.Loop() {
			if _, err := s.ListRuns(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, warm := range []bool{false, true} {
		for _, tc := range queries {
			b.Run(fmt.Sprintf("%s/warm=%v", tc.name, warm), func(b *testing.B) {
				s, err := Open(dir, Options{ReadOnly: true})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				if _, err := s.RunSummaries(ctx, tc.q); err != nil { // warms the cache (b.Loop times what follows)
					b.Fatal(err)
				}
				for b.Loop() {
					if !warm {
						s.forget()
					}
					page, err := s.RunSummaries(ctx, tc.q)
					if err != nil {
						b.Fatal(err)
					}
					if page.Total == 0 {
						b.Fatal("no run selected")
					}
				}
				b.ReportMetric(float64(benchRuns), "runs")
			})
		}
		b.Run(fmt.Sprintf("leaderboard/warm=%v", warm), func(b *testing.B) {
			s, err := Open(dir, Options{ReadOnly: true})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if _, err := s.RunSummaries(ctx, statstore.RunQuery{}); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if !warm {
					s.forget()
				}
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
}
