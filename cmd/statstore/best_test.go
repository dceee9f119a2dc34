package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/statstore/statstore"
)

// TestBestAllNaN: a criterion whose every value is NaN has a null
// iteration, parameter set and id, and the value "NaN"; NaN is skipped
// elsewhere.
func TestBestAllNaN(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "stats")
	in := `{"iteration": 100, "scores": [[[0.5, NaN], [0.7, "NaN"]]]}
{"iteration": 200, "scores": [[[NaN, NaN], [0.6, NaN]]]}
`
	mustRunIn(t, in, "--store", dir, "--meta", validationMeta(t), "put", "validation", "r")
	res := mustRun(t, "--store", dir, "best", "r", "--json")
	var lines []statstore.Best
	decodeJSON(t, res, &lines)
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2", len(lines))
	}
	frizz, blipp := lines[0], lines[1]
	if frizz.Criterion != "frizz_level" || !frizz.Found || frizz.Iteration != 100 || frizz.Parameters != "threshold_0.7" || frizz.ParameterID != 1 || frizz.Value != 0.7 {
		t.Errorf("frizz_level best %+v, want iteration 100, threshold_0.7 (id 1), 0.7", frizz)
	}
	if blipp.Criterion != "blipp_score" || blipp.Found {
		t.Errorf("blipp_score best %+v, want nothing found", blipp)
	}
	// On the wire: nulls and the string "NaN".
	var raw []map[string]any
	decodeJSON(t, res, &raw)
	for _, key := range []string{"iteration", "parameter_id", "parameters"} {
		if v, ok := raw[1][key]; !ok || v != nil {
			t.Errorf("blipp_score %s = %v (present %v), want null", key, v, ok)
		}
	}
	if v := raw[1]["value"]; v != "NaN" {
		t.Errorf("blipp_score value = %v, want \"NaN\"", v)
	}
	if out := mustRun(t, "--store", dir, "best", "r").stdout; !strings.Contains(out, "blipp_score") || !strings.Contains(out, " -  ") {
		t.Errorf("table shows the all-NaN criterion without dashes:\n%s", out)
	}
}

// TestImportProgress: the progress bar is drawn on a terminal only.
func TestImportProgress(t *testing.T) {
	dirs := dacapoTestdataDirs(t)
	if len(dirs) == 0 {
		t.Fatal("package dacapo's testdata/proto* directories are missing")
	}
	for _, terminal := range []bool{false, true} {
		var stdout, stderr bytes.Buffer
		app := &App{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Progress: terminal, now: steppingClock(time.Second)}
		store := filepath.Join(t.TempDir(), "stats")
		if code := app.Run(context.Background(), []string{"--store", store, "--log-level", "error", "import", "dacapo", dirs[0]}); code != 0 {
			t.Fatalf("import: exit %d: %s", code, stderr.String())
		}
		if drawn := strings.Contains(stderr.String(), "importing"); drawn != terminal {
			t.Errorf("terminal %v: progress drawn %v, stderr %q", terminal, drawn, stderr.String())
		}
		if !strings.Contains(stdout.String(), "imported 3 run(s)") {
			t.Errorf("stdout %q, want the import summary", stdout.String())
		}
	}
}
