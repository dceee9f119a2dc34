package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestBenchDaCapo: bench dacapo writes a DaCapo directory in --dir that
// statstore reads like any other, and reports both sides in one JSON line
// (Python's only when python3 is there).
func TestBenchDaCapo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bench")
	var res dacapoBenchResult
	decodeJSON(t, mustRun(t, "bench", "dacapo", "--entries", "2000", "--dir", dir), &res)
	if res.Workload != "dacapo" || res.Entries != 2000 || res.GoS <= 0 || res.ShowS <= 0 || res.RunsS <= 0 || res.RunsGenericS <= 0 {
		t.Errorf("got %+v, want the workload, 2000 entries and every time", res)
	}
	fi, err := os.Stat(filepath.Join(dir, "training_stats", "bench"))
	if err != nil || fi.Size() != res.Bytes {
		t.Errorf("the pickle: %v, %v; want %d bytes", fi, err, res.Bytes)
	}
	if _, err := exec.LookPath("python3"); err == nil {
		if res.Writer != "python3" || res.PythonS == nil || res.Ratio == nil || res.Numpy == nil {
			t.Errorf("got %+v, want Python's time and the ratio", res)
		}
	} else if res.Writer != "statstore" || res.PythonS != nil {
		t.Errorf("got %+v without python3, want statstore's pickle and no Python time", res)
	}
	var runs []runSummary
	decodeJSON(t, mustRun(t, "--store", dir, "runs", "--json"), &runs)
	if len(runs) != 1 || runs[0].TrainingIterations != 2000 || runs[0].MinLossIteration == nil || *runs[0].MinLossIteration != 1999 {
		t.Errorf("runs: %+v, want the run of 2000 iterations, lowest loss at 1999", runs)
	}
	if r := run(t, "bench", "dacapo", "--entries", "10", "--dir", dir); r.code == 0 {
		t.Errorf("bench dacapo into a directory that is not empty: exit 0, want an error")
	}
}
