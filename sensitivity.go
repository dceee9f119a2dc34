package statstore

import (
	"math"
	"slices"
	"strings"
)

// GridOptions tune a parameter grid's sensitivity numbers.
type GridOptions struct {
	// Epsilon is the distance to the best within which a parameter set
	// counts toward Width. 0 picks 1% of the criterion's bounded range when
	// both bounds are finite, else 1% of the range of the grid's finite
	// values.
	Epsilon float64
	// IncludeSuperseded counts superseded validations as current.
	IncludeSuperseded bool
}

// Grid is one run's checkpoint × parameter-set grid of one criterion on
// one dataset, with three numbers that say how much the choice of
// parameters matters and how stable it is:
//
//   - stability: BestChanges, how often the best parameter set changes
//     from one checkpoint to the next (BestChangeRate of the Steps
//     consecutive pairs whose both checkpoints have a best);
//   - regret: fixing the parameter set that is best on average over the
//     checkpoints (Fixed), Regret[i] is what that costs at checkpoint i
//     against that checkpoint's best (never negative; NaN where either is
//     NaN); MaxRegret and MeanRegret summarise it;
//   - width: Width[i] is how many parameter sets lie within Epsilon of
//     checkpoint i's best.
//
// Values are [checkpoint][parameter set]; Best[i] is the index of
// checkpoint i's best parameter set, -1 when all are NaN. Axis names the
// one parameter value that varies across the sets (e.g. "threshold"), and
// AxisValues its value per set, so a heatmap can label its columns by
// value; Axis is empty when no single value does.
type Grid struct {
	Dataset        string
	Criterion      string
	HigherIsBetter bool
	Iterations     []int
	Parameters     []ParameterSet
	Values         [][]float64
	Axis           string
	AxisValues     []any
	Best           []int
	BestChanges    int
	Steps          int
	BestChangeRate float64
	Fixed          int
	Regret         []float64
	MaxRegret      float64
	MeanRegret     float64
	Epsilon        float64
	Width          []int
	Superseded     int
}

// Grid returns the checkpoint × parameter-set grid of criterion on
// dataset, with its sensitivity numbers. Unknown names are
// ErrInvalidArgument; a criterion of unknown direction is
// ErrUnknownDirection.
func (v *ValidationScores) Grid(dataset, criterion string, opts GridOptions) (Grid, error) {
	d := slices.Index(v.Datasets, dataset)
	if d < 0 {
		return Grid{}, invalid("grid of dataset %q: want one of %s", dataset, strings.Join(v.Datasets, ", "))
	}
	c := slices.IndexFunc(v.EvaluationScores, func(k Criterion) bool { return k.Name == criterion })
	if c < 0 {
		return Grid{}, invalid("grid of criterion %q: want one of %s", criterion, strings.Join(v.Criteria(), ", "))
	}
	if err := v.CheckDirections(criterion); err != nil {
		return Grid{}, err
	}
	if opts.Epsilon < 0 || math.IsNaN(opts.Epsilon) || math.IsInf(opts.Epsilon, 0) {
		return Grid{}, invalid("grid epsilon %g: want a finite number ≥ 0", opts.Epsilon)
	}
	cur, left := v, 0
	if !opts.IncludeSuperseded {
		cur, left = v.Current()
	}
	crit := v.EvaluationScores[c]
	g := Grid{Dataset: dataset, Criterion: criterion, HigherIsBetter: crit.HigherIsBetter,
		Parameters: slices.Clone(v.Parameters), Fixed: -1, Superseded: left,
		Iterations: []int{}, Values: [][]float64{}, Best: []int{}, Regret: []float64{}, Width: []int{}}
	g.Axis, g.AxisValues = parameterAxis(v.Parameters)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range cur.Scores {
		if cur.checkShape(s) != nil {
			continue
		}
		row := make([]float64, len(v.Parameters))
		best := -1
		for p := range row {
			row[p] = s.Scores[d][p][c]
			if best < 0 && !math.IsNaN(row[p]) || best >= 0 && crit.Better(row[p], row[best]) {
				best = p
			}
			if !math.IsNaN(row[p]) && !math.IsInf(row[p], 0) {
				lo, hi = min(lo, row[p]), max(hi, row[p])
			}
		}
		g.Iterations = append(g.Iterations, s.Iteration)
		g.Values = append(g.Values, row)
		g.Best = append(g.Best, best)
	}

	for i := 1; i < len(g.Best); i++ {
		if g.Best[i-1] >= 0 && g.Best[i] >= 0 {
			g.Steps++
			if g.Best[i] != g.Best[i-1] {
				g.BestChanges++
			}
		}
	}
	if g.Steps > 0 {
		g.BestChangeRate = float64(g.BestChanges) / float64(g.Steps)
	}

	// The fixed parameter set: best mean over the checkpoints, NaN skipped.
	fixedMean := math.NaN()
	for p := range g.Parameters {
		sum, n := 0.0, 0
		for _, row := range g.Values {
			if !math.IsNaN(row[p]) {
				sum += row[p]
				n++
			}
		}
		if n > 0 && crit.Better(sum/float64(n), fixedMean) {
			fixedMean, g.Fixed = sum/float64(n), p
		}
	}
	g.MaxRegret, g.MeanRegret = math.NaN(), math.NaN()
	sum, n := 0.0, 0
	for i, row := range g.Values {
		r := math.NaN()
		if g.Fixed >= 0 && g.Best[i] >= 0 {
			r = distance(crit, row[g.Best[i]], row[g.Fixed])
		}
		g.Regret = append(g.Regret, r)
		if !math.IsNaN(r) {
			sum += r
			n++
			if math.IsNaN(g.MaxRegret) || r > g.MaxRegret {
				g.MaxRegret = r
			}
		}
	}
	if n > 0 {
		g.MeanRegret = sum / float64(n)
	}

	g.Epsilon = opts.Epsilon
	if g.Epsilon == 0 {
		b := crit.Bounds.normalized()
		switch {
		case b.Lower != nil && b.Upper != nil:
			g.Epsilon = (*b.Upper - *b.Lower) / 100
		case hi > lo:
			g.Epsilon = (hi - lo) / 100
		}
	}
	for i, row := range g.Values {
		w := 0
		if g.Best[i] >= 0 {
			for _, x := range row {
				if distance(crit, row[g.Best[i]], x) <= g.Epsilon {
					w++
				}
			}
		}
		g.Width = append(g.Width, w)
	}
	return g, nil
}

// distance is how much worse x is than best for crit (≥ 0 when best is the
// better one; NaN when either is NaN).
func distance(crit Criterion, best, x float64) float64 {
	if crit.HigherIsBetter {
		return best - x
	}
	return x - best
}

// parameterAxis returns the one value name whose value differs across the
// parameter sets, with its value per set, when every set has it and no
// other value differs; "" otherwise.
func parameterAxis(ps []ParameterSet) (string, []any) {
	if len(ps) < 2 {
		return "", nil
	}
	axis := ""
	for _, v := range ps[0].Values {
		for _, q := range ps[1:] {
			x, ok := q.Values.Get(v.Name)
			if !ok || len(q.Values) != len(ps[0].Values) {
				return "", nil
			}
			if !(ParameterValues{{Value: x}}).Equal(ParameterValues{{Value: v.Value}}) {
				if axis != "" && axis != v.Name {
					return "", nil
				}
				axis = v.Name
			}
		}
	}
	if axis == "" {
		return "", nil
	}
	out := make([]any, len(ps))
	for i, p := range ps {
		out[i], _ = p.Values.Get(axis)
	}
	return axis, out
}
