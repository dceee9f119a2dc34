package statstore_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

// proposalScores: one dataset, thresholds 0.3, 0.5, 0.7, dice (higher is
// better, bounds [0, 1], store_best), validated at 0, 5000 and 10000.
func proposalScores() *statstore.ValidationScores {
	dice := criterion("dice", true)
	dice.StoreBest = true
	v := &statstore.ValidationScores{Metadata: statstore.Metadata{
		Datasets: []string{"crop_a"}, Parameters: statstore.ThresholdParameters(0.3, 0.5, 0.7),
		EvaluationScores: []statstore.Criterion{dice},
	}}
	for _, r := range []struct {
		it int
		v  [3]float64
	}{{0, [3]float64{0.1, 0.2, 0}}, {5000, [3]float64{0.5, 0.8, 0.3}}, {10000, [3]float64{0.4, 0.6, 0.2}}} {
		v.Scores = append(v.Scores, statstore.ValidationIterationScores{Iteration: r.it, Scores: [][][]float64{{{r.v[0]}, {r.v[1]}, {r.v[2]}}}})
	}
	return v
}

func proposed(p statstore.ValidationProposal) []int {
	var out []int
	for _, c := range p.Checkpoints {
		out = append(out, c.Iteration)
	}
	return out
}

func TestProposeValidations(t *testing.T) {
	p, err := statstore.ProposeValidations(proposalScores(), every(0, 10001, 1000), statstore.ProposalOptions{Budget: 3, Recent: 2})
	if err != nil {
		t.Fatal(err)
	}
	// Best at 5000; score = gap / (1 + |c - 5000| / 2500): 3000 and 7000 score
	// 2000/1.8 (ties go to the later), then 3000, then 4000 and 6000 (1000/1.4).
	if got := proposed(p); !slices.Equal(got, []int{7000, 3000, 6000}) || p.Best != 5000 {
		t.Errorf("proposed %v around %d, want [7000 3000 6000] around 5000", got, p.Best)
	}
	if !strings.HasPrefix(p.Checkpoints[0].Reason, "fine: 2000 from the current best 5000") || p.Checkpoints[0].Gap != 2000 {
		t.Errorf("first pick: %+v", p.Checkpoints[0])
	}
	if !slices.Equal(p.Judged, []int{5000, 10000}) || p.Epsilon != 0.01 {
		t.Errorf("judged %v with epsilon %g, want [5000 10000] and 0.01", p.Judged, p.Epsilon)
	}
	var drop []bool
	for _, j := range p.Parameters {
		drop = append(drop, j.Droppable)
	}
	if !slices.Equal(drop, []bool{true, false, true}) {
		t.Errorf("droppable %v, want [true false true]: %+v", drop, p.Parameters)
	}
	if v := p.Values; len(v) != 3 || v[0].Name != "threshold" || !v[0].Droppable || v[1].Droppable || !v[2].Droppable {
		t.Errorf("values %+v", v)
	}

	// A set within epsilon of the best once is kept.
	v := proposalScores()
	v.Scores[2].Scores[0][0][0] = 0.595
	if p, _ = statstore.ProposeValidations(v, nil, statstore.ProposalOptions{Budget: 1, Recent: 2}); p.Parameters[0].Droppable || !strings.Contains(p.Parameters[0].Reason, "at 10000") {
		t.Errorf("threshold 0.3 within 0.005 of the best at 10000: %+v", p.Parameters[0])
	}
	if len(p.Checkpoints) != 0 {
		t.Errorf("no candidates, yet proposed %v", proposed(p))
	}
}

func TestProposeValidationsSupersededAndEmpty(t *testing.T) {
	v := proposalScores()
	v.Scores[2].Superseded = true
	p, err := statstore.ProposeValidations(v, []int{5000, 10000}, statstore.ProposalOptions{Budget: 5})
	if err != nil {
		t.Fatal(err)
	}
	if got := proposed(p); !slices.Equal(got, []int{10000}) || !p.Checkpoints[0].Superseded || !strings.Contains(p.Checkpoints[0].Reason, "superseded") {
		t.Errorf("proposed %+v, want 10000 (superseded)", p.Checkpoints)
	}
	if !slices.Equal(p.Judged, []int{0, 5000}) {
		t.Errorf("judged %v, want [0 5000] (10000 superseded)", p.Judged)
	}
	empty := &statstore.ValidationScores{Metadata: v.Metadata}
	if p, err = statstore.ProposeValidations(empty, every(0, 4001, 1000), statstore.ProposalOptions{Budget: 3}); err != nil {
		t.Fatal(err)
	}
	// Nothing validated: the latest first, then spread: 0, then 2000.
	if got := proposed(p); !slices.Equal(got, []int{4000, 0, 2000}) || p.Best != -1 || p.Parameters[0].Droppable {
		t.Errorf("nothing validated: proposed %v best %d params %+v", got, p.Best, p.Parameters)
	}
	for _, o := range []statstore.ProposalOptions{{Budget: 0}, {Budget: 1, Recent: -1}, {Budget: 1, Epsilon: -1}} {
		if _, err := statstore.ProposeValidations(v, nil, o); !errors.Is(err, statstore.ErrInvalidArgument) {
			t.Errorf("%+v: %v, want ErrInvalidArgument", o, err)
		}
	}
}

func TestCheckpointsEvery(t *testing.T) {
	v := proposalScores() // validated at 0, 5000, 10000
	if got, n, err := statstore.CheckpointsEvery(v, 0, 0); err != nil || n != 5000 || !slices.Equal(got, []int{0, 5000, 10000}) {
		t.Errorf("inferred: %v %d %v", got, n, err)
	}
	if got, n, _ := statstore.CheckpointsEvery(v, 12001, 4000); n != 4000 || !slices.Equal(got, []int{0, 4000, 8000, 12000}) {
		t.Errorf("every 4000 up to 12001: %v", got)
	}
	only0 := &statstore.ValidationScores{Metadata: v.Metadata, Scores: v.Scores[:1]}
	if _, _, err := statstore.CheckpointsEvery(only0, 100, 0); !errors.Is(err, statstore.ErrInvalidArgument) {
		t.Errorf("no spacing: %v", err)
	}
	if _, _, err := statstore.CheckpointsEvery(v, 100, -1); !errors.Is(err, statstore.ErrInvalidArgument) {
		t.Errorf("negative spacing: %v", err)
	}
}
