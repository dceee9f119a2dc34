package statstore_test

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/memstore"
)

// lossHistory is iterations 0..n-1 with loss(i).
func lossHistory(t *testing.T, n int, loss func(i int) float64) *statstore.TrainingStats {
	t.Helper()
	entries := make([]statstore.TrainingIterationStats, n)
	for i := range entries {
		entries[i] = statstore.TrainingIterationStats{Iteration: i, Loss: loss(i), Time: 0.1}
	}
	ts, err := statstore.NewTrainingStats(entries...)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func kinds(r statstore.HealthReport) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Kind+":"+f.Severity.String())
	}
	return out
}

func TestCheckHealthLoss(t *testing.T) {
	healthy := lossHistory(t, 1000, func(i int) float64 { return 1 / float64(i+1) })
	if r := statstore.CheckHealth(healthy, nil, statstore.HealthOptions{}); len(r.Findings) != 0 || r.Worst != statstore.SeverityOK {
		t.Errorf("healthy run: %v", kinds(r))
	}
	nanNow := lossHistory(t, 1000, func(i int) float64 {
		if i >= 700 {
			return math.NaN()
		}
		return 1
	})
	r := statstore.CheckHealth(nanNow, nil, statstore.HealthOptions{})
	if !slices.Equal(kinds(r), []string{"non_finite_loss:failure"}) || r.Findings[0].Iteration != 700 || r.Worst != statstore.SeverityFailure {
		t.Errorf("NaN from 700: %v %+v", kinds(r), r.Findings)
	}
	spike := lossHistory(t, 1000, func(i int) float64 {
		if i == 300 {
			return math.Inf(1)
		}
		return 1
	})
	if r = statstore.CheckHealth(spike, nil, statstore.HealthOptions{}); !slices.Equal(kinds(r), []string{"non_finite_loss:warning"}) || !strings.Contains(r.Findings[0].Message, "finite again") {
		t.Errorf("one +Inf at 300: %v %+v", kinds(r), r.Findings)
	}
	// Diverging: the last 100 losses have median 3, the minimum before is 1.
	up := lossHistory(t, 1000, func(i int) float64 {
		if i >= 900 {
			return 3
		}
		return 1 + float64(900-i)/900
	})
	if r = statstore.CheckHealth(up, nil, statstore.HealthOptions{}); !slices.Equal(kinds(r), []string{"diverging:failure"}) || r.Findings[0].Iteration != 900 {
		t.Errorf("diverging: %v %+v", kinds(r), r.Findings)
	}
	if r = statstore.CheckHealth(up, nil, statstore.HealthOptions{Factor: 4}); len(r.Findings) != 0 {
		t.Errorf("factor 4: %v", kinds(r))
	}
}

func TestCheckHealthValidation(t *testing.T) {
	v := proposalScores() // dice at 0, 5000, 10000: 0.2, 0.8, 0.6 (best of the three sets)
	training := lossHistory(t, 20001, func(i int) float64 { return 1 })
	// Training at 20000, validated until 10000 every 5000: 2 checkpoints behind, the default lag.
	if r := statstore.CheckHealth(training, v, statstore.HealthOptions{Plateau: 1}); !slices.Equal(kinds(r), []string{"plateau:warning"}) {
		t.Errorf("lag 2 and plateau over 1: %v", kinds(r))
	}
	r := statstore.CheckHealth(training, v, statstore.HealthOptions{Lag: 1, Plateau: 2})
	if !slices.Equal(kinds(r), []string{"validation_lag:warning"}) || r.Findings[0].Iteration != 10000 {
		t.Errorf("lag 1: %v %+v", kinds(r), r.Findings)
	}
	// Superseded validations do not count: with 10000 superseded the last is 5000.
	v.Scores[2].Superseded = true
	if r = statstore.CheckHealth(training, v, statstore.HealthOptions{Lag: 2}); !slices.Equal(kinds(r), []string{"validation_lag:warning"}) {
		t.Errorf("superseded 10000: %v", kinds(r))
	}
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	stale := statstore.HealthOptions{Stale: time.Hour, Now: now, LastWrite: now.Add(-2 * time.Hour), Lag: 10}
	if r = statstore.CheckHealth(training, v, stale); !slices.Equal(kinds(r), []string{"stalled:warning"}) || !strings.Contains(r.Findings[0].Message, "2h0m0s") {
		t.Errorf("stalled: %v %+v", kinds(r), r.Findings)
	}
	stale.LastWrite = now.Add(-time.Minute)
	if r = statstore.CheckHealth(training, v, stale); len(r.Findings) != 0 {
		t.Errorf("written a minute ago: %v", kinds(r))
	}
}

// TestCheckRunLastWrite: CheckRun takes the run's last write from the
// store when the caller gives none, and the caller's when it does.
func TestCheckRunLastWrite(t *testing.T) {
	ctx := t.Context()
	written := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	s := memstore.NewWithClock(nil, func() time.Time { return written })
	defer s.Close()
	for _, run := range []string{"a", "run", "z"} {
		if err := s.StoreTrainingStats(ctx, run, lossHistory(t, 3, func(int) float64 { return 1 })); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name    string
		opts    statstore.HealthOptions
		stalled bool
	}{
		{"from the store", statstore.HealthOptions{Stale: time.Hour, Now: written.Add(2 * time.Hour)}, true},
		{"fresh", statstore.HealthOptions{Stale: time.Hour, Now: written.Add(time.Minute)}, false},
		{"the caller's", statstore.HealthOptions{Stale: time.Hour, Now: written.Add(2 * time.Hour), LastWrite: written.Add(90 * time.Minute)}, false},
		{"off", statstore.HealthOptions{Now: written.Add(2 * time.Hour)}, false},
		{"now by default", statstore.HealthOptions{Stale: time.Hour}, true}, // written is in the past
	} {
		r, err := statstore.CheckRun(ctx, s, "run", c.opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := slices.Contains(kinds(r), "stalled:warning"); got != c.stalled || r.Run != "run" {
			t.Errorf("%s: got %s %v, want stalled %v", c.name, r.Run, kinds(r), c.stalled)
		}
	}
	if got, err := statstore.LastWrite(ctx, s, "unknown"); err != nil || !got.IsZero() {
		t.Errorf("LastWrite of an unknown run: got %v, %v, want the zero time", got, err)
	}
}
