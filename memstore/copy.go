package memstore

import "github.com/statstore/statstore"

// copyScores returns a deep copy of entries, so that neither the caller nor
// the store can change the other's arrays.
func copyScores(entries []statstore.ValidationIterationScores) []statstore.ValidationIterationScores {
	out := make([]statstore.ValidationIterationScores, len(entries))
	for i, e := range entries {
		out[i] = statstore.ValidationIterationScores{Iteration: e.Iteration, Scores: copyArray(e.Scores), Superseded: e.Superseded}
	}
	return out
}

func copyArray(a [][][]float64) [][][]float64 {
	if a == nil {
		return nil
	}
	out := make([][][]float64, len(a))
	for i, d := range a {
		out[i] = make([][]float64, len(d))
		for j, p := range d {
			out[i][j] = append([]float64(nil), p...)
		}
	}
	return out
}

// copyMetadata returns a deep copy of m: slices, parameter values (lists
// included) and criterion bounds.
func copyMetadata(m statstore.Metadata) statstore.Metadata {
	out := statstore.Metadata{Datasets: append([]string(nil), m.Datasets...)}
	if m.Parameters != nil {
		out.Parameters = make([]statstore.ParameterSet, len(m.Parameters))
		for i, p := range m.Parameters {
			p.Values = copyValues(p.Values)
			out.Parameters[i] = p
		}
	}
	if m.EvaluationScores != nil {
		out.EvaluationScores = make([]statstore.Criterion, len(m.EvaluationScores))
		for i, c := range m.EvaluationScores {
			c.Bounds = statstore.Bounds{Lower: copyFloat(c.Bounds.Lower), Upper: copyFloat(c.Bounds.Upper)}
			out.EvaluationScores[i] = c
		}
	}
	return out
}

func copyValues(vs statstore.ParameterValues) statstore.ParameterValues {
	if vs == nil {
		return nil
	}
	out := make(statstore.ParameterValues, len(vs))
	for i, v := range vs {
		out[i] = statstore.ParameterValue{Name: v.Name, Value: copyValue(v.Value)}
	}
	return out
}

func copyValue(x any) any {
	list, ok := x.([]any)
	if !ok {
		return x // numbers, strings, bools and nil are immutable
	}
	out := make([]any, len(list))
	for i, e := range list {
		out[i] = copyValue(e)
	}
	return out
}

func copyFloat(p *float64) *float64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
