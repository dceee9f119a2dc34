package statstore

import (
	"math"
	"slices"
	"strings"
)

// SelectOn names the one criterion on one dataset that chooses a
// (checkpoint, parameter set), and the datasets held out from the choice.
type SelectOn struct {
	Dataset   string
	Criterion string
	// HeldOut are datasets the choice must not look at (it never does:
	// the choice uses Dataset only); their lines are marked, so the gap
	// there says what choosing on Dataset costs on them. HeldOut must not
	// include Dataset.
	HeldOut []string
	// IncludeSuperseded counts superseded validations as current.
	IncludeSuperseded bool
}

// SelectionLine is one dataset × criterion at the chosen (checkpoint,
// parameter set): the value there, the line's own best (over every
// checkpoint and parameter set) and the gap between them, never negative:
// how much worse the choice is than the best that criterion could have
// had on that dataset (NaN when either is NaN).
type SelectionLine struct {
	Dataset        string
	Criterion      string
	HigherIsBetter bool
	HeldOut        bool
	Value          float64
	Best           Best
	Gap            float64
}

// Selection is one (checkpoint, parameter set) chosen by one criterion on
// one dataset, with every dataset × criterion reported at that choice.
// Superseded counts the superseded validations left out.
type Selection struct {
	On          SelectOn
	Iteration   int
	ParameterID int
	Parameters  string
	Value       float64
	Lines       []SelectionLine
	Superseded  int
}

// Select chooses the (checkpoint, parameter set) with the best value of
// on.Criterion on on.Dataset (ties: earliest iteration, then first
// parameter set, as in BestReport) and reports every criterion on every
// dataset at that choice. It is ErrInvalidArgument for an unknown dataset
// or criterion, ErrUnknownDirection when a criterion's direction is
// unknown, and ErrNotFound when that criterion has no value but NaN on that
// dataset (or nothing is validated).
func (v *ValidationScores) Select(on SelectOn) (Selection, error) {
	d := slices.Index(v.Datasets, on.Dataset)
	if d < 0 {
		return Selection{}, invalid("select on dataset %q: want one of %s", on.Dataset, strings.Join(v.Datasets, ", "))
	}
	c := slices.IndexFunc(v.EvaluationScores, func(k Criterion) bool { return k.Name == on.Criterion })
	if c < 0 {
		return Selection{}, invalid("select on criterion %q: want one of %s", on.Criterion, strings.Join(v.Criteria(), ", "))
	}
	for _, h := range on.HeldOut {
		switch {
		case h == on.Dataset:
			return Selection{}, invalid("held-out dataset %q is the dataset the choice is made on", h)
		case !slices.Contains(v.Datasets, h):
			return Selection{}, invalid("held-out dataset %q: want one of %s", h, strings.Join(v.Datasets, ", "))
		}
	}
	if err := v.CheckDirections(); err != nil {
		return Selection{}, err // every line's gap needs its criterion's direction
	}
	cur := v
	left := 0
	if !on.IncludeSuperseded {
		cur, left = v.Current()
	}
	crit := v.EvaluationScores[c]
	sel := Selection{On: on, Iteration: -1, ParameterID: -1, Value: math.NaN(), Superseded: left}
	var chosen *ValidationIterationScores
	p := -1
	for i := range cur.Scores {
		s := &cur.Scores[i]
		if cur.checkShape(*s) != nil {
			continue
		}
		for q, x := range s.Scores[d] {
			if crit.Better(x[c], sel.Value) {
				sel.Value, sel.Iteration, chosen, p = x[c], s.Iteration, s, q
			}
		}
	}
	if chosen == nil {
		return Selection{}, notFound("select on %s of dataset %s: no validated value but NaN", on.Criterion, on.Dataset)
	}
	sel.ParameterID, sel.Parameters = v.Parameters[p].ID, v.Parameters[p].DisplayName()
	rep := cur.BestReportIncluding(true) // cur holds only what counts
	nc := len(v.EvaluationScores)
	for dd, ds := range v.Datasets {
		for cc, k := range v.EvaluationScores {
			best := rep.PerDataset[dd*nc+cc]
			x := chosen.Scores[dd][p][cc]
			gap := distance(k, best.Value, x)
			sel.Lines = append(sel.Lines, SelectionLine{Dataset: ds, Criterion: k.Name, HigherIsBetter: k.HigherIsBetter,
				HeldOut: slices.Contains(on.HeldOut, ds), Value: x, Best: best, Gap: gap})
		}
	}
	return sel, nil
}
