package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/filestore"
)

// result is what one in-process invocation printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

// invocation describes one command line run in-process.
type invocation struct {
	args  []string
	stdin string
	env   map[string]string
	// interactive makes stdin count as a terminal (prompts are answered
	// from stdin).
	interactive bool
}

// run executes args in-process with no environment and empty stdin.
func run(t testing.TB, args ...string) result {
	t.Helper()
	return invoke(t, invocation{args: args})
}

// runIn executes args with stdin.
func runIn(t testing.TB, stdin string, args ...string) result {
	t.Helper()
	return invoke(t, invocation{args: args, stdin: stdin})
}

func invoke(t testing.TB, inv invocation) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	app := &App{
		Stdin:       strings.NewReader(inv.stdin),
		Stdout:      &stdout,
		Stderr:      &stderr,
		Getenv:      func(k string) string { return inv.env[k] },
		Interactive: inv.interactive,
	}
	code := app.Run(context.Background(), inv.args)
	r := result{stdout: stdout.String(), stderr: stderr.String(), code: code}
	if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic:") {
		t.Fatalf("statstore %s printed a stack trace:\n%s", strings.Join(inv.args, " "), r.stderr)
	}
	return r
}

// mustRun runs args and fails the test unless they succeed.
func mustRun(t testing.TB, args ...string) result {
	t.Helper()
	return mustRunIn(t, "", args...)
}

func mustRunIn(t testing.TB, stdin string, args ...string) result {
	t.Helper()
	r := runIn(t, stdin, args...)
	if r.code != 0 {
		t.Fatalf("statstore %s: exit %d, want 0\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// decodeJSON decodes a command's JSON output into v.
func decodeJSON(t testing.TB, r result, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
		t.Fatalf("output is not the JSON wanted (%v):\n%s", err, r.stdout)
	}
}

// demoStore writes the demo into a new temporary store, once per test,
// with few iterations to stay fast.
func demoStore(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "stats")
	mustRun(t, "--store", dir, "demo", "--iterations", "2000", "--validate-every", "200")
	return dir
}

// openFileStore opens a file store directly, to check what commands wrote.
func openFileStore(t testing.TB, dir string) *filestore.Store {
	t.Helper()
	s, err := filestore.Open(dir, filestore.Options{NoSync: true})
	if err != nil {
		t.Fatalf("filestore.Open(%s): %v", dir, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close %s: %v", dir, err)
		}
	})
	return s
}

// dacapoSampleDirs returns the DaCapo sample directories present on this
// machine: ../shared/dacapo/sample-stats{,-numpy} (repository-relative).
func dacapoSampleDirs(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, name := range []string{"sample-stats", "sample-stats-numpy"} {
		dir := filepath.Join("..", "..", "..", "shared", "dacapo", name)
		if _, err := os.Stat(filepath.Join(dir, "expected.json")); err == nil {
			out = append(out, dir)
		}
	}
	return out
}

// dacapoTestdataDirs returns the DaCapo directories committed with package
// dacapo (one per pickle protocol), which every checkout has.
func dacapoTestdataDirs(t testing.TB) []string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join("..", "..", "dacapo", "testdata", "proto*"))
	if err != nil {
		t.Fatal(err)
	}
	return matches
}

// copyDir copies a directory tree (DaCapo sample directories are read-only).
func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
	if err != nil {
		t.Fatalf("copy %s to %s: %v", src, dst, err)
	}
}

// trainingDocs renders training entries as JSON Lines for put.
func trainingDocs(entries ...statstore.TrainingIterationStats) string {
	var b strings.Builder
	for _, e := range entries {
		line, _ := json.Marshal(map[string]any{"iteration": e.Iteration, "loss": e.Loss, "time": e.Time})
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// iterations returns entries for the given iterations with loss 1/(i+1).
func iterations(its ...int) []statstore.TrainingIterationStats {
	out := make([]statstore.TrainingIterationStats, len(its))
	for i, it := range its {
		out[i] = statstore.TrainingIterationStats{Iteration: it, Loss: 1 / float64(it+1), Time: 0.5}
	}
	return out
}

// span returns the iterations from..to-1 with the given step.
func span(from, to, step int) []int {
	var out []int
	for i := from; i < to; i += step {
		out = append(out, i)
	}
	return out
}
