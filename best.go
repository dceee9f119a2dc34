package statstore

import (
	"fmt"
	"math"

	"github.com/statstore/statstore/labeled"
)

// GetBest finds, for each criterion, where along dim that criterion is best:
// the maximum when higher is better, else the minimum, NaN skipped. It returns
// the coordinate labels along dim (missing where a slice is all NaN) and the
// best values (NaN there), with dim removed and the other dims kept. data is
// the array of ToLabeled or any selection of it (one dataset, one criterion,
// ...); it must keep the criteria as a dimension or a scalar coordinate, else
// the error "cannot determine best without a criterion". Each criterion's own
// direction is used (DaCapo applies the first criterion's to all); a
// criterion of unknown direction is an error wrapping ErrUnknownDirection.
func (v *ValidationScores) GetBest(data *labeled.Array, dim string) (*labeled.Labels, *labeled.Array, error) {
	if data == nil || !data.HasCoord(DimCriteria) {
		return nil, nil, invalid("cannot determine best without a criterion: data has no %q dimension or coordinate", DimCriteria)
	}
	if dim == DimCriteria {
		return nil, nil, invalid("cannot take the best along %q: each criterion is its own measure", DimCriteria)
	}
	if name, ok := data.Scalar(DimCriteria); ok {
		return v.bestAlong(data, dim, name)
	}
	names, _ := data.Coords(DimCriteria)
	if len(names) == 0 {
		return nil, nil, invalid("cannot take the best of data with no criteria")
	}
	labels := make([]*labeled.Labels, len(names))
	values := make([]*labeled.Array, len(names))
	for i, name := range names {
		sub, err := data.Sel(DimCriteria, name)
		if err != nil {
			return nil, nil, badData(err)
		}
		if labels[i], values[i], err = v.bestAlong(sub, dim, name); err != nil {
			return nil, nil, err
		}
	}
	crit := labeled.Dim{Name: DimCriteria, Coords: names}
	l, err := labeled.StackLabels(crit, labels...)
	if err != nil {
		return nil, nil, badData(err)
	}
	a, err := labeled.Stack(crit, values...)
	if err != nil {
		return nil, nil, badData(err)
	}
	return l, a, nil
}

// badData wraps an error of package labeled (a dimension or label the data
// does not have) so that it also matches ErrInvalidArgument.
func badData(err error) error {
	return fmt.Errorf("get best: %w (%w)", err, ErrInvalidArgument)
}

// bestAlong reduces data, the scores of one criterion, along dim.
func (v *ValidationScores) bestAlong(data *labeled.Array, dim string, name any) (*labeled.Labels, *labeled.Array, error) {
	s, _ := name.(string)
	c, ok := v.Criterion(s)
	if !ok {
		return nil, nil, fmt.Errorf("unknown criterion %v, want one of %v: %w", name, v.Criteria(), ErrNotFound)
	}
	if err := v.CheckDirections(c.Name); err != nil {
		return nil, nil, fmt.Errorf("get best: %w", err)
	}
	idx, reduce := data.IdxMin, data.Min
	if c.HigherIsBetter {
		idx, reduce = data.IdxMax, data.Max
	}
	l, err := idx(dim)
	if err != nil {
		return nil, nil, badData(err)
	}
	a, err := reduce(dim)
	if err != nil {
		return nil, nil, badData(err)
	}
	return l, a, nil
}

// Best is one line of a best report: for a dataset (or the mean over
// datasets, Dataset == "") and a criterion, the checkpoint and parameter set
// with the best value. Found is false, Iteration -1 and Value NaN when every
// value is NaN. DirectionUnknown is true for a criterion whose direction is
// unknown: nothing is found for it (see Metadata.CheckDirections). Its JSON
// form (MarshalJSON) is the one line shape of every best report statstore
// prints or serves.
type Best struct {
	Dataset          string
	Criterion        string
	HigherIsBetter   bool
	DirectionUnknown bool
	Found            bool
	Iteration        int
	ParameterID      int
	Parameters       string // display name of the parameter set
	Value            float64
}

// BestReport answers which checkpoint, with which post-processing parameters,
// is best: per dataset and criterion (PerDataset, dataset-major in axis
// order), and per criterion for the mean over datasets, NaN skipped
// (OverDatasets). Superseded counts the superseded entries left out.
type BestReport struct {
	PerDataset   []Best
	OverDatasets []Best
	Superseded   int
}

// BestReport computes the best report of v in one pass over the scores,
// leaving superseded entries out (their weights were overwritten by a
// resumed training; Superseded says how many). Ties go to the earliest
// iteration, then the first parameter set. Entries whose shape does not fit
// the metadata are skipped. A criterion whose direction is unknown gets
// lines with DirectionUnknown set and nothing found: callers that must not
// show such lines refuse first with Metadata.CheckDirections.
func (v *ValidationScores) BestReport() BestReport {
	return v.BestReportIncluding(false)
}

// BestReportIncluding is BestReport, with superseded entries taken into
// account when superseded is true (Superseded is then 0).
func (v *ValidationScores) BestReportIncluding(superseded bool) BestReport {
	sh := v.Shape()
	nd, np, nc := sh[0], sh[1], sh[2]
	names := v.ParameterDisplayNames()
	newBest := func(dataset string, c Criterion) Best {
		return Best{Dataset: dataset, Criterion: c.Name, HigherIsBetter: c.HigherIsBetter, DirectionUnknown: c.DirectionUnknown,
			Iteration: -1, ParameterID: -1, Value: math.NaN()}
	}
	r := BestReport{PerDataset: make([]Best, 0, nd*nc), OverDatasets: make([]Best, 0, nc)}
	for d := range nd {
		for _, c := range v.EvaluationScores {
			r.PerDataset = append(r.PerDataset, newBest(v.Datasets[d], c))
		}
	}
	for _, c := range v.EvaluationScores {
		r.OverDatasets = append(r.OverDatasets, newBest("", c))
	}
	offer := func(b *Best, x float64, iteration, p int) {
		if (Criterion{HigherIsBetter: b.HigherIsBetter, DirectionUnknown: b.DirectionUnknown}).Better(x, b.Value) {
			b.Found, b.Iteration, b.Value = true, iteration, x
			b.ParameterID, b.Parameters = v.Parameters[p].ID, names[p]
		}
	}
	sums, counts := make([]float64, nc), make([]int, nc)
	for _, s := range v.Scores {
		if s.Superseded && !superseded {
			r.Superseded++
			continue
		}
		if nd == 0 || v.checkShape(s) != nil {
			continue
		}
		for p := range np {
			clear(sums)
			clear(counts)
			for d := range nd {
				line := r.PerDataset[d*nc : (d+1)*nc]
				for c, x := range s.Scores[d][p] {
					offer(&line[c], x, s.Iteration, p)
					if !math.IsNaN(x) {
						sums[c] += x
						counts[c]++
					}
				}
			}
			for c := range nc {
				if counts[c] > 0 {
					offer(&r.OverDatasets[c], sums[c]/float64(counts[c]), s.Iteration, p)
				}
			}
		}
	}
	return r
}
