package storetest

import (
	"math"

	"github.com/statstore/statstore"
)

// specialFloats are values a store must keep bit-exactly: NaNs with
// different payloads and signs, infinities, signed zeros, subnormals and
// extremes.
func specialFloats() []float64 {
	return []float64{
		math.NaN(),
		math.Float64frombits(0x7ff8000000000001), // quiet NaN with a payload
		math.Float64frombits(0xfff8000000000000), // negative quiet NaN
		math.Float64frombits(0x7ff4000000000000), // signalling NaN
		math.Float64frombits(0x7fffffffffffffff), // all-ones payload
		math.Inf(1),
		math.Inf(-1),
		0,
		math.Copysign(0, -1),
		math.SmallestNonzeroFloat64,
		-math.SmallestNonzeroFloat64,
		math.MaxFloat64,
		-math.MaxFloat64,
		0.1,
		1.0 / 3,
		-123456.789e-300,
	}
}

// floatTests check that losses, times and scores keep their exact bits.
func floatTests() []test {
	return []test{
		{"Training", func(e *env) {
			fs := specialFloats()
			stats := &statstore.TrainingStats{}
			for i, f := range fs {
				// Every value as a loss and, shifted, as a time.
				stats.IterationStats = append(stats.IterationStats,
					statstore.TrainingIterationStats{Iteration: i, Loss: f, Time: fs[(i+1)%len(fs)]})
			}
			want := append([]statstore.TrainingIterationStats(nil), stats.IterationStats...)
			e.storeTraining("run", stats)
			e.wantTraining("run", want)
			// Appended entries too, and through every read path.
			more := &statstore.TrainingStats{}
			for i, f := range fs {
				more.IterationStats = append(more.IterationStats,
					statstore.TrainingIterationStats{Iteration: len(fs) + i, Loss: fs[len(fs)-1-i], Time: f})
			}
			e.storeTraining("run", more)
			want = append(want, more.IterationStats...)
			e.wantTraining("run", want)
			r, err := e.s.RetrieveTrainingRange(e.ctx, "run", statstore.IterationRange{From: 1, To: len(want) - 1})
			e.ok("RetrieveTrainingRange", err)
			if r == nil {
				e.t.Fatal("RetrieveTrainingRange: got nil stats, want non-nil")
			}
			if d := diffTraining(r.IterationStats, want[1:len(want)-1]); d != "" {
				e.t.Errorf("RetrieveTrainingRange: %s", d)
			}
			e.checkSubsample("run", want, statstore.SubsampleOptions{MaxPoints: len(want)})
			e.checkSubsample("run", want, statstore.SubsampleOptions{MaxPoints: 5, Mode: statstore.SubsampleMinMax})
		}},
		{"Validation", func(e *env) {
			fs := specialFloats()
			meta := statstore.GenericMetadata(2, 2, 4) // 16 scores per entry, one per special value
			var want []statstore.ValidationIterationScores
			for it := range 3 {
				s := IterationScores(meta, 0, it)
				k := it
				for d := range s.Scores {
					for p := range s.Scores[d] {
						for c := range s.Scores[d][p] {
							s.Scores[d][p][c] = fs[k%len(fs)]
							k++
						}
					}
				}
				want = append(want, s)
			}
			e.storeScores("run", &statstore.ValidationScores{Metadata: meta, Scores: want[:2]})
			e.storeScores("run", &statstore.ValidationScores{Metadata: meta, Scores: want[2:]})
			e.wantScores("run", meta, want)
		}},
	}
}
