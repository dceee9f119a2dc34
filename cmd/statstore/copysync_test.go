package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCopyIsIncremental(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	dst := filepath.Join(t.TempDir(), "dst")
	mustRunIn(t, trainingDocs(iterations(span(0, 100, 1)...)...), "--store", src, "put", "training", "r")
	mustRunIn(t, `{"iteration": 50, "scores": [[[0.5, 0.5]]]}`, "--store", src, "--preset", "dummy", "--datasets", "a", "--parameters", "threshold=0.5", "put", "validation", "r")
	steps := []struct {
		docs string
		want string
	}{
		{"", "copied 1 run(s)"},
		{trainingDocs(iterations(span(0, 130, 1)...)...), "0 copied whole, 1 extended (30 new entries), 0 up to date, 0 validation entries merged"},
		{"", "0 copied whole, 0 extended (0 new entries), 1 up to date, 0 validation entries merged"},
	}
	for i, st := range steps {
		if st.docs != "" {
			mustRunIn(t, st.docs, "--store", src, "put", "training", "r")
		}
		out := mustRun(t, "copy", "--from", src, "--to", dst).stdout
		if !strings.Contains(out, st.want) {
			t.Errorf("copy %d: %q, want %q", i, out, st.want)
		}
	}
	if a, b := mustRun(t, "--store", src, "export", "r").stdout, mustRun(t, "--store", dst, "export", "r").stdout; a != b {
		t.Errorf("the copy differs from the source")
	}
	// --since: a run not written for 3 hours is left alone.
	old := time.Now().Add(-3 * time.Hour)
	for _, f := range []string{"training_stats", "validation_scores"} {
		matches, _ := filepath.Glob(filepath.Join(src, f, "*"))
		for _, m := range matches {
			if err := os.Chtimes(m, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	if out := mustRun(t, "copy", "--from", src, "--to", dst, "--since", "1h").stdout; !strings.Contains(out, "1 not written since --since") {
		t.Errorf("--since 1h: %q", out)
	}
	if out := mustRun(t, "copy", "--from", src, "--to", dst, "--since", "1d").stdout; !strings.Contains(out, "1 up to date") {
		t.Errorf("--since 1d: %q", out)
	}
	if r := run(t, "copy", "--from", src, "--to", dst, "--since", "yesterday"); r.code != exitUsage {
		t.Errorf("--since yesterday: exit %d", r.code)
	}
}
