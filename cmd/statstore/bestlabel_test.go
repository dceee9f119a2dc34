package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBestTableShowsLongParameterSetsByValue: a parameter set named by a
// long class repr (what DaCapo's attrs classes print) is shown by its
// values in the table, and keeps its name in JSON.
func TestBestTableShowsLongParameterSetsByValue(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "stats")
	meta := filepath.Join(t.TempDir(), "meta.json")
	long := "WatershedPostProcessorParameters(id=1, bias=0.75, context=(32, 32, 32))"
	doc := `{"datasets": ["a"], "criteria": "dummy", "parameters": [
		{"id": 0, "name": "bias_0.25", "values": {"bias": 0.25, "context": [32, 32, 32]}},
		{"id": 1, "name": "` + long + `", "values": {"bias": 0.75, "context": [32, 32, 32]}}]}`
	if err := os.WriteFile(meta, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRunIn(t, `{"iteration": 100, "scores": [[[0.1, 0.9], [0.8, 0.2]]]}`, "--store", dir, "--meta", meta, "put", "validation", "r")
	out := mustRun(t, "--store", dir, "best", "r").stdout
	if !strings.Contains(out, "bias=0.75, context=[32, 32, 32]") || strings.Contains(out, "WatershedPostProcessorParameters") {
		t.Errorf("best table:\n%s", out)
	}
	if js := mustRun(t, "--store", dir, "best", "r", "--json").stdout; !strings.Contains(js, `"parameters": "`+long+`"`) {
		t.Errorf("best --json lost the name:\n%s", js)
	}
}
