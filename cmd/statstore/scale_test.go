package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// invokeCounting runs args in-process like invoke and counts, per pickle
// path, how often package dacapo decoded it.
func invokeCounting(t *testing.T, args ...string) (result, map[string]int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	decodes := map[string]int{}
	app := &App{
		Stdin:  strings.NewReader(""),
		Stdout: &stdout,
		Stderr: &stderr,
		onDecode: func(path string, done, size int64) {
			if done == size {
				decodes[path]++
			}
		},
	}
	code := app.Run(context.Background(), args)
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}, decodes
}

// TestDaCapoCommandsDecodeEachPickleOnce: every command reading a DaCapo
// directory decodes each pickle it needs once (issue 16: import decoded
// every pickle twice, export dacapo three times, show the training twice),
// and the commands over every run decode every pickle.
func TestDaCapoCommandsDecodeEachPickleOnce(t *testing.T) {
	src := filepath.Join("..", "..", "dacapo", "testdata", "proto4")
	all, err := filepath.Glob(filepath.Join(src, "*_*", "*"))
	if err != nil || len(all) != 5 {
		t.Fatalf("proto4 pickles: %v, %v; want 5", all, err)
	}
	run := "numpy_v1_run"
	both := []string{filepath.Join(src, "training_stats", run), filepath.Join(src, "validation_scores", run)}
	tmp := t.TempDir()
	// numpy_v1_run's scores are 1 dataset × 3 parameter sets × 4 criteria.
	meta := filepath.Join(tmp, "meta.json")
	if err := os.WriteFile(meta, []byte(`{"datasets": ["d"],
		"parameters": [{"id": 0, "name": "t0"}, {"id": 1, "name": "t1"}, {"id": 2, "name": "t2"}],
		"criteria": [{"name": "a", "higher_is_better": true}, {"name": "b", "higher_is_better": true},
			{"name": "c"}, {"name": "d"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	oneRun := []string{"--meta", meta}
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"runs"}, all},
		{append([]string{"show", run}, oneRun...), both},
		{append([]string{"best", run}, oneRun...), both},
		{[]string{"export", run}, both[:1]},
		{append([]string{"export", run, "--what", "validation"}, oneRun...), both},
		{[]string{"export", "dacapo", filepath.Join(tmp, "exported")}, all},
		{[]string{"import", "dacapo", src, "--store", filepath.Join(tmp, "imported")}, all},
		{[]string{"copy", "--from", src, "--to", filepath.Join(tmp, "copied")}, all},
	} {
		name := strings.Join(tt.args, " ")
		t.Run(name, func(t *testing.T) {
			args := append([]string{"--store", src, "--log-level", "error"}, tt.args...)
			r, decodes := invokeCounting(t, args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			var paths []string
			for p, n := range decodes {
				paths = append(paths, p)
				if n != 1 {
					t.Errorf("%s decoded %d times, want once", p, n)
				}
			}
			slices.Sort(paths)
			want := slices.Sorted(slices.Values(tt.want))
			if !slices.Equal(paths, want) {
				t.Errorf("decoded %q, want %q", paths, want)
			}
		})
	}
}

// TestMemoryBudgetFlag: --memory-budget and $STATSTORE_MEMORY_BUDGET set
// the budget (the flag wins); a pickle over it is an error naming the
// file, what it would need, the flag and the variable, and no Go name;
// runs lists it with the same advice; a budget that is not a size is a
// usage error.
func TestMemoryBudgetFlag(t *testing.T) {
	src := filepath.Join("..", "..", "dacapo", "testdata", "proto4")
	path := filepath.Join(src, "training_stats", "plain_run")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	tooSmall := "100" // bytes: less than the file
	if fi.Size() <= 100 {
		t.Fatalf("%s is %d bytes, want more than 100", path, fi.Size())
	}
	base := []string{"--store", src, "--log-level", "error"}
	for _, inv := range []invocation{
		{args: append(append([]string{}, base...), "--memory-budget", tooSmall, "export", "plain_run")},
		{args: append(append([]string{}, base...), "export", "plain_run"), env: map[string]string{envMemoryBudget: tooSmall}},
		{args: append(append([]string{}, base...), "--memory-budget", tooSmall, "import", "dacapo", src, "--store", filepath.Join(t.TempDir(), "s"), "--run", "plain_run")},
	} {
		r := invoke(t, inv)
		if r.code == 0 {
			t.Fatalf("%q: exit 0, want an error", inv.args)
		}
		for _, want := range []string{path, "would need", "memory budget", "--memory-budget", envMemoryBudget} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%q: stderr %q lacks %q", inv.args, r.stderr, want)
			}
		}
		for _, goName := range []string{"Options", "MemoryBudget", "MaxFileSize", "BudgetError"} {
			if strings.Contains(r.stderr, goName) {
				t.Errorf("%q: stderr %q names the Go name %s", inv.args, r.stderr, goName)
			}
		}
	}
	// The flag wins over the variable; a large budget reads the file.
	r := invoke(t, invocation{args: append(append([]string{}, base...), "--memory-budget", "1GiB", "export", "plain_run"), env: map[string]string{envMemoryBudget: tooSmall}})
	if r.code != 0 {
		t.Fatalf("--memory-budget 1GiB with $%s=%s: exit %d: %s", envMemoryBudget, tooSmall, r.code, r.stderr)
	}
	r = invoke(t, invocation{args: append(append([]string{}, base...), "--memory-budget", tooSmall, "runs")})
	if r.code == 0 || !strings.Contains(r.stdout, "plain_run") || !strings.Contains(r.stdout, "--memory-budget") || !strings.Contains(r.stdout, "numpy2_ünet") {
		t.Errorf("runs under a small budget: exit %d, stdout %q; want the runs listed, plain_run with the flag's advice", r.code, r.stdout)
	}
	for _, bad := range []string{"lots", "-1GiB", "0"} {
		r := run(t, "--store", src, "--memory-budget", bad, "runs")
		if r.code != exitUsage || !strings.Contains(r.stderr, "--memory-budget") {
			t.Errorf("--memory-budget %s: exit %d, stderr %q; want a usage error naming the flag", bad, r.code, r.stderr)
		}
	}
}
