package statstore_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/statstore/statstore"
)

// decisionMetadata: two datasets, two thresholds, dice (higher is better,
// store_best), voi (lower is better, store_best) and hausdorff (lower is
// better, not store_best).
func decisionMetadata() statstore.Metadata {
	dice, voi, haus := criterion("dice", true), criterion("voi", false), criterion("hausdorff", false)
	dice.StoreBest, voi.StoreBest = true, true
	haus.Bounds = statstore.Bounds{Lower: statstore.Bound(0)}
	return statstore.Metadata{
		Datasets:         []string{"crop_a", "crop_b"},
		Parameters:       statstore.ThresholdParameters(0.3, 0.5),
		EvaluationScores: []statstore.Criterion{dice, voi, haus},
	}
}

// gridEntry builds the scores of one checkpoint from [dataset][parameter set]
// triples (dice, voi, hausdorff).
func gridEntry(it int, scores ...[3]float64) statstore.ValidationIterationScores {
	if len(scores) != 4 {
		panic("gridEntry wants 4 triples: 2 datasets × 2 parameter sets")
	}
	s := statstore.ValidationIterationScores{Iteration: it, Scores: make([][][]float64, 2)}
	for d := range 2 {
		s.Scores[d] = [][]float64{scores[2*d][:], scores[2*d+1][:]}
	}
	return s
}

// flat is a checkpoint whose every parameter set and dataset scores the same.
func flat(it int, dice, voi, haus float64) statstore.ValidationIterationScores {
	t := [3]float64{dice, voi, haus}
	return gridEntry(it, t, t, t, t)
}

func plan(t *testing.T, entries []statstore.ValidationIterationScores, checkpoints []int, opts statstore.RetentionOptions) statstore.RetentionPlan {
	t.Helper()
	v := &statstore.ValidationScores{Metadata: decisionMetadata(), Scores: entries}
	var cps []statstore.Checkpoint
	for _, it := range checkpoints {
		cps = append(cps, statstore.Checkpoint{Iteration: it, Bytes: int64(it)})
	}
	p, err := statstore.PlanRetention(v, cps, opts)
	if err != nil {
		t.Fatalf("PlanRetention: %v", err)
	}
	return p
}

func reasonKinds(d statstore.CheckpointDecision) []string {
	var out []string
	for _, r := range d.Reasons {
		out = append(out, r.Kind.String()+":"+r.Dataset+":"+r.Criterion)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func TestPlanRetentionRules(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name        string
		entries     []statstore.ValidationIterationScores
		checkpoints []int
		opts        statstore.RetentionOptions
		kept        []int
	}{
		{
			name:    "best per criterion in its own direction",
			entries: []statstore.ValidationIterationScores{flat(1000, 0.5, 0.5, 9), flat(2000, 0.9, 0.6, 8), flat(3000, 0.4, 0.1, 7), flat(4000, 0.6, 0.4, 1)},
			kept:    []int{2000, 3000}, // dice best at 2000, voi best at 3000; hausdorff is not store_best
		},
		{
			name:    "all criteria",
			entries: []statstore.ValidationIterationScores{flat(1000, 0.5, 0.5, 9), flat(2000, 0.9, 0.6, 8), flat(3000, 0.4, 0.1, 7), flat(4000, 0.6, 0.4, 1)},
			opts:    statstore.RetentionOptions{AllCriteria: true},
			kept:    []int{2000, 3000, 4000},
		},
		{
			name:    "last K",
			entries: []statstore.ValidationIterationScores{flat(1000, 0.9, 0.1, 9), flat(2000, 0.5, 0.6, 8), flat(3000, 0.4, 0.7, 7)},
			opts:    statstore.RetentionOptions{Last: 2},
			kept:    []int{1000, 2000, 3000},
		},
		{
			name:    "top N with dense ranks",
			entries: []statstore.ValidationIterationScores{flat(1000, 0.9, 0.1, 9), flat(2000, 0.8, 0.9, 8), flat(3000, 0.8, 0.9, 7), flat(4000, 0.7, 0.8, 1), flat(5000, 0.1, 0.95, 1)},
			opts:    statstore.RetentionOptions{Top: 2},
			kept:    []int{1000, 2000, 3000, 4000}, // dice 0.9 rank 1, 0.8 rank 2 (twice); voi 0.1 rank 1, 0.8 rank 2
		},
		{
			name:    "ties keep every tied checkpoint",
			entries: []statstore.ValidationIterationScores{flat(1000, 0.9, 0.5, 9), flat(2000, 0.9, 0.5, 8), flat(3000, 0.1, 0.5, 7)},
			kept:    []int{1000, 2000, 3000}, // voi ties at all three
		},
		{
			name:    "NaN is never best",
			entries: []statstore.ValidationIterationScores{flat(1000, nan, nan, 9), flat(2000, 0.1, 0.9, 8), flat(3000, 0.2, 0.8, 7)},
			kept:    []int{3000},
		},
		{
			name:    "all-NaN criteria keep nothing by themselves",
			entries: []statstore.ValidationIterationScores{flat(1000, nan, nan, nan), flat(2000, nan, nan, nan)},
			kept:    []int{},
		},
		{
			name: "superseded entries are left out, their checkpoints kept to validate again",
			entries: []statstore.ValidationIterationScores{flat(1000, 0.5, 0.5, 9), flat(2000, 0.6, 0.4, 8),
				func() statstore.ValidationIterationScores {
					e := flat(3000, 0.99, 0.01, 1)
					e.Superseded = true
					return e
				}()},
			kept: []int{2000, 3000},
		},
		{
			name: "superseded entries counted when asked",
			entries: []statstore.ValidationIterationScores{flat(1000, 0.5, 0.5, 9), flat(2000, 0.6, 0.4, 8),
				func() statstore.ValidationIterationScores {
					e := flat(3000, 0.99, 0.01, 1)
					e.Superseded = true
					return e
				}()},
			opts: statstore.RetentionOptions{IncludeSuperseded: true},
			kept: []int{3000},
		},
		{
			name:        "weights without validation are kept",
			entries:     []statstore.ValidationIterationScores{flat(1000, 0.5, 0.5, 9), flat(2000, 0.6, 0.4, 8)},
			checkpoints: []int{1000, 2000, 2500, 3000},
			kept:        []int{2000, 2500, 3000},
		},
		{
			name:        "run without validation keeps every checkpoint",
			checkpoints: []int{500, 1000},
			kept:        []int{500, 1000},
		},
		{
			name: "parameter sets and datasets: best anywhere in the grid",
			entries: []statstore.ValidationIterationScores{
				gridEntry(1000, [3]float64{0.1, 0.9, 1}, [3]float64{0.95, 0.9, 1}, [3]float64{0.1, 0.9, 1}, [3]float64{0.1, 0.9, 1}),
				gridEntry(2000, [3]float64{0.5, 0.9, 1}, [3]float64{0.5, 0.9, 1}, [3]float64{0.6, 0.2, 1}, [3]float64{0.6, 0.9, 1}),
			},
			kept: []int{1000, 2000}, // dice on crop_a at 1000 (threshold 0.5); crop_b and voi at 2000
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := plan(t, c.entries, c.checkpoints, c.opts)
			if got := p.Kept(); !slices.Equal(got, c.kept) {
				for _, d := range p.Checkpoints {
					t.Logf("%d keep=%v %v", d.Iteration, d.Keep, reasonKinds(d))
				}
				t.Fatalf("kept %v, want %v", got, c.kept)
			}
			for _, d := range p.Checkpoints {
				if d.Keep != (len(d.Reasons) > 0) {
					t.Errorf("checkpoint %d: keep %v with reasons %v", d.Iteration, d.Keep, d.Reasons)
				}
			}
		})
	}
}

func TestPlanRetentionReasons(t *testing.T) {
	e := flat(3000, 0.99, 0.01, 1)
	e.Superseded = true
	p := plan(t, []statstore.ValidationIterationScores{flat(1000, 0.9, 0.5, 9), flat(2000, 0.5, 0.1, 8), e}, []int{1000, 2000, 3000, 4000}, statstore.RetentionOptions{Last: 1})
	want := map[int][]string{
		1000: {"best:crop_a:dice", "best:crop_b:dice", "best_mean::dice"},
		2000: {"best:crop_a:voi", "best:crop_b:voi", "best_mean::voi"},
		3000: {"superseded_only::"},
		4000: {"last::", "not_validated::"},
	}
	if p.Superseded != 1 || !slices.Equal(p.Criteria, []string{"dice", "voi"}) || p.AllCriteria {
		t.Errorf("superseded %d criteria %v all %v, want 1 [dice voi] false", p.Superseded, p.Criteria, p.AllCriteria)
	}
	for _, d := range p.Checkpoints {
		if got := reasonKinds(d); !slices.Equal(got, want[d.Iteration]) {
			t.Errorf("checkpoint %d: reasons %v, want %v", d.Iteration, got, want[d.Iteration])
		}
	}
	r := p.Checkpoints[0].Reasons[0]
	if r.Parameters != "threshold_0.3" || r.Value != 0.9 || r.String() != "best dice on crop_a (0.9 with threshold_0.3)" {
		t.Errorf("first reason %+v %q", r, r.String())
	}
}

func TestPlanRetentionBadOptions(t *testing.T) {
	v := &statstore.ValidationScores{Metadata: decisionMetadata()}
	for _, o := range []statstore.RetentionOptions{{Top: -1}, {Last: -2}} {
		if _, err := statstore.PlanRetention(v, nil, o); err == nil {
			t.Errorf("options %+v: no error", o)
		}
	}
}

// TestPlanRetentionKeepsEveryBest is the property: every checkpoint a best
// report names (per dataset and over datasets, for the criteria the plan
// counts) is kept, on random grids with NaN and ties.
func TestPlanRetentionKeepsEveryBest(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	val := func() float64 {
		switch rng.IntN(10) {
		case 0:
			return math.NaN()
		case 1:
			return 0.5 // ties
		}
		return float64(rng.IntN(100)) / 100
	}
	for trial := range 300 {
		var entries []statstore.ValidationIterationScores
		for it := 0; it < 1000*(1+rng.IntN(12)); it += 1000 {
			var ts [4][3]float64
			for i := range ts {
				ts[i] = [3]float64{val(), val(), val()}
			}
			e := gridEntry(it, ts[0], ts[1], ts[2], ts[3])
			e.Superseded = rng.IntN(8) == 0
			entries = append(entries, e)
		}
		for _, opts := range []statstore.RetentionOptions{{}, {AllCriteria: true}, {IncludeSuperseded: true, AllCriteria: true}} {
			v := &statstore.ValidationScores{Metadata: decisionMetadata(), Scores: entries}
			p, err := statstore.PlanRetention(v, nil, opts)
			if err != nil {
				t.Fatal(err)
			}
			kept := p.Kept()
			rep := v.BestReportIncluding(opts.IncludeSuperseded)
			for _, b := range append(rep.PerDataset, rep.OverDatasets...) {
				if !b.Found || !slices.Contains(p.Criteria, b.Criterion) {
					continue
				}
				if !slices.Contains(kept, b.Iteration) {
					t.Fatalf("trial %d %+v: best %s/%s at %d not kept (kept %v)", trial, opts, b.Dataset, b.Criterion, b.Iteration, kept)
				}
			}
			for _, d := range p.Checkpoints {
				if d.Keep {
					continue
				}
				// A prunable checkpoint is validated by a counted entry and is nobody's best.
				i := slices.IndexFunc(entries, func(e statstore.ValidationIterationScores) bool { return e.Iteration == d.Iteration })
				if entries[i].Superseded && !opts.IncludeSuperseded {
					t.Fatalf("trial %d: superseded-only checkpoint %d prunable", trial, d.Iteration)
				}
			}
		}
	}
}

func TestPlanRetentionSizes(t *testing.T) {
	entries := []statstore.ValidationIterationScores{flat(1000, 0.5, 0.5, 9), flat(2000, 0.6, 0.4, 8), flat(3000, 0.1, 0.9, 1), flat(5000, 0.1, 0.9, 1)}
	p := plan(t, entries, []int{1000, 2000, 3000, 4000}, statstore.RetentionOptions{})
	if p.FreesBytes != 1000+3000 || !slices.Equal(p.ValidatedWithoutWeights, []int{5000}) || !slices.Equal(p.Prunable(), []int{1000, 3000}) {
		t.Errorf("frees %d, validated without weights %v, prunable %v; want 4000 [5000] [1000 3000]", p.FreesBytes, p.ValidatedWithoutWeights, p.Prunable())
	}
	if p = plan(t, entries, nil, statstore.RetentionOptions{}); p.FreesBytes != -1 || p.ValidatedWithoutWeights != nil || p.Checkpoints[0].Bytes != -1 {
		t.Errorf("without checkpoints: frees %d, validated without weights %v, bytes %d; want -1, none, -1", p.FreesBytes, p.ValidatedWithoutWeights, p.Checkpoints[0].Bytes)
	}
}
