package statstore

import (
	"fmt"
	"math"
	"slices"
)

// ProposalOptions tune ProposeValidations.
type ProposalOptions struct {
	// Budget is how many checkpoints to propose (at least 1).
	Budget int
	// AllCriteria judges parameter sets by every criterion, not only those
	// whose StoreBest is set (every criterion when none has it set).
	AllCriteria bool
	// Recent is how many of the latest current validations judge the
	// parameter sets (0: 5).
	Recent int
	// Epsilon is the distance to a checkpoint's best within which a
	// parameter set is worth keeping in the grid (0: 1% of the criterion's
	// bounded range, else of the range of the values judged).
	Epsilon float64
}

// ProposedCheckpoint is a checkpoint to validate next and why: Coarse
// picks spread over the unvalidated range, fine ones sit near the current
// best; Superseded ones were validated before a training rewind.
type ProposedCheckpoint struct {
	Iteration  int
	Reason     string
	Gap        int // distance to the nearest validated (or already proposed) checkpoint
	Superseded bool
}

// ParameterJudgement says whether a parameter set can be dropped from the
// validation grid: it can when, over the recent validations, on every
// dataset × criterion that counts, it was never within Epsilon of that
// checkpoint's best. Reason names the evidence either way.
type ParameterJudgement struct {
	ParameterID int
	Parameters  string
	Droppable   bool
	Reason      string
}

// ValueJudgement says whether one named parameter value (e.g.
// threshold=0.3) can be dropped: when every parameter set holding it can.
type ValueJudgement struct {
	Name      string
	Value     any
	Droppable bool
}

// ValidationProposal is ProposeValidations's answer: checkpoints to
// validate next, in order, and which parameter sets and values the grid
// can do without.
type ValidationProposal struct {
	Checkpoints []ProposedCheckpoint
	Parameters  []ParameterJudgement
	Values      []ValueJudgement
	Criteria    []string
	Judged      []int // the validations the parameter judgements rest on
	// Epsilon is the epsilon given, or the one computed when one criterion
	// counts; 0 when each counted criterion used its own.
	Epsilon float64
	Best    int // the current best checkpoint the fine picks are near, -1 when none
}

// ProposeValidations proposes which of the candidate checkpoints (whose
// weights exist; the validated ones are skipped, except superseded ones)
// to validate next, coarse to fine around the current best, within
// opts.Budget; and which parameter sets can be dropped from the grid.
//
// The current best is the checkpoint most often best across the
// dataset × criterion lines that count (ties: the latest). Each pick
// maximises gap / (1 + distance to the best / (span / 4)), where gap is the
// distance to the nearest validated or already picked checkpoint: far from
// anything validated first (coarse), then close to the best (fine).
func ProposeValidations(v *ValidationScores, candidates []int, opts ProposalOptions) (ValidationProposal, error) {
	if v == nil {
		v = &ValidationScores{}
	}
	if opts.Budget < 1 {
		return ValidationProposal{}, invalid("propose validations: budget %d, want at least 1", opts.Budget)
	}
	if opts.Recent < 0 || opts.Epsilon < 0 || math.IsNaN(opts.Epsilon) || math.IsInf(opts.Epsilon, 0) {
		return ValidationProposal{}, invalid("propose validations: recent %d and epsilon %g must be finite and not negative", opts.Recent, opts.Epsilon)
	}
	recent := opts.Recent
	if recent == 0 {
		recent = 5
	}
	cur, _ := v.Current()
	var counted []int
	all := opts.AllCriteria || !slices.ContainsFunc(v.EvaluationScores, func(c Criterion) bool { return c.StoreBest })
	out := ValidationProposal{Best: -1, Criteria: []string{}, Checkpoints: []ProposedCheckpoint{}, Parameters: []ParameterJudgement{}, Values: []ValueJudgement{}, Judged: []int{}}
	for i, c := range v.EvaluationScores {
		if all || c.StoreBest {
			counted = append(counted, i)
			out.Criteria = append(out.Criteria, c.Name)
		}
	}

	if err := v.CheckDirections(out.Criteria...); err != nil && len(out.Criteria) > 0 {
		return ValidationProposal{}, err
	}
	validated := map[int]bool{}
	superseded := map[int]bool{}
	for _, s := range v.Scores {
		if s.Superseded {
			superseded[s.Iteration] = true
		} else {
			validated[s.Iteration] = true
		}
	}
	out.Best = currentBest(cur, counted)
	out.Checkpoints = pickCheckpoints(candidates, validated, superseded, out.Best, opts.Budget)
	out.Judged, out.Epsilon, out.Parameters = judgeParameters(cur, counted, recent, opts.Epsilon)
	out.Values = judgeValues(v.Parameters, out.Parameters)
	return out, nil
}

// currentBest is the checkpoint most often best over the counted lines
// (per dataset × criterion, NaN skipped); ties go to the latest; -1 when
// nothing is validated.
func currentBest(cur *ValidationScores, counted []int) int {
	votes := map[int]int{}
	rep := cur.BestReportIncluding(true)
	nc := len(cur.EvaluationScores)
	for d := range cur.Datasets {
		for _, c := range counted {
			if b := rep.PerDataset[d*nc+c]; b.Found {
				votes[b.Iteration]++
			}
		}
	}
	best, n := -1, 0
	for it, k := range votes {
		if k > n || k == n && it > best {
			best, n = it, k
		}
	}
	return best
}

// pickCheckpoints chooses up to budget of the candidates not validated
// (superseded ones count as not validated), coarse to fine around best.
func pickCheckpoints(candidates []int, validated, superseded map[int]bool, best, budget int) []ProposedCheckpoint {
	cands := slices.Clone(candidates)
	slices.Sort(cands)
	cands = slices.Compact(cands)
	anchors := make([]int, 0, len(validated)+budget)
	for it := range validated {
		anchors = append(anchors, it)
	}
	open := cands[:0:0]
	for _, c := range cands {
		if !validated[c] {
			open = append(open, c)
		}
	}
	if len(open) == 0 {
		return []ProposedCheckpoint{}
	}
	span := float64(max(cands[len(cands)-1]-cands[0], 1))
	for it := range validated {
		span = max(span, float64(abs(it-cands[0])), float64(abs(it-cands[len(cands)-1])))
	}
	out := []ProposedCheckpoint{}
	for len(out) < budget && len(open) > 0 {
		bi, bscore, bgap := -1, -1.0, 0
		for i, c := range open {
			gap := math.MaxInt
			for _, a := range anchors {
				gap = min(gap, abs(c-a))
			}
			if len(anchors) == 0 {
				gap = int(span) + 1 // nothing validated: spread from the latest
			}
			score := float64(gap)
			if best >= 0 {
				score /= 1 + float64(abs(c-best))/(span/4)
			}
			if score > bscore || score == bscore && c > open[bi] {
				bi, bscore, bgap = i, score, gap
			}
		}
		c := open[bi]
		p := ProposedCheckpoint{Iteration: c, Gap: bgap, Superseded: superseded[c]}
		switch {
		case len(anchors) == 0:
			p.Reason = "nothing validated yet: start from the latest checkpoint"
			p.Gap = 0
		case best >= 0 && abs(c-best) <= bgap:
			p.Reason = fmt.Sprintf("fine: %d from the current best %d, nearest validated %d away", abs(c-best), best, bgap)
		default:
			p.Reason = fmt.Sprintf("coarse: nearest validated checkpoint %d away", bgap)
		}
		if p.Superseded {
			p.Reason += "; its validation is superseded (validate it again)"
		}
		out = append(out, p)
		anchors = append(anchors, c)
		open = slices.Delete(open, bi, bi+1)
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// judgeParameters judges every parameter set over the last recent current
// validations: droppable when never within epsilon of a checkpoint's best
// on any dataset × counted criterion.
func judgeParameters(cur *ValidationScores, counted []int, recent int, epsilon float64) ([]int, float64, []ParameterJudgement) {
	var entries []ValidationIterationScores
	for _, s := range cur.Scores {
		if cur.checkShape(s) == nil {
			entries = append(entries, s)
		}
	}
	entries = entries[max(len(entries)-recent, 0):]
	judged := make([]int, len(entries))
	for i, s := range entries {
		judged[i] = s.Iteration
	}
	out := make([]ParameterJudgement, len(cur.Parameters))
	for p, ps := range cur.Parameters {
		out[p] = ParameterJudgement{ParameterID: ps.ID, Parameters: ps.DisplayName()}
	}
	if len(entries) == 0 {
		for p := range out {
			out[p].Reason = "no current validation to judge it by"
		}
		return judged, epsilon, out
	}
	// epsilon per criterion when not given: 1% of its bounded range, else
	// of the range of the values judged.
	eps := make(map[int]float64, len(counted))
	for _, c := range counted {
		e := epsilon
		if e == 0 {
			crit := cur.EvaluationScores[c]
			b := crit.Bounds.normalized()
			if b.Lower != nil && b.Upper != nil {
				e = (*b.Upper - *b.Lower) / 100
			} else {
				lo, hi := math.Inf(1), math.Inf(-1)
				for _, s := range entries {
					for d := range s.Scores {
						for p := range s.Scores[d] {
							if x := s.Scores[d][p][c]; !math.IsNaN(x) && !math.IsInf(x, 0) {
								lo, hi = min(lo, x), max(hi, x)
							}
						}
					}
				}
				if hi > lo {
					e = (hi - lo) / 100
				}
			}
		}
		eps[c] = e
	}
	if epsilon == 0 && len(counted) == 1 {
		epsilon = eps[counted[0]]
	}
	evidence := make([]string, len(cur.Parameters)) // the first evidence a set is worth keeping
	for _, s := range entries {
		for d := range s.Scores {
			for _, c := range counted {
				crit := cur.EvaluationScores[c]
				best := math.NaN()
				for p := range s.Scores[d] {
					if x := s.Scores[d][p][c]; crit.Better(x, best) {
						best = x
					}
				}
				if math.IsNaN(best) {
					continue
				}
				for p := range s.Scores[d] {
					if evidence[p] == "" && distance(crit, best, s.Scores[d][p][c]) <= eps[c] {
						evidence[p] = fmt.Sprintf("within %.3g of the best %s on %s at %d", eps[c], crit.Name, cur.Datasets[d], s.Iteration)
					}
				}
			}
		}
	}
	for p := range out {
		if evidence[p] != "" {
			out[p].Reason = evidence[p]
			continue
		}
		out[p].Droppable = true
		out[p].Reason = fmt.Sprintf("never within epsilon of the best on any dataset × criterion over the last %d validations", len(entries))
	}
	return judged, epsilon, out
}

// judgeValues turns parameter-set judgements into value judgements: a
// named value can be dropped when every set holding it can.
func judgeValues(ps []ParameterSet, judged []ParameterJudgement) []ValueJudgement {
	out := []ValueJudgement{}
	index := map[string]int{}
	for p, set := range ps {
		for _, v := range set.Values {
			key := v.Name + "=" + pythonStr(v.Value)
			i, ok := index[key]
			if !ok {
				i = len(out)
				index[key] = i
				out = append(out, ValueJudgement{Name: v.Name, Value: v.Value, Droppable: true})
			}
			if p < len(judged) && !judged[p].Droppable {
				out[i].Droppable = false
			}
		}
	}
	return out
}

// CheckpointsEvery returns the iterations 0, every, 2·every, ... below
// until (raised past the last validated iteration), the candidates of a
// run that saves weights every `every` iterations. every 0 takes the
// spacing of the validated iterations (their greatest common divisor),
// and is an ErrInvalidArgument error when they have none. It returns the
// spacing used.
func CheckpointsEvery(v *ValidationScores, until, every int) ([]int, int, error) {
	if every < 0 {
		return nil, 0, invalid("checkpoints every %d iterations: want a positive spacing", every)
	}
	if every == 0 {
		for _, e := range v.Scores {
			every = gcd(every, e.Iteration)
		}
		if every == 0 {
			return nil, 0, invalid("the validated iterations have no spacing to take the checkpoints' from: name it")
		}
	}
	if n := len(v.Scores); n > 0 {
		until = max(until, v.Scores[n-1].Iteration+1)
	}
	out := []int{}
	for it := 0; it < until; it += every {
		out = append(out, it)
	}
	return out, every, nil
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
