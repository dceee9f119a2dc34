package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

// flatTraining renders training documents for iterations [from, to) with
// the given loss.
func flatTraining(from, to int, loss float64) string {
	var entries []statstore.TrainingIterationStats
	for it := from; it < to; it++ {
		entries = append(entries, statstore.TrainingIterationStats{Iteration: it, Loss: loss, Time: 0.25})
	}
	return trainingDocs(entries...)
}

// TestResumeSupersedesLaterValidations is the DaCapo resume scenario of
// issue 11: train to 3456, validate 1000/2000/3000, resume from 2000, train
// and validate 3000 again. best never names the old 3000 after the rewind
// (it said so before, with the old code, and named weights that no longer
// exist); the new 3000 is stored.
func TestResumeSupersedesLaterValidations(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "stats")
	meta := validationMeta(t)
	put := func(stdin string, args ...string) result {
		t.Helper()
		return mustRunIn(t, stdin, append([]string{"--store", dir, "--meta", meta, "put"}, args...)...)
	}
	// frizz_level: higher is better; 3000 scores highest before the rewind.
	put(flatTraining(0, 3456, 1), "training", "r")
	put(validationDocs(0.1, 1000, 2000, 3000), "validation", "r")
	bestIterations := func(extra ...string) ([]int, string) {
		t.Helper()
		var lines []struct {
			Iteration *int `json:"iteration"`
		}
		r := mustRun(t, append([]string{"--store", dir, "best", "r", "--json", "--criterion", "frizz_level"}, extra...)...)
		decodeJSON(t, r, &lines)
		var its []int
		for _, l := range lines {
			if l.Iteration != nil {
				its = append(its, *l.Iteration)
			}
		}
		return its, r.stderr
	}
	if its, _ := bestIterations(); !slices.Contains(its, 3000) {
		t.Fatalf("before the rewind best names %v, want 3000 (test setup)", its)
	}

	// Resumed from checkpoint 2000: the history departs there.
	put(flatTraining(0, 2000, 1)+flatTraining(2000, 2500, 0.5), "training", "r")
	its, stderr := bestIterations()
	if slices.Contains(its, 3000) {
		t.Errorf("after the rewind best names %v: the overwritten checkpoint 3000", its)
	}
	if !strings.Contains(stderr, "left out 1 superseded") {
		t.Errorf("best after the rewind says nothing about what it left out; stderr %q", stderr)
	}
	if its, _ := bestIterations("--include-superseded"); !slices.Contains(its, 3000) {
		t.Errorf("best --include-superseded names %v, want 3000", its)
	}
	var details struct {
		Superseded []int `json:"superseded_iterations"`
		Validated  []int `json:"validated_iterations"`
	}
	decodeJSON(t, mustRun(t, "--store", dir, "show", "r", "--json"), &details)
	if !slices.Equal(details.Superseded, []int{3000}) || !slices.Equal(details.Validated, []int{1000, 2000, 3000}) {
		t.Errorf("show after the rewind: validated %v, superseded %v; want [1000 2000 3000], [3000]", details.Validated, details.Superseded)
	}

	// Trained past 3000 again and validated: DaCapo sends its whole list.
	put(flatTraining(0, 2000, 1)+flatTraining(2000, 3100, 0.5), "training", "r")
	put(validationDocs(0.1, 1000, 2000)+validationDocs(0.05, 3000), "validation", "r")
	decodeJSON(t, mustRun(t, "--store", dir, "show", "r", "--json"), &details)
	if len(details.Superseded) != 0 {
		t.Errorf("show after validating 3000 again: superseded %v, want none", details.Superseded)
	}
	if got := storedValidation(t, dir, "r"); got[3000] != 0.05+3 {
		t.Errorf("stored 3000 = %v, want the new validation's %v", got[3000], 0.05+3)
	}
	if its, stderr := bestIterations(); !slices.Contains(its, 3000) || stderr != "" {
		t.Errorf("best after validating 3000 again names %v (stderr %q), want the new 3000 and no note", its, stderr)
	}
}
