package dacapo

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

// TestValidationPastTrainingIsSuperseded: DaCapo resumed from checkpoint
// 2000 and trained to 2500 overwrites its training file but not yet its
// validation file, which still holds the old branch's 3000. Read in place,
// 3000 is superseded (with a warning) and best leaves it out; 2000 and a
// checkpoint at the training's very end (2500) are not; a run without
// training stats marks nothing.
func TestValidationPastTrainingIsSuperseded(t *testing.T) {
	ctx := context.Background()
	entry := func(it int, v float64) statstore.ValidationIterationScores {
		return statstore.ValidationIterationScores{Iteration: it, Scores: [][][]float64{{{v}}}}
	}
	validation := encodeValidation("r", []statstore.ValidationIterationScores{
		entry(1000, 0.1), entry(2000, 0.2), entry(2500, 0.25), entry(3000, 0.9),
	})
	dir := writeRunFile(t, ValidationDir, validation)
	read := func() ([]int, string) {
		t.Helper()
		var log strings.Builder
		s := mustOpen(t, dir, Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
		got, err := s.RetrieveValidationScores(ctx, "r")
		if err != nil {
			t.Fatal(err)
		}
		var marked []int
		for _, e := range got.Scores {
			if e.Superseded {
				marked = append(marked, e.Iteration)
			}
		}
		return marked, log.String()
	}
	if marked, _ := read(); len(marked) != 0 {
		t.Errorf("without training stats: superseded %v, want none", marked)
	}

	stats := &statstore.TrainingStats{}
	for it := range 2500 {
		if err := stats.AddIterationStats(statstore.TrainingIterationStats{Iteration: it, Loss: 1, Time: 0.1}); err != nil {
			t.Fatal(err)
		}
	}
	training := encodeTraining("r", stats.IterationStats)
	if err := os.WriteFile(filepath.Join(dir, TrainingDir, "r"), training, 0o644); err != nil {
		t.Fatal(err)
	}
	marked, log := read()
	if len(marked) != 1 || marked[0] != 3000 {
		t.Errorf("training until 2500: superseded %v, want [3000]", marked)
	}
	if !strings.Contains(log, "level=WARN") || !strings.Contains(log, "superseded=[3000]") {
		t.Errorf("log %q, want a warning naming the superseded 3000", log)
	}
	meta := statstore.Metadata{Datasets: []string{"d"}, Parameters: statstore.GenericParameters(1),
		EvaluationScores: []statstore.Criterion{{Name: "score", HigherIsBetter: true}}}
	scores, err := mustOpen(t, dir, Options{Logger: slog.New(slog.DiscardHandler), Metadata: &meta}).RetrieveValidationScores(ctx, "r")
	if err != nil {
		t.Fatal(err)
	}
	report := scores.BestReport()
	if len(report.PerDataset) == 0 || report.PerDataset[0].Iteration != 2500 || report.Superseded != 1 {
		t.Errorf("best: %+v, want iteration 2500 with 1 superseded left out", report)
	}
}
