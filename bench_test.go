package statstore_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/statstore/statstore"
)

// benchScores returns a realistic large run: checkpoints × 2 datasets × 9
// thresholds × the 21 binary segmentation criteria, with some NaN.
func benchScores(b *testing.B, checkpoints int) *statstore.ValidationScores {
	b.Helper()
	thresholds := make([]float64, 9)
	for i := range thresholds {
		thresholds[i] = 0.1 * float64(i+1)
	}
	v, err := statstore.NewValidationScores(statstore.Metadata{
		Datasets:         []string{"jrc_hela-2", "jrc_macrophage-2"},
		Parameters:       statstore.ThresholdParameters(thresholds...),
		EvaluationScores: statstore.BinarySegmentationCriteria(),
	})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range checkpoints {
		s := statstore.ValidationIterationScores{Iteration: (i + 1) * 1000, Scores: filled(2, 9, 21, func(int, int, int) float64 {
			if rng.IntN(50) == 0 {
				return math.NaN()
			}
			return rng.Float64()
		})}
		v.Scores = append(v.Scores, s)
	}
	if err := v.Validate(); err != nil {
		b.Fatal(err)
	}
	return v
}

// BenchmarkBestReport: the question users open the store for, on 1,000
// checkpoints × 2 datasets × 9 parameter sets × 21 criteria (378,000 scores).
func BenchmarkBestReport(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("checkpoints=%d", n), func(b *testing.B) {
			v := benchScores(b, n)
			b.ReportAllocs()
			for b.Loop() {
				r := v.BestReport()
				if len(r.OverDatasets) != 21 {
					b.Fatalf("%d lines", len(r.OverDatasets))
				}
			}
			b.ReportMetric(float64(n*2*9*21)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mscores/s")
		})
	}
}

// BenchmarkGetBest: DaCapo's way to the same answer, through the labeled
// array, on 1,000 checkpoints × 2 × 9 × 21.
func BenchmarkGetBest(b *testing.B) {
	v := benchScores(b, 1000)
	b.Run("ToLabeled", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.ToLabeled(); err != nil {
				b.Fatal(err)
			}
		}
	})
	data, err := v.ToLabeled()
	if err != nil {
		b.Fatal(err)
	}
	for _, dim := range []string{statstore.DimIterations, statstore.DimParameters} {
		b.Run("along="+dim, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := v.GetBest(data, dim); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("one dataset along iterations", func(b *testing.B) {
		sel, err := data.Sel(statstore.DimDatasets, "jrc_hela-2")
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := v.GetBest(sel, statstore.DimIterations); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPlanTraining: the decision every StoreTrainingStats makes, for
// a history of n entries of which the stored half is already known.
func BenchmarkPlanTraining(b *testing.B) {
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		entries := make([]statstore.TrainingIterationStats, n)
		for i := range entries {
			entries[i] = statstore.TrainingIterationStats{Iteration: i, Loss: 1 / float64(i+1), Time: 0.1}
		}
		stats := &statstore.TrainingStats{IterationStats: entries}
		for _, c := range []struct {
			name        string
			storedUntil int
			want        statstore.WriteAction
		}{{"append", n / 2, statstore.WriteAppend}, {"replace", n + 10, statstore.WriteReplace}} {
			b.Run(fmt.Sprintf("n=%.0e/%s", float64(n), c.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					plan, err := statstore.PlanTraining(c.storedUntil, stats)
					if err != nil || plan.Action != c.want {
						b.Fatalf("plan %v, %v", plan.Action, err)
					}
				}
				b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N)/float64(n), "ns/entry")
			})
		}
	}
}

// BenchmarkSubsample: the reference plot subsample over in-memory
// histories of n entries, 1,000 points.
func BenchmarkSubsample(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		entries := make([]statstore.TrainingIterationStats, n)
		for i := range entries {
			entries[i] = statstore.TrainingIterationStats{Iteration: 10 * i, Loss: 1/float64(i+1) + 0.01*math.Sin(float64(i)), Time: 0.1}
		}
		for _, mode := range []statstore.SubsampleMode{statstore.SubsampleStride, statstore.SubsampleMinMax} {
			b.Run(fmt.Sprintf("n=%.0e/%s", float64(n), mode), func(b *testing.B) {
				opts := statstore.SubsampleOptions{MaxPoints: 1000, Mode: mode}
				var points int
				b.ReportAllocs()
				for b.Loop() {
					out, err := statstore.Subsample(entries, opts)
					if err != nil {
						b.Fatal(err)
					}
					points = len(out)
				}
				b.ReportMetric(float64(points), "points")
			})
		}
	}
}
