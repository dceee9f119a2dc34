package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTagCommand: tag sets and removes in one step and prints the tags;
// with no changes it prints them; bad tags are usage errors that change
// nothing; a run with only tags is listed.
func TestTagCommand(t *testing.T) {
	dir := smallStore(t)
	r := mustRun(t, "--store", dir, "tag", "r", "architecture=unet", "seed=1", "note=a b=c")
	if want := "architecture=unet\nnote=a b=c\nseed=1\n"; r.stdout != want {
		t.Errorf("tag r: stdout %q, want %q", r.stdout, want)
	}
	mustRun(t, "--store", dir, "tag", "r", "seed=2", "--remove", "note")
	var got struct {
		Run  string            `json:"run"`
		Tags map[string]string `json:"tags"`
	}
	decodeJSON(t, mustRun(t, "--store", dir, "tag", "r", "--json"), &got)
	if got.Run != "r" || len(got.Tags) != 2 || got.Tags["seed"] != "2" || got.Tags["architecture"] != "unet" {
		t.Errorf("tag r --json: %+v, want architecture=unet seed=2", got)
	}
	for _, bad := range [][]string{{"r", "novalue"}, {"r", "a b=1"}, {"r", "k=v", "--remove", "k"}, {"../x", "k=v"}} {
		res := run(t, append([]string{"--store", dir, "tag"}, bad...)...)
		if res.code == 0 || res.stderr == "" {
			t.Errorf("tag %v: exit %d, stderr %q; want an error and a message", bad, res.code, res.stderr)
		}
	}
	decodeJSON(t, mustRun(t, "--store", dir, "tag", "r", "--json"), &got)
	if len(got.Tags) != 2 {
		t.Errorf("tags after refused commands: %v", got.Tags)
	}
	if r := mustRun(t, "--store", dir, "tag", "other"); !strings.Contains(r.stdout, "has no tags") {
		t.Errorf("tag other: %q, want that it has no tags", r.stdout)
	}
	mustRun(t, "--store", dir, "tag", "planned", "task=mito")
	if names := storedRuns(t, dir); strings.Join(names, ",") != "other,planned,r" {
		t.Errorf("runs: %v, want other, planned (tags only) and r", names)
	}
}

// TestConfigCommand: config set from a file and from stdin, show prints
// the stored document indented, rm removes it; bad documents change
// nothing.
func TestConfigCommand(t *testing.T) {
	dir := smallStore(t)
	file := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(file, []byte(`{"trainer": {"lr": 1e-4}, "architecture": "unet"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "--store", dir, "config", "set", "r", file)
	r := mustRun(t, "--store", dir, "config", "show", "r")
	if want := "{\n  \"architecture\": \"unet\",\n  \"trainer\": {\n    \"lr\": 1e-4\n  }\n}\n"; r.stdout != want {
		t.Errorf("config show r: %q, want %q", r.stdout, want)
	}
	for _, bad := range []string{`[1]`, `{"a":`, ``, `{} {}`} {
		res := runIn(t, bad, "--store", dir, "config", "set", "r", "-")
		if res.code == 0 || !strings.Contains(res.stderr, "config") && !strings.Contains(res.stderr, "JSON") && !strings.Contains(res.stderr, "empty") {
			t.Errorf("config set r - <<< %q: exit %d, stderr %q; want an error", bad, res.code, res.stderr)
		}
	}
	if res := run(t, "--store", dir, "config", "set", "r", filepath.Join(t.TempDir(), "missing.json")); res.code == 0 {
		t.Errorf("config set from a missing file: exit 0")
	}
	if r2 := mustRun(t, "--store", dir, "config", "show", "r"); r2.stdout != r.stdout {
		t.Errorf("config show after refused sets: %q, want %q", r2.stdout, r.stdout)
	}
	mustRunIn(t, `{"architecture":"resnet"}`, "--store", dir, "config", "set", "r", "-")
	if r := mustRun(t, "--store", dir, "config", "show", "r"); !strings.Contains(r.stdout, "resnet") {
		t.Errorf("config show after set from stdin: %q", r.stdout)
	}
	mustRun(t, "--store", dir, "config", "rm", "r")
	res := run(t, "--store", dir, "config", "show", "r")
	if res.code != 1 || res.stdout != "" || !strings.Contains(res.stderr, "no configuration") {
		t.Errorf("config show after rm: exit %d, stdout %q, stderr %q; want 1 and that it has none", res.code, res.stdout, res.stderr)
	}
}

// TestDiffCommand: diff shows configuration changes by path, tag
// changes, and the best scores of both runs side by side, for people and
// as JSON.
func TestDiffCommand(t *testing.T) {
	dir := demoStore(t)
	mustRunIn(t, `{"trainer":{"lr":0.001},"arch":{"fmaps":[12,24]},"task":"mito"}`, "--store", dir, "config", "set", "demo_unet", "-")
	mustRunIn(t, `{"trainer":{"lr":0.0001},"arch":{"fmaps":[12,24,48]},"task":"mito"}`, "--store", dir, "config", "set", "demo_unet_small", "-")
	mustRun(t, "--store", dir, "tag", "demo_unet", "seed=1", "only_a=x")
	mustRun(t, "--store", dir, "tag", "demo_unet_small", "seed=2")
	r := mustRun(t, "--store", dir, "diff", "demo_unet", "demo_unet_small")
	for _, want := range []string{"configuration (2 differences)", "arch.fmaps[2]", "added", "trainer.lr", "0.001", "0.0001",
		"tags (2 differences)", "only_a", "removed", "seed", "best scores", "crop_a", "dice", "(mean)", " *"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("diff output lacks %q:\n%s", want, r.stdout)
		}
	}
	var d runDiff
	decodeJSON(t, mustRun(t, "--store", dir, "diff", "demo_unet", "demo_unet_small", "--json"), &d)
	if len(d.Config) != 2 || d.Config[0].Path != "arch.fmaps[2]" || d.Config[1].Path != "trainer.lr" || len(d.Tags) != 2 {
		t.Errorf("diff --json: config %+v tags %+v", d.Config, d.Tags)
	}
	if len(d.Best) == 0 || d.Best[0].A == nil || d.Best[0].B == nil || d.Best[0].Delta == nil {
		t.Fatalf("diff --json best: %+v", d.Best)
	}
	if got, want := float64(*d.Best[0].Delta), float64(*d.Best[0].B.Value)-float64(*d.Best[0].A.Value); got != want {
		t.Errorf("delta %v, want B - A = %v", got, want)
	}
	// The same run against itself: nothing differs.
	r = mustRun(t, "--store", dir, "diff", "demo_unet", "demo_unet")
	if !strings.Contains(r.stdout, "configuration: no difference") || !strings.Contains(r.stdout, "tags: no difference") {
		t.Errorf("diff of a run with itself:\n%s", r.stdout)
	}
}
