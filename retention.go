package statstore

import (
	"fmt"
	"maps"
	"math"
	"slices"
)

// RetentionOptions say which checkpoints a retention plan keeps besides
// those it always keeps (not validated yet, validated only by superseded
// entries).
type RetentionOptions struct {
	// AllCriteria keeps the best checkpoint of every criterion; without it
	// only criteria whose StoreBest is set count (every criterion when
	// none has it set).
	AllCriteria bool
	// Top keeps, per dataset × criterion counted, the checkpoints whose best
	// value ranks among the Top best (ties share a rank); 0 and 1 keep the
	// best only.
	Top int
	// Last keeps the Last latest checkpoints (training resumes from the
	// latest); 0 keeps none for that reason.
	Last int
	// IncludeSuperseded counts superseded validations as if they were
	// current (by default they are left out, and a checkpoint validated only
	// by them is kept).
	IncludeSuperseded bool
}

// ReasonKind is why a retention plan keeps a checkpoint.
type ReasonKind int

// The reasons a retention plan keeps a checkpoint.
const (
	// ReasonBest: the best value of a dataset × criterion.
	ReasonBest ReasonKind = iota + 1
	// ReasonBestMean: the best value of a criterion's mean over datasets.
	ReasonBestMean
	// ReasonTop: among the Top best values of a dataset × criterion.
	ReasonTop
	// ReasonLast: among the Last latest checkpoints.
	ReasonLast
	// ReasonNotValidated: no validation yet, so nothing says it can go.
	ReasonNotValidated
	// ReasonSupersededOnly: its only validation is superseded (its weights
	// may be those of an abandoned training), to be validated again.
	ReasonSupersededOnly
)

// String returns the reason kind's name as JSON output spells it.
func (k ReasonKind) String() string {
	switch k {
	case ReasonBest:
		return "best"
	case ReasonBestMean:
		return "best_mean"
	case ReasonTop:
		return "top"
	case ReasonLast:
		return "last"
	case ReasonNotValidated:
		return "not_validated"
	case ReasonSupersededOnly:
		return "superseded_only"
	}
	return fmt.Sprintf("ReasonKind(%d)", int(k))
}

// KeepReason is one reason to keep a checkpoint. Dataset is empty for
// ReasonBestMean (the mean over datasets) and for the reasons that name no
// score; Rank is 1 for a best and the rank for ReasonTop (ReasonLast: 1 is
// the latest checkpoint).
type KeepReason struct {
	Kind        ReasonKind
	Dataset     string
	Criterion   string
	Rank        int
	ParameterID int
	Parameters  string
	Value       float64
}

// String describes the reason in a sentence fragment, e.g.
// "best f1_score on crop_a (0.91 with threshold_0.5)" or "best mean voi
// over datasets (0.17 with threshold_0.5)".
func (r KeepReason) String() string {
	on := " on " + r.Dataset
	switch r.Kind {
	case ReasonBestMean:
		return fmt.Sprintf("best mean %s over datasets (%.6g with %s)", r.Criterion, r.Value, r.Parameters)
	case ReasonBest:
		return fmt.Sprintf("best %s%s (%.6g with %s)", r.Criterion, on, r.Value, r.Parameters)
	case ReasonTop:
		return fmt.Sprintf("top %d %s%s (%.6g with %s)", r.Rank, r.Criterion, on, r.Value, r.Parameters)
	case ReasonLast:
		if r.Rank == 1 {
			return "latest checkpoint (training resumes from it)"
		}
		return fmt.Sprintf("among the last checkpoints (%d from the end)", r.Rank)
	case ReasonNotValidated:
		return "not validated yet"
	case ReasonSupersededOnly:
		return "validated only by a superseded entry (validate it again)"
	}
	return r.Kind.String()
}

// Checkpoint is a checkpoint whose weights exist: its iteration and the
// size of its weights in bytes (-1 when unknown).
type Checkpoint struct {
	Iteration int
	Bytes     int64
}

// CheckpointDecision is a retention plan's decision for one checkpoint:
// kept with its reasons, or prunable (Keep false, no reasons). Bytes is the
// size of its weights, -1 when unknown.
type CheckpointDecision struct {
	Iteration int
	Bytes     int64
	Keep      bool
	Reasons   []KeepReason
}

// RetentionPlan lists, for every checkpoint, whether to keep it and why.
// Criteria are the criteria whose bests were kept; AllCriteria is true when
// every criterion counted (asked for, or because none has StoreBest set).
// Superseded counts the superseded validations left out. FreesBytes is
// what deleting the prunable checkpoints frees (their known sizes, -1 when
// none is known); ValidatedWithoutWeights are the validated iterations
// that are not among the checkpoints given. Run is the run's name, set by
// the caller, for output.
type RetentionPlan struct {
	Run                     string
	Checkpoints             []CheckpointDecision
	Criteria                []string
	AllCriteria             bool
	Superseded              int
	FreesBytes              int64
	ValidatedWithoutWeights []int
}

// Kept returns the iterations of the checkpoints the plan keeps, ascending.
func (p RetentionPlan) Kept() []int { return p.iterations(true) }

// Prunable returns the iterations of the checkpoints that can go, ascending.
func (p RetentionPlan) Prunable() []int { return p.iterations(false) }

func (p RetentionPlan) iterations(keep bool) []int {
	out := []int{}
	for _, d := range p.Checkpoints {
		if d.Keep == keep {
			out = append(out, d.Iteration)
		}
	}
	return out
}

// PlanRetention decides which checkpoints of a run to keep. checkpoints
// are those whose weights exist (nil: the validated iterations, sizes
// unknown); validations of iterations not among them count for ranking but
// get no decision (ValidatedWithoutWeights names them). NaN is never best;
// ties keep every tied checkpoint. A counted criterion whose direction is
// unknown is an ErrUnknownDirection error: nothing can rank checkpoints by it.
func PlanRetention(v *ValidationScores, checkpoints []Checkpoint, opts RetentionOptions) (RetentionPlan, error) {
	if v == nil {
		v = &ValidationScores{}
	}
	if opts.Top < 0 || opts.Last < 0 {
		return RetentionPlan{}, invalid("retention: top %d and last %d must not be negative", opts.Top, opts.Last)
	}
	plan := RetentionPlan{Criteria: []string{}, FreesBytes: -1}
	all := opts.AllCriteria || !slices.ContainsFunc(v.EvaluationScores, func(c Criterion) bool { return c.StoreBest })
	plan.AllCriteria = all
	var counted []int
	for i, c := range v.EvaluationScores {
		if all || c.StoreBest {
			counted = append(counted, i)
			plan.Criteria = append(plan.Criteria, c.Name)
		}
	}
	if err := v.CheckDirections(plan.Criteria...); err != nil && len(plan.Criteria) > 0 {
		return RetentionPlan{}, err
	}

	current := map[int]bool{}   // validated by a current entry
	supersede := map[int]bool{} // validated only by superseded entries
	var use []ValidationIterationScores
	for _, s := range v.Scores {
		if s.Superseded && !opts.IncludeSuperseded {
			plan.Superseded++
			supersede[s.Iteration] = true
			continue
		}
		if v.checkShape(s) != nil {
			continue
		}
		current[s.Iteration] = true
		use = append(use, s)
	}
	size := map[int]int64{}
	if checkpoints == nil {
		for _, s := range v.Scores {
			size[s.Iteration] = -1
		}
	} else {
		for _, c := range checkpoints {
			size[c.Iteration] = c.Bytes
		}
		for _, s := range v.Scores {
			if _, ok := size[s.Iteration]; !ok {
				plan.ValidatedWithoutWeights = append(plan.ValidatedWithoutWeights, s.Iteration)
			}
		}
	}
	its := slices.Sorted(maps.Keys(size))

	reasons := map[int][]KeepReason{}
	add := func(it int, r KeepReason) { reasons[it] = append(reasons[it], r) }
	top := max(opts.Top, 1)
	sh := v.Shape()
	for _, c := range counted {
		crit := v.EvaluationScores[c]
		for d := range sh[0] {
			rankCheckpoints(use, crit, top, func(s ValidationIterationScores, p int) float64 { return s.Scores[d][p][c] },
				func(it, rank, p int, x float64) {
					kind := ReasonBest
					if rank > 1 {
						kind = ReasonTop
					}
					add(it, KeepReason{Kind: kind, Dataset: v.Datasets[d], Criterion: crit.Name, Rank: rank,
						ParameterID: v.Parameters[p].ID, Parameters: v.Parameters[p].DisplayName(), Value: x})
				})
		}
		if sh[0] > 1 {
			rankCheckpoints(use, crit, 1, func(s ValidationIterationScores, p int) float64 { return meanOverDatasets(s, p, c) },
				func(it, _, p int, x float64) {
					add(it, KeepReason{Kind: ReasonBestMean, Criterion: crit.Name, Rank: 1,
						ParameterID: v.Parameters[p].ID, Parameters: v.Parameters[p].DisplayName(), Value: x})
				})
		}
	}
	for i := range min(opts.Last, len(its)) {
		add(its[len(its)-1-i], KeepReason{Kind: ReasonLast, Rank: i + 1})
	}
	for _, it := range its {
		switch {
		case current[it]:
		case supersede[it]:
			add(it, KeepReason{Kind: ReasonSupersededOnly})
		default:
			add(it, KeepReason{Kind: ReasonNotValidated})
		}
		rs := reasons[it]
		keep := len(rs) > 0
		if n := size[it]; !keep && n >= 0 {
			plan.FreesBytes = max(plan.FreesBytes, 0) + n
		}
		plan.Checkpoints = append(plan.Checkpoints, CheckpointDecision{Iteration: it, Bytes: size[it], Keep: keep, Reasons: rs})
	}
	return plan, nil
}

// meanOverDatasets is the mean of criterion c for parameter set p over the
// datasets of s, NaN skipped (NaN when every value is NaN).
func meanOverDatasets(s ValidationIterationScores, p, c int) float64 {
	sum, n := 0.0, 0
	for d := range s.Scores {
		if x := s.Scores[d][p][c]; !math.IsNaN(x) {
			sum += x
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// rankCheckpoints ranks the checkpoints of entries by their best value of
// value(entry, parameter set) for crit, NaN skipped, and calls keep for
// each checkpoint whose value ranks within top (equal values share a rank,
// so ties are all kept), with its rank, parameter set and value.
func rankCheckpoints(entries []ValidationIterationScores, crit Criterion, top int, value func(ValidationIterationScores, int) float64, keep func(it, rank, p int, x float64)) {
	type cand struct {
		it, p int
		x     float64
	}
	cands := make([]cand, 0, len(entries))
	for _, s := range entries {
		best := cand{it: s.Iteration, p: -1, x: math.NaN()}
		for p := range s.Scores[0] {
			if x := value(s, p); crit.Better(x, best.x) {
				best.p, best.x = p, x
			}
		}
		if best.p >= 0 {
			cands = append(cands, best)
		}
	}
	slices.SortStableFunc(cands, func(a, b cand) int {
		switch {
		case crit.Better(a.x, b.x):
			return -1
		case crit.Better(b.x, a.x):
			return 1
		}
		return 0
	})
	rank := 0
	for i, c := range cands {
		if i == 0 || c.x != cands[i-1].x {
			rank++
		}
		if rank > top {
			return
		}
		keep(c.it, rank, c.p, c.x)
	}
}
