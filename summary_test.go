package statstore_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/statstore/statstore"
)

func TestSummarizeHandComputed(t *testing.T) {
	ts, err := statstore.NewTrainingStats(
		statstore.TrainingIterationStats{Iteration: 0, Loss: 0.9},
		statstore.TrainingIterationStats{Iteration: 1, Loss: math.NaN()},
		statstore.TrainingIterationStats{Iteration: 2, Loss: 0.4},
		statstore.TrainingIterationStats{Iteration: 3, Loss: 0.5},
	)
	if err != nil {
		t.Fatal(err)
	}
	e1 := statstore.ValidationIterationScores{Iteration: 1, Scores: filled(2, 3, 3, func(d, p, c int) float64 { return 0.1 * float64(p+1) })}
	e2 := statstore.ValidationIterationScores{Iteration: 2, Scores: filled(2, 3, 3, func(d, p, c int) float64 { return 0.9 }), Superseded: true}
	v := validationScores(t, e1, e2)
	s := statstore.Summarize("r", ts, v)
	if s.TrainedUntil != 4 || s.TrainingIterations != 4 || s.ValidatedUntil != 3 || s.ValidationIterations != 2 {
		t.Errorf("counts: got %+v, want trained until 4 (4 entries), validated until 3 (2 entries)", s.RunInfo)
	}
	if s.LastLoss != 0.5 || s.MinLoss != 0.4 || s.MinLossIteration != 2 {
		t.Errorf("losses: got last %v min %v at %d, want 0.5, 0.4 at 2", s.LastLoss, s.MinLoss, s.MinLossIteration)
	}
	if len(s.Best) != 6 {
		t.Fatalf("got %d best lines, want 6 (2 datasets × 3 criteria)", len(s.Best))
	}
	// The superseded 0.9 is left out: dice (higher) takes 0.3 at the third
	// threshold, voi and loss (lower) 0.1 at the first.
	want := map[string]float64{"dice": 0.30000000000000004, "voi": 0.1, "loss": 0.1}
	for _, b := range s.Best {
		if !b.Found || b.Value != want[b.Criterion] || b.Iteration != 1 {
			t.Errorf("best %s/%s: got %v at %d (found %v), want %v at 1", b.Dataset, b.Criterion, b.Value, b.Iteration, b.Found, want[b.Criterion])
		}
	}
	if !slices.Contains(s.Health, statstore.FindingNonFiniteLoss) {
		t.Errorf("health %v: want %s (a NaN loss)", s.Health, statstore.FindingNonFiniteLoss)
	}
	empty := statstore.Summarize("e", nil, nil)
	if !math.IsNaN(empty.LastLoss) || !math.IsNaN(empty.MinLoss) || empty.Best != nil || empty.Health != nil {
		t.Errorf("empty run: got %+v, want NaN losses and nothing else", empty)
	}
}

// TestSummaryIncremental checks that a summary kept up to date by
// AppendTraining and SetValidation equals Summarize of the whole history,
// over random histories cut at random points.
func TestSummaryIncremental(t *testing.T) {
	seed := uint64(1)
	rng := rand.New(rand.NewPCG(seed, 2))
	for trial := range 200 {
		n := 1 + rng.IntN(300)
		entries := make([]statstore.TrainingIterationStats, n)
		for i := range entries {
			loss := rng.Float64()
			if rng.IntN(50) == 0 {
				loss = math.NaN()
			}
			entries[i] = statstore.TrainingIterationStats{Iteration: i, Loss: loss}
		}
		var vs []statstore.ValidationIterationScores
		for it := 0; it < n+100; it += 10 * (1 + rng.IntN(3)) {
			vs = append(vs, statstore.ValidationIterationScores{Iteration: it, Superseded: rng.IntN(5) == 0,
				Scores: filled(2, 3, 3, func(int, int, int) float64 { return rng.Float64() })})
		}
		v := validationScores(t, vs...)
		got := statstore.Summarize("r", nil, nil)
		for from := 0; from < n; {
			to := min(n, from+1+rng.IntN(60))
			got.AppendTraining(entries[from:to])
			if rng.IntN(3) == 0 {
				got.SetValidation(v)
			}
			from = to
		}
		got.SetValidation(v)
		got.AppendTraining(nil)
		want := statstore.Summarize("r", &statstore.TrainingStats{IterationStats: entries}, v)
		if !statstore.EqualSummaries(got, want) {
			t.Fatalf("seed %d trial %d: incremental\n%+v\nwant\n%+v", seed, trial, got, want)
		}
	}
}

func TestRunSummaryJSON(t *testing.T) {
	v := validationScores(t, entry(0, 0.5), entry(10, math.NaN()))
	s := statstore.Summarize("a__1", trainingStats(t, 0, 1, 2), v)
	s.SetMeta(statstore.RunMeta{Tags: map[string]string{"arch": "unet"}, Config: json.RawMessage(`{"b": 1, "a": 2}`)})
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back statstore.RunSummary
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("Unmarshal(%s): %v", b, err)
	}
	if !statstore.EqualSummaries(back, s) || !reflect.DeepEqual(back.Tags, s.Tags) || back.MetaDigest != s.MetaDigest {
		t.Errorf("round trip: got %+v, want %+v", back, s)
	}
	for _, bad := range []string{`{"run": ""}`, `{"run": "a", "last_loss": "x"}`, `[]`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("Unmarshal(%s): no error, want one", bad)
		}
	}
	same := statstore.RunMeta{Tags: map[string]string{"arch": "unet"}, Config: json.RawMessage(`{"a":2,"b":1}`)}
	if statstore.MetaDigest(same) != s.MetaDigest || statstore.MetaDigest(statstore.RunMeta{}) != "" {
		t.Errorf("MetaDigest: the same metadata spelled differently digests differently, or zero metadata has a digest")
	}
}

func FuzzRunSummaryUnmarshalJSON(f *testing.F) {
	f.Add([]byte(`{"run":"a","trained_until":3,"last_loss":"NaN","best":[{"dataset":"d","mean_over_datasets":false,"criterion":"c","higher_is_better":true,"iteration":1,"parameter_id":0,"parameters":"p","value":0.5}],"tags":{"k":"v"}}`))
	f.Add([]byte(`{"run":"a","last_write":"2026-01-02T03:04:05Z"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var s statstore.RunSummary
		if err := json.Unmarshal(data, &s); err != nil {
			return
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("Marshal of a decoded summary: %v", err)
		}
		var back statstore.RunSummary
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("Unmarshal(%s) of what Marshal wrote: %v", b, err)
		}
	})
}
