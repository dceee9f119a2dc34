package filestore

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/storetest"
)

// history returns n training entries at iterations start, start+step, ...
// with losses that hold NaN and infinities among ordinary values.
func history(start, step, n int) []statstore.TrainingIterationStats {
	out := make([]statstore.TrainingIterationStats, n)
	for i := range out {
		it := start + i*step
		loss := 1 / float64(it+1)
		switch it % 97 {
		case 13:
			loss = math.NaN()
		case 29:
			loss = math.Inf(1)
		}
		out[i] = statstore.TrainingIterationStats{Iteration: it, Loss: loss, Time: float64(it) * 0.01}
	}
	return out
}

// storeHistory stores entries in calls of `per` entries.
func storeHistory(tb testing.TB, s *Store, run string, entries []statstore.TrainingIterationStats, per int) {
	tb.Helper()
	for i := 0; i < len(entries); i += per {
		stats := &statstore.TrainingStats{IterationStats: entries[:min(len(entries), i+per)]}
		if err := s.StoreTrainingStats(context.Background(), run, stats); err != nil {
			tb.Fatalf("StoreTrainingStats(%d entries): %v", min(len(entries), i+per), err)
		}
	}
}

func sameHistory(a, b []statstore.TrainingIterationStats) bool {
	return (&statstore.TrainingStats{IterationStats: a}).Equal(&statstore.TrainingStats{IterationStats: b})
}

func trainingFile(dir, run string) string { return filepath.Join(dir, kindTraining.dirName(), run) }

func validationFile(dir, run string) string { return filepath.Join(dir, kindValidation.dirName(), run) }

func fileSize(tb testing.TB, path string) int64 {
	tb.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return fi.Size()
}

// scores returns validation scores for iters with the suite's metadata.
func scores(iters ...int) *statstore.ValidationScores {
	return storetest.Scores(storetest.Metadata(), iters...)
}
