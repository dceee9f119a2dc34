package ui

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/memstore"
)

// Runs of the fixture store.
const (
	bigRun      = "unet_1m"       // 1,000,000 iterations, validated every 10,000
	smallRun    = "unet_small"    // 20,000 iterations, validated every 2,000
	trainingRun = "baseline_loss" // training only
	bigRunIters = 1_000_000
)

// fixtureDatasets and fixtureThresholds give the validation metadata.
var (
	fixtureDatasets   = []string{"crop_a", "crop_b"}
	fixtureThresholds = []float64{0.3, 0.5, 0.7}
)

// newFixtureStore returns a memstore holding a 1,000,000-iteration run with
// a validation history (binary segmentation preset), a small run and a
// training-only run.
func newFixtureStore(tb testing.TB) statstore.StatsStore {
	tb.Helper()
	ctx := context.Background()
	s := memstore.New(nil)
	tb.Cleanup(func() { s.Close() })
	for _, r := range []struct {
		run        string
		iters      int
		validEvery int
		seed       uint64
	}{
		{bigRun, bigRunIters, 10_000, 1},
		{smallRun, 20_000, 2_000, 2},
		{trainingRun, 5_000, 0, 3},
	} {
		if err := s.StoreTrainingStats(ctx, r.run, fixtureTraining(tb, 0, r.iters, r.iters, r.seed)); err != nil {
			tb.Fatalf("store training of %s: %v", r.run, err)
		}
		if r.validEvery == 0 {
			continue
		}
		if err := s.StoreValidationIterationScores(ctx, r.run, fixtureValidation(tb, 0, r.iters, r.validEvery, float64(r.iters), r.seed)); err != nil {
			tb.Fatalf("store validation of %s: %v", r.run, err)
		}
	}
	return s
}

// fixtureTraining returns iterations [from, to) of a decaying, noisy loss
// curve with rare spikes and a NaN, for a run of scale iterations.
func fixtureTraining(tb testing.TB, from, to, scale int, seed uint64) *statstore.TrainingStats {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, uint64(from)))
	entries := make([]statstore.TrainingIterationStats, 0, to-from)
	for i := from; i < to; i++ {
		p := float64(i) / float64(scale)
		loss := 0.04 + 0.9*math.Exp(-6*p) + 0.05*math.Exp(-3*p)*rng.NormFloat64()*0.5
		if rng.IntN(20_000) == 0 {
			loss *= 4 // a spike
		}
		if i == from+(to-from)/3 {
			loss = math.NaN() // a diverged step
		}
		entries = append(entries, statstore.TrainingIterationStats{Iteration: i, Loss: loss, Time: 0.2 + 0.05*rng.Float64()})
	}
	return &statstore.TrainingStats{IterationStats: entries}
}

// fixtureMetadata is the validation metadata of the fixture runs.
func fixtureMetadata() statstore.Metadata {
	return statstore.Metadata{
		Datasets:         fixtureDatasets,
		Parameters:       statstore.ThresholdParameters(fixtureThresholds...),
		EvaluationScores: statstore.BinarySegmentationCriteria(),
	}
}

// fixtureValidation returns validation scores for checkpoints from, from +
// every, … below to: scores improve with training, each criterion in its
// own direction, with noise, and one NaN per checkpoint.
func fixtureValidation(tb testing.TB, from, to, every int, scale float64, seed uint64) *statstore.ValidationScores {
	tb.Helper()
	meta := fixtureMetadata()
	v, err := statstore.NewValidationScores(meta)
	if err != nil {
		tb.Fatalf("NewValidationScores: %v", err)
	}
	rng := rand.New(rand.NewPCG(seed, uint64(from)+7))
	for it := from; it < to; it += every {
		progress := 1 - math.Exp(-4*float64(it)/scale)
		scores := make([][][]float64, len(meta.Datasets))
		for d := range scores {
			scores[d] = make([][]float64, len(meta.Parameters))
			for p, t := range fixtureThresholds {
				row := make([]float64, len(meta.EvaluationScores))
				for c, crit := range meta.EvaluationScores {
					q := progress*(0.85-0.1*float64(d)-0.4*(t-0.5)*(t-0.5)) + 0.03*rng.NormFloat64()
					q = min(max(q, 0), 1)
					switch {
					case crit.Bounds.Upper == nil: // a distance: lower is better
						row[c] = 40 * (1 - q)
					case crit.HigherIsBetter:
						row[c] = q
					default:
						row[c] = 1 - q
					}
				}
				row[(it/every+p)%len(row)] = math.NaN()
				scores[d][p] = row
			}
		}
		if err := v.AddIterationScores(statstore.ValidationIterationScores{Iteration: it, Scores: scores}); err != nil {
			tb.Fatalf("AddIterationScores(%d): %v", it, err)
		}
	}
	return v
}

// resumedRun is trained to 3456 and validated at 0, 1000, 2000 and 3000
// (the best checkpoint for every criterion), then resumed from checkpoint
// 2000: the resumed training overwrote the weights of 3000, whose
// validation is superseded.
const resumedRun = "unet_resumed"

// storeResumedRun stores resumedRun in s, as DaCapo's resume_training would:
// train, validate, then store a training history that departs from the
// stored one at iteration 2000.
func storeResumedRun(tb testing.TB, s statstore.StatsStore) {
	tb.Helper()
	ctx := context.Background()
	const scale = 20_000
	trained := fixtureTraining(tb, 0, 3456, scale, 4)
	if err := s.StoreTrainingStats(ctx, resumedRun, trained); err != nil {
		tb.Fatalf("store training of %s: %v", resumedRun, err)
	}
	v := fixtureValidation(tb, 0, 3000, 1000, scale, 4)
	// 3000 nearly converged: far better than 2000 for every criterion.
	v.Scores = append(v.Scores, fixtureValidation(tb, 3000, 3001, 1, 300, 4).Scores...)
	if err := s.StoreValidationIterationScores(ctx, resumedRun, v); err != nil {
		tb.Fatalf("store validation of %s: %v", resumedRun, err)
	}
	resumed := &statstore.TrainingStats{IterationStats: slices.Concat(
		trained.IterationStats[:2000], fixtureTraining(tb, 2000, 2500, scale, 5).IterationStats)}
	if err := s.StoreTrainingStats(ctx, resumedRun, resumed); err != nil {
		tb.Fatalf("store resumed training of %s: %v", resumedRun, err)
	}
	got, err := s.RetrieveValidationIterationScores(ctx, resumedRun)
	if err != nil {
		tb.Fatalf("retrieve validation of %s: %v", resumedRun, err)
	}
	var marks []string
	for _, e := range got {
		marks = append(marks, fmt.Sprintf("%d:%t", e.Iteration, e.Superseded))
	}
	if want := "0:false 1000:false 2000:false 3000:true"; strings.Join(marks, " ") != want {
		tb.Fatalf("fixture %s: superseded marks %v, want %s", resumedRun, marks, want)
	}
}
