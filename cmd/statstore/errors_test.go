package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
)

func TestErrors(t *testing.T) {
	dir := demoStore(t)
	missing := filepath.Join(t.TempDir(), "nothing-here")
	notDaCapo := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		want []string // substrings of stderr
	}{
		{"unknown command", []string{"frobnicate"}, exitUsage, []string{"unknown command", "--help"}},
		{"unknown flag", []string{"runs", "--frob"}, exitUsage, []string{"unknown flag"}},
		{"missing argument", []string{"--store", dir, "show"}, exitUsage, []string{"accepts 1 arg"}},
		{"too few runs to compare", []string{"--store", dir, "compare", "demo_unet"}, exitUsage, []string{"at least 2"}},
		{"bad log level", []string{"--log-level", "loud", "runs"}, exitUsage, []string{"--log-level"}},
		{"no store", []string{"--store", missing, "runs"}, exitError, []string{"no store at", "demo"}},
		{"unknown run", []string{"--store", dir, "show", "nope"}, exitError, []string{`"nope"`, "statstore runs"}},
		{"invalid run name", []string{"--store", dir, "show", "a/b"}, exitError, []string{"path separator", "run name is"}},
		{"unknown criterion", []string{"--store", dir, "best", "demo_unet", "--criterion", "accuracy"}, exitUsage, []string{`"accuracy"`, "f1_score"}},
		{"unknown dataset", []string{"--store", dir, "best", "demo_unet", "--dataset", "crop_z"}, exitUsage, []string{`"crop_z"`, "crop_a, crop_b"}},
		{"no validation", []string{"--store", dir, "best", "nope"}, exitError, []string{"no validation scores"}},
		{"bad export format", []string{"--store", dir, "export", "demo_unet", "--format", "xlsx"}, exitUsage, []string{"xlsx", "csv, jsonl or parquet"}},
		{"bad export what", []string{"--store", dir, "export", "demo_unet", "--what", "both"}, exitUsage, []string{"training or validation"}},
		{"import from a non-DaCapo dir", []string{"--store", dir, "import", "dacapo", notDaCapo}, exitUsage, []string{"not a DaCapo stats directory"}},
		{"import without kind", []string{"import"}, exitUsage, []string{"import dacapo SRC"}},
		{"copy without destination", []string{"--store", dir, "copy"}, exitUsage, []string{`"to"`}},
		{"copy onto itself", []string{"--store", dir, "copy", "--to", dir}, exitUsage, []string{"two different stores"}},
		{"fsck without store", []string{"--store", missing, "fsck"}, exitError, []string{"no store directory"}},
		{"metadata file missing", []string{"--store", dir, "--meta", filepath.Join(missing, "m.json"), "put", "validation", "r"}, exitError, []string{"metadata file", "--meta FILE"}},
		{"demo with bad size", []string{"--store", dir, "demo", "--iterations", "1"}, exitUsage, []string{"--iterations"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", r.code, tt.code, r.stderr)
			}
			if !strings.HasPrefix(r.stderr, "statstore: ") {
				t.Errorf("stderr does not start with \"statstore: \":\n%s", r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
		})
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("reading a missing store created %s", missing)
	}
}

func TestMetadataFileErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, meta, want string
	}{
		{"not JSON", `{"datasets": [`, "metadata file"},
		{"unknown preset", `{"datasets": ["a"], "parameters": [{"id": 0, "name": "p"}], "criteria": "nope"}`, "nope"},
		{"missing criteria", `{"datasets": ["a"], "parameters": [{"id": 0, "name": "p"}]}`, "criteria"},
		{"repeated dataset", `{"datasets": ["a", "a"], "parameters": [{"id": 0, "name": "p"}], "criteria": "dummy"}`, `"a" given twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".json")
			if err := os.WriteFile(path, []byte(tt.meta), 0o644); err != nil {
				t.Fatal(err)
			}
			r := runIn(t, `{"iteration": 1, "scores": [[[1, 2]]]}`, "--store", filepath.Join(dir, "stats"), "--meta", path, "put", "validation", "r")
			if r.code != exitError || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 1 mentioning %q", r.code, r.stderr, tt.want)
			}
		})
	}
}

func TestHelpOnEveryCommand(t *testing.T) {
	root := newRootCmd(&App{})
	var paths [][]string
	var walk func(prefix []string, cmds []*cobra.Command)
	walk = func(prefix []string, cmds []*cobra.Command) {
		for _, c := range cmds {
			p := append(append([]string(nil), prefix...), c.Name())
			paths = append(paths, p)
			walk(p, c.Commands())
		}
	}
	walk(nil, root.Commands())
	if len(paths) < 16 {
		t.Fatalf("found %d commands, want every subcommand: %v", len(paths), paths)
	}
	for _, p := range paths {
		t.Run(strings.Join(p, " "), func(t *testing.T) {
			r := mustRun(t, append(p, "--help")...)
			if !strings.Contains(r.stdout, "Usage:") {
				t.Errorf("help lacks Usage:\n%s", r.stdout)
			}
		})
	}
}

func TestCompletion(t *testing.T) {
	dir := demoStore(t)
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		t.Run(shell, func(t *testing.T) {
			r := mustRun(t, "completion", shell)
			if !strings.Contains(r.stdout, "statstore") || len(r.stdout) < 500 {
				t.Errorf("completion %s printed %d bytes", shell, len(r.stdout))
			}
		})
	}
	t.Run("run names", func(t *testing.T) {
		r := mustRun(t, "--store", dir, "__complete", "best", "")
		if !strings.Contains(r.stdout, "demo_unet\n") || !strings.Contains(r.stdout, "demo_unet_small\n") {
			t.Errorf("run name completion:\n%s", r.stdout)
		}
	})
	t.Run("criteria of a run", func(t *testing.T) {
		r := mustRun(t, "--store", dir, "__complete", "best", "demo_unet", "--criterion", "")
		if !strings.Contains(r.stdout, "f1_score\n") || !strings.Contains(r.stdout, "hausdorff\n") {
			t.Errorf("criterion completion:\n%s", r.stdout)
		}
	})
	t.Run("export formats", func(t *testing.T) {
		r := mustRun(t, "__complete", "export", "x", "--format", "")
		if !strings.Contains(r.stdout, "parquet\n") {
			t.Errorf("format completion:\n%s", r.stdout)
		}
	})
}

// TestPathNamedOnce: a message names a path once (issue 10: "paths
// repeated in messages", e.g. "open store P: filestore: open P: mkdir P:
// not a directory").
func TestPathNamedOnce(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		stdin string
		path  string
	}{
		{"store is a file, write", []string{"--store", file, "put", "training", "r"}, `{"iteration": 0, "loss": 1, "time": 1}`, file},
		{"store is a file, read", []string{"--store", file, "runs"}, "", file},
		{"store under a file, write", []string{"--store", filepath.Join(file, "s"), "put", "training", "r"}, `{"iteration": 0, "loss": 1, "time": 1}`, filepath.Join(file, "s")},
		{"metadata file is a directory", []string{"--store", filepath.Join(tmp, "s"), "--meta", tmp, "put", "validation", "r"}, `{"iteration": 0, "scores": [[[1]]]}`, tmp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runIn(t, tt.stdin, tt.args...)
			if r.code == exitOK {
				t.Fatalf("exit 0, want an error; stdout:\n%s", r.stdout)
			}
			msg, _, _ := strings.Cut(r.stderr, "\nhint:")
			if n := strings.Count(msg, tt.path+":"); n != 1 {
				t.Errorf("the message names %s %d times, want once:\n%s", tt.path, n, r.stderr)
			}
		})
	}
}

func TestNamePathsOnce(t *testing.T) {
	tests := []struct {
		msg   string
		paths []string
		want  string
	}{
		{"open store /s: filestore: open /s: mkdir /s: not a directory", []string{"/s"}, "open store /s: filestore: open: mkdir: not a directory"},
		{"read metadata file /m: read /m: is a directory", []string{"/m"}, "read metadata file /m: read: is a directory"},
		// A path that only starts another one is not a repetition.
		{"open store /s/x: filestore: open /s/x: mkdir /s: not a directory", []string{"/s"}, "open store /s/x: filestore: open /s/x: mkdir /s: not a directory"},
		{"open store /s/x: filestore: open /s/x: mkdir /s: not a directory", []string{"/s", "/s/x"}, "open store /s/x: filestore: open: mkdir /s: not a directory"},
		{"no paths: x", nil, "no paths: x"},
	}
	for _, tt := range tests {
		if got := namePathsOnce(tt.msg, tt.paths); got != tt.want {
			t.Errorf("namePathsOnce(%q, %q) =\n%q, want\n%q", tt.msg, tt.paths, got, tt.want)
		}
	}
}

// TestFlagValueErrors: a flag value that does not parse is explained in
// the user's terms (it showed "strconv.ParseInt: parsing ...: invalid
// syntax").
func TestFlagValueErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "stats")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--store", dir, "demo", "--iterations", "abc"}, `invalid value "abc" for --iterations: want an integer`},
		{[]string{"--store", dir, "runs", "--json=maybe"}, `invalid value "maybe" for --json: want true or false`},
	}
	for _, tt := range tests {
		r := run(t, tt.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) || strings.Contains(r.stderr, "strconv") {
			t.Errorf("statstore %s: exit %d, stderr %q; want %d and %q without Go names", strings.Join(tt.args, " "), r.code, r.stderr, exitUsage, tt.want)
		}
	}
}

// TestExplainRetryableErrors: a store that is down or full gets a hint
// that nothing was written and the command can be run again.
func TestExplainRetryableErrors(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("postgres: store training stats: cannot connect: %w", statstore.ErrUnavailable), "run the command again"},
		{fmt.Errorf("filestore: append: no space left on device: %w", statstore.ErrStorageFull), "free space"},
	} {
		_, hint, code := explain(tc.err)
		if code != exitError || !strings.Contains(hint, tc.want) {
			t.Errorf("explain(%v) = hint %q, exit %d; want a hint saying %q, exit %d", tc.err, hint, code, tc.want, exitError)
		}
	}
}
