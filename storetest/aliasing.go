package storetest

import (
	"github.com/statstore/statstore"
)

// scribbleTraining overwrites every entry of s.
func scribbleTraining(s []statstore.TrainingIterationStats) {
	for i := range s {
		s[i].Iteration += 1000
		s[i].Loss, s[i].Time = 99, 99
	}
}

// scribbleEntries overwrites every value of every entry.
func scribbleEntries(entries []statstore.ValidationIterationScores) {
	for i := range entries {
		entries[i].Iteration += 1000
		for _, d := range entries[i].Scores {
			for _, p := range d {
				for k := range p {
					p[k] = 99
				}
			}
		}
	}
}

// scribbleMetadata overwrites every part of m that a shallow copy would
// share: names, ids, parameter values (lists included) and bounds.
func scribbleMetadata(m statstore.Metadata) {
	for i := range m.Datasets {
		m.Datasets[i] = "changed"
	}
	for i := range m.Parameters {
		m.Parameters[i].ID += 1000
		m.Parameters[i].Name = "changed"
		for j := range m.Parameters[i].Values {
			v := &m.Parameters[i].Values[j]
			if list, ok := v.Value.([]any); ok {
				for k := range list {
					list[k] = int64(99)
				}
			} else {
				v.Value = "changed"
			}
		}
	}
	for i := range m.EvaluationScores {
		c := &m.EvaluationScores[i]
		c.Name = "changed"
		c.HigherIsBetter = !c.HigherIsBetter
		if c.Bounds.Lower != nil {
			*c.Bounds.Lower = 99
		}
		if c.Bounds.Upper != nil {
			*c.Bounds.Upper = 99
		}
	}
}

// aliasMetadata returns fresh metadata (sharing nothing with other calls)
// with list-valued parameters and bounds: every kind of reference a
// shallow copy would share.
func aliasMetadata() statstore.Metadata {
	return statstore.Metadata{
		Datasets: []string{"d1", "d2"},
		Parameters: []statstore.ParameterSet{
			{ID: 0, Values: statstore.ParameterValues{{Name: "bias", Value: 0.5}, {Name: "context", Value: []any{int64(32), int64(32)}}}},
			{ID: 1, Values: statstore.ParameterValues{{Name: "bias", Value: 0.25}, {Name: "context", Value: []any{int64(16), int64(16)}}}},
		},
		EvaluationScores: []statstore.Criterion{
			{Name: "c", Bounds: statstore.Bounds{Lower: statstore.Bound(0), Upper: statstore.Bound(1)}},
			{Name: "d", HigherIsBetter: true, Bounds: statstore.Bounds{Lower: statstore.Bound(-1)}},
		},
	}
}

// aliasingTests check that a caller can change neither stored data through
// the values it passed to a Store call nor through values it got back.
func aliasingTests() []test {
	return []test{
		{"Training", func(e *env) {
			want := Entries(0, Iters(0, 20, 1)...)
			in := Training(Iters(0, 10, 1)...)
			e.storeTraining("run", in)
			scribbleTraining(in.IterationStats)
			e.wantTraining("run", want[:10])

			// An append must not keep the caller's backing array either.
			in = Training(Iters(0, 20, 1)...)
			e.storeTraining("run", in)
			scribbleTraining(in.IterationStats)
			e.wantTraining("run", want)

			scribbleTraining(e.training("run"))
			r, err := e.s.RetrieveTrainingRange(e.ctx, "run", statstore.IterationRange{From: 2})
			e.ok("RetrieveTrainingRange", err)
			if r != nil {
				scribbleTraining(r.IterationStats)
			}
			sub, err := e.s.SubsampleTraining(e.ctx, "run", statstore.SubsampleOptions{MaxPoints: 5})
			e.ok("SubsampleTraining", err)
			scribbleTraining(sub)
			e.wantTraining("run", want)
		}},
		{"Validation", func(e *env) {
			in := Scores(aliasMetadata(), 0, 10)
			e.storeScores("run", in)
			scribbleEntries(in.Scores)
			scribbleMetadata(in.Metadata)
			want := Scores(aliasMetadata(), 0, 10, 20)
			e.wantScores("run", want.Metadata, want.Scores[:2])

			in = Scores(aliasMetadata(), 0, 10, 20)
			e.storeScores("run", in)
			scribbleEntries(in.Scores)
			scribbleMetadata(in.Metadata)
			e.wantScores("run", want.Metadata, want.Scores)

			got := e.validation("run")
			scribbleEntries(got.Scores)
			scribbleMetadata(got.Metadata)
			list, err := e.s.RetrieveValidationIterationScores(e.ctx, "run")
			e.ok("RetrieveValidationIterationScores", err)
			scribbleEntries(list)
			e.wantScores("run", want.Metadata, want.Scores)
		}},
	}
}
