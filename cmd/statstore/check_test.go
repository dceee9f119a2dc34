package main

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/statstore/statstore"
)

// healthStore holds runs made to show each condition: healthy, nan (the
// latest losses NaN), diverging, lagging (validated at 0 and 1000 of
// 10000 iterations).
func healthStore(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "stats")
	s := openFileStore(t, dir) // closed at the test's end
	ctx := context.Background()
	put := func(run string, loss func(i int) float64) {
		entries := make([]statstore.TrainingIterationStats, 10000)
		for i := range entries {
			entries[i] = statstore.TrainingIterationStats{Iteration: i, Loss: loss(i), Time: 0.1}
		}
		ts, err := statstore.NewTrainingStats(entries...)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.StoreTrainingStats(ctx, run, ts); err != nil {
			t.Fatal(err)
		}
	}
	put("healthy", func(i int) float64 { return 1 / float64(i+1) })
	put("nan", func(i int) float64 {
		if i > 9990 {
			return math.NaN()
		}
		return 1
	})
	put("diverging", func(i int) float64 { return 1 + float64(max(i-9000, 0)) })
	put("lagging", func(i int) float64 { return 1 })
	meta := statstore.Metadata{Datasets: []string{"a"}, Parameters: statstore.ThresholdParameters(0.5), EvaluationScores: statstore.DummyCriteria()}
	v := &statstore.ValidationScores{Metadata: meta, Scores: []statstore.ValidationIterationScores{
		{Iteration: 0, Scores: [][][]float64{{{0.1, 0.9}}}}, {Iteration: 1000, Scores: [][][]float64{{{0.5, 0.5}}}},
	}}
	if err := s.StoreValidationIterationScores(ctx, "lagging", v); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCheck(t *testing.T) {
	dir := healthStore(t)
	if r := run(t, "--store", dir, "check", "healthy"); r.code != 0 || !strings.Contains(r.stdout, "healthy  ok") {
		t.Errorf("healthy: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	cases := []struct {
		run, want string
		code      int
	}{
		{"nan", "non_finite_loss: loss is NaN since iteration 9991", exitFailing},
		{"diverging", "diverging: median loss of the last 100 iterations (from 9900)", exitFailing},
		{"lagging", "validation_lag: last validated checkpoint 1000 is 8 checkpoints (every 1000) behind training at 9999", exitError},
	}
	for _, c := range cases {
		r := run(t, "--store", dir, "check", c.run)
		if r.code != c.code || !strings.Contains(r.stdout, c.want) || !strings.Contains(r.stderr, "need attention") {
			t.Errorf("%s: exit %d (want %d)\n%s%s", c.run, r.code, c.code, r.stdout, r.stderr)
		}
	}
	// Every run: the worst decides the status; JSON for scripts.
	r := run(t, "--store", dir, "check", "--json")
	if r.code != exitFailing || !strings.Contains(r.stdout, `"status": "failure"`) || !strings.Contains(r.stdout, `"kind": "validation_lag"`) {
		t.Errorf("every run: exit %d\n%s", r.code, r.stdout)
	}
	if r = run(t, "--store", dir, "check", "lagging", "--lag", "10"); r.code != 0 {
		t.Errorf("--lag 10: exit %d\n%s", r.code, r.stdout)
	}
}

// TestCheckStale: a run whose files were last modified 3 hours ago (aged
// with os.Chtimes) is stalled under --stale 2h, and only then; a fresh run
// is not; runs --json shows each run's last write.
func TestCheckStale(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "stats")
	s := openFileStore(t, dir)
	ctx := context.Background()
	for _, name := range []string{"hung", "fresh"} {
		ts, err := statstore.NewTrainingStats(iterations(0, 1, 2)...)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.StoreTrainingStats(ctx, name, ts); err != nil {
			t.Fatal(err)
		}
	}
	aged := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
	files, err := filepath.Glob(filepath.Join(dir, "*", "hung"))
	if err != nil || len(files) == 0 {
		t.Fatalf("the files of run hung: %v, %v", files, err)
	}
	for _, f := range files {
		if err := os.Chtimes(f, aged, aged); err != nil {
			t.Fatal(err)
		}
	}

	r := run(t, "--store", dir, "check", "--stale", "2h")
	// The age is rounded to the second and the command runs a moment after
	// the files were aged: 3h0m0s, or 3h0m1s on a slow machine.
	stalled := regexp.MustCompile(`hung   warning  -   stalled: no write for 3h0m[0-9]s \(last at ` + regexp.QuoteMeta(aged.UTC().Format(time.RFC3339)) + `\), longer than 2h0m0s`)
	if r.code != exitError || !stalled.MatchString(r.stdout) ||
		!strings.Contains(r.stdout, "fresh  ok") || !strings.Contains(r.stderr, "1 of 2 runs need attention (0 failures, 1 warnings): hung") {
		t.Errorf("--stale 2h: exit %d (want %d)\n%s%s", r.code, exitError, r.stdout, r.stderr)
	}
	for _, args := range [][]string{{"check"}, {"check", "--stale", "4h"}, {"check", "--stale", "0"}, {"check", "fresh", "--stale", "1m"}} {
		if r := run(t, append([]string{"--store", dir}, args...)...); r.code != 0 || strings.Contains(r.stdout, "stalled") {
			t.Errorf("%v: exit %d, want 0 and no stalled finding\n%s%s", args, r.code, r.stdout, r.stderr)
		}
	}
	var listed []struct {
		Run       string     `json:"run"`
		LastWrite *time.Time `json:"last_write"`
	}
	decodeJSON(t, mustRun(t, "--store", dir, "runs", "--json"), &listed)
	if len(listed) != 2 || listed[1].Run != "hung" || listed[1].LastWrite == nil || !listed[1].LastWrite.Equal(aged) ||
		listed[0].LastWrite == nil || listed[0].LastWrite.Before(aged.Add(time.Hour)) {
		t.Errorf("runs --json: got %+v, want hung last written at %s and fresh later", listed, aged)
	}
}
