package storetest

import (
	"github.com/statstore/statstore"
)

// aliasingTests check that a caller can change neither stored data through
// the values it passed to a Store call nor through values it got back.
func aliasingTests() []test {
	return []test{
		{"Training", func(e *env) {
			in := Training(Iters(0, 10, 1)...)
			e.storeTraining("run", in)
			in.IterationStats[0].Loss = 99
			in.IterationStats[9].Iteration = 1000
			e.wantTraining("run", Entries(0, Iters(0, 10, 1)...))

			got, err := e.s.RetrieveTrainingStats(e.ctx, "run")
			e.ok("RetrieveTrainingStats", err)
			got.IterationStats[1].Loss = 99
			r, err := e.s.RetrieveTrainingRange(e.ctx, "run", statstore.IterationRange{From: 2})
			e.ok("RetrieveTrainingRange", err)
			r.IterationStats[0].Time = 99
			sub, err := e.s.SubsampleTraining(e.ctx, "run", statstore.SubsampleOptions{MaxPoints: 5})
			e.ok("SubsampleTraining", err)
			for i := range sub {
				sub[i].Loss = 99
			}
			e.wantTraining("run", Entries(0, Iters(0, 10, 1)...))
			// An append must not reuse the caller's backing array either.
			in2 := Training(Iters(0, 20, 1)...)
			e.storeTraining("run", in2)
			in2.IterationStats[15].Loss = 99
			e.wantTraining("run", Entries(0, Iters(0, 20, 1)...))
		}},
		{"Validation", func(e *env) {
			m := Metadata()
			in := Scores(m, 0, 10)
			e.storeScores("run", in)
			in.Scores[0].Scores[0][0][0] = 99
			in.Scores[1].Iteration = 11
			in.Datasets[0] = "changed"
			in.Parameters[0].Values[0].Value = 0.99
			in.EvaluationScores[0].Name = "changed"
			e.wantScores("run", Metadata(), entries(m, 0, 0, 10))

			got, err := e.s.RetrieveValidationScores(e.ctx, "run")
			e.ok("RetrieveValidationScores", err)
			got.Scores[0].Scores[1][1][1] = 99
			got.Datasets[1] = "changed"
			got.Parameters[1].ID = 99
			got.EvaluationScores[1].HigherIsBetter = !got.EvaluationScores[1].HigherIsBetter
			list, err := e.s.RetrieveValidationIterationScores(e.ctx, "run")
			e.ok("RetrieveValidationIterationScores", err)
			list[1].Scores[0][0][0] = 99
			e.wantScores("run", Metadata(), entries(m, 0, 0, 10))

			// bounded returns a fresh metadata each time, sharing nothing.
			bounded := func() statstore.Metadata {
				return statstore.Metadata{Datasets: []string{"d"}, Parameters: []statstore.ParameterSet{
					{ID: 0, Values: statstore.ParameterValues{{Name: "context", Value: []any{int64(32), int64(32)}}}},
				}, EvaluationScores: []statstore.Criterion{{Name: "c", Bounds: statstore.Bounds{Lower: statstore.Bound(0), Upper: statstore.Bound(1)}}}}
			}
			in2 := Scores(bounded(), 0)
			e.storeScores("bounded", in2)
			*in2.EvaluationScores[0].Bounds.Upper = 5
			in2.Parameters[0].Values[0].Value.([]any)[0] = int64(64)
			want := Scores(bounded(), 0)
			e.wantScores("bounded", want.Metadata, want.Scores)
		}},
	}
}
