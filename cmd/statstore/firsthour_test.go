package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
)

// smallStore writes run r (3 training iterations, 1 validation at
// iteration 10) and run other into a new file store.
func smallStore(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "stats")
	mustRunIn(t, trainingDocs(iterations(0, 1, 2)...), "--store", dir, "put", "training", "r")
	mustRunIn(t, `{"iteration": 10, "scores": [[[1, 2]]]}`, "--store", dir, "--preset", "dummy", "--datasets", "a", "--parameters", "threshold=0.5", "put", "validation", "r")
	mustRunIn(t, trainingDocs(iterations(0)...), "--store", dir, "put", "training", "other")
	return dir
}

// storedRuns returns the names statstore runs lists.
func storedRuns(t *testing.T, dir string) []string {
	t.Helper()
	var runs []runSummary
	decodeJSON(t, mustRun(t, "--store", dir, "runs", "--json"), &runs)
	var names []string
	for _, r := range runs {
		names = append(names, r.Run)
	}
	return names
}

// TestDeleteUnknownRun: deleting a run the store does not list is an error
// (it said "nothing to delete" with exit 0), with the names that look alike.
func TestDeleteUnknownRun(t *testing.T) {
	dir := smallStore(t)
	r := run(t, "--store", dir, "delete", "othre", "--yes")
	if r.code != exitError || !strings.Contains(r.stderr, `run "othre" is not in this store`) || !strings.Contains(r.stderr, `did you mean "other"?`) {
		t.Errorf("delete othre: exit %d, stderr %q; want 1, not in this store, did you mean \"other\"", r.code, r.stderr)
	}
	if strings.Contains(r.stdout, "deleted") {
		t.Errorf("stdout %q reports a delete", r.stdout)
	}
	if got := storedRuns(t, dir); !slices.Equal(got, []string{"other", "r"}) {
		t.Errorf("runs after the failed delete: %v, want [other r]", got)
	}
}

// TestDeleteAsks: on a terminal delete says what it will delete and asks;
// anything but y or yes keeps the run.
func TestDeleteAsks(t *testing.T) {
	dir := smallStore(t)
	for _, answer := range []string{"n\n", "\n", "", "nope\n"} {
		r := invoke(t, invocation{args: []string{"--store", dir, "delete", "r"}, stdin: answer, interactive: true})
		if r.code != exitOK || !strings.Contains(r.stderr, "move run r to the trash (3 training iterations (trained until 3), 1 validation (last validated checkpoint 10))? [y/N]") {
			t.Errorf("answer %q: exit %d, stderr %q; want 0 and the question naming what would go", answer, r.code, r.stderr)
		}
		if !strings.Contains(r.stdout, "nothing deleted") {
			t.Errorf("answer %q: stdout %q, want nothing deleted", answer, r.stdout)
		}
	}
	if got := storedRuns(t, dir); !slices.Equal(got, []string{"other", "r"}) {
		t.Fatalf("runs after declining: %v, want [other r]", got)
	}
	r := invoke(t, invocation{args: []string{"--store", dir, "delete", "r", "--training"}, stdin: "Y\n", interactive: true})
	if r.code != exitOK || !strings.Contains(r.stderr, "delete the training stats of run r: 3 training iterations") || !strings.Contains(r.stdout, "deleted the training stats of r") {
		t.Errorf("answer Y: exit %d, stdout %q, stderr %q; want the training stats deleted", r.code, r.stdout, r.stderr)
	}
	r = invoke(t, invocation{args: []string{"--store", dir, "delete", "r"}, stdin: "yes\n", interactive: true})
	if r.code != exitOK || !strings.Contains(r.stdout, "moved run r to the trash") {
		t.Errorf("answer yes: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if got := storedRuns(t, dir); !slices.Equal(got, []string{"other"}) {
		t.Errorf("runs after yes: %v, want [other]", got)
	}
}

// TestDeleteWithoutTerminal: a script (stdin not a terminal) must pass
// --yes; without it delete refuses and deletes nothing.
func TestDeleteWithoutTerminal(t *testing.T) {
	dir := smallStore(t)
	r := runIn(t, "y\n", "--store", dir, "delete", "r")
	if r.code != exitUsage || !strings.Contains(r.stderr, "stdin is not a terminal") || !strings.Contains(r.stderr, "--yes") {
		t.Errorf("delete without --yes and no terminal: exit %d, stderr %q; want 2 naming --yes", r.code, r.stderr)
	}
	if got := storedRuns(t, dir); !slices.Equal(got, []string{"other", "r"}) {
		t.Errorf("runs after the refused delete: %v, want [other r]", got)
	}
}

// TestDeleteDryRun: --dry-run says what would go and deletes nothing,
// without asking.
func TestDeleteDryRun(t *testing.T) {
	dir := smallStore(t)
	r := mustRun(t, "--store", dir, "delete", "r", "--dry-run")
	if !strings.Contains(r.stdout, "would move run r to the trash (3 training iterations (trained until 3), 1 validation (last validated checkpoint 10))") || !strings.Contains(r.stdout, "nothing deleted") {
		t.Errorf("dry run stdout %q", r.stdout)
	}
	r = mustRun(t, "--store", dir, "delete", "r", "--validation", "--dry-run")
	if !strings.Contains(r.stdout, "would permanently delete the validation scores of run r: 1 validation") || strings.Contains(r.stdout, "training") {
		t.Errorf("dry run --validation stdout %q", r.stdout)
	}
	if r := run(t, "--store", dir, "delete", "nope", "--dry-run"); r.code != exitError {
		t.Errorf("dry run of an unknown run: exit %d, want 1", r.code)
	}
	if got := storedRuns(t, dir); !slices.Equal(got, []string{"other", "r"}) {
		t.Errorf("runs after dry runs: %v, want [other r]", got)
	}
}

// TestExportFormatFromExtension: -o's extension chooses the format; an
// extension export does not know is refused (x.json got CSV), naming the
// known ones; --format overrides the extension.
func TestExportFormatFromExtension(t *testing.T) {
	dir := smallStore(t)
	out := t.TempDir()
	starts := map[string]string{
		"x.csv": "iteration,loss,time\n", "x.CSV": "iteration,loss,time\n",
		"x.jsonl": `{"iteration":0,`, "x.ndjson": `{"iteration":0,`,
		"x.parquet": "PAR1", "x.pq": "PAR1", "noext": "iteration,loss,time\n",
	}
	for name, start := range starts {
		path := filepath.Join(out, name)
		mustRun(t, "--store", dir, "export", "r", "-o", path)
		b, err := os.ReadFile(path)
		if err != nil || !bytes.HasPrefix(b, []byte(start)) {
			t.Errorf("export -o %s wrote %.40q (%v), want it to start with %q", name, b, err, start)
		}
	}
	for name, want := range map[string][]string{
		"x.json": {"JSON Lines", ".jsonl", "--format jsonl"},
		"x.xlsx": {"does not know the extension .xlsx", ".csv, .jsonl, .ndjson, .parquet, .pq"},
		"x.txt":  {".txt", ".csv"},
	} {
		path := filepath.Join(out, name)
		r := run(t, "--store", dir, "export", "r", "-o", path)
		if r.code != exitUsage {
			t.Errorf("export -o %s: exit %d, want 2", name, r.code)
		}
		for _, w := range want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("export -o %s: stderr %q lacks %q", name, r.stderr, w)
			}
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("export -o %s left a file (%v)", name, err)
		}
	}
	path := filepath.Join(out, "forced.json")
	mustRun(t, "--store", dir, "export", "r", "-o", path, "--format", "jsonl")
	if b, _ := os.ReadFile(path); !bytes.HasPrefix(b, []byte(`{"iteration":0,`)) {
		t.Errorf("--format jsonl -o forced.json wrote %.40q", b)
	}
}

// TestDidYouMean: every command that takes run names suggests the
// stored names that look like a mistyped one.
func TestDidYouMean(t *testing.T) {
	dir := demoStore(t)
	for _, args := range [][]string{
		{"show", "demo_unte"},
		{"best", "demo_unte"},
		{"export", "demo_unte"},
		{"export", "demo_unte", "--what", "validation"},
		{"compare", "demo_unet", "demo_unte"},
		{"plot", "demo_unte", "-o", filepath.Join(t.TempDir(), "p.png")},
		{"delete", "demo_unte", "--yes"},
		{"delete", "demo_unte", "--dry-run"},
	} {
		r := run(t, append([]string{"--store", dir}, args...)...)
		if r.code != exitError || !strings.Contains(r.stderr, `did you mean "demo_unet"`) {
			t.Errorf("statstore %s: exit %d, stderr %q; want 1 and did you mean \"demo_unet\"", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	r := run(t, "--store", dir, "show", "zzzzzzzz")
	if r.code != exitError || strings.Contains(r.stderr, "did you mean") || !strings.Contains(r.stderr, "statstore runs") {
		t.Errorf("show of a name like no run: exit %d, stderr %q; want 1, no suggestion, the usual hint", r.code, r.stderr)
	}
}

func TestSuggestRuns(t *testing.T) {
	runs := []string{"demo_unet", "demo_unet_small", "unet_v2", "unet_v3", "unet_v4", "unet_v5", "resnet"}
	for _, c := range []struct {
		name string
		want []string
	}{
		{"demo_unte", []string{"demo_unet"}},
		{"DEMO_UNET", []string{"demo_unet", "demo_unet_small"}},
		{"othre", nil},
		{"demo", []string{"demo_unet", "demo_unet_small"}},
		{"unet_v1", []string{"unet_v2", "unet_v3", "unet_v4"}}, // at most 3, closest then by name
		{"demo_unet_smal", []string{"demo_unet_small", "demo_unet"}},
		{"xyz", nil},
		{"demo_unet", []string{"demo_unet_small"}}, // itself is never suggested
	} {
		got := suggestRuns(c.name, runs)
		if !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("suggestRuns(%q) = %q, want %q", c.name, got, c.want)
		}
	}
	for _, c := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"demo_unte", "demo_unet", 1}, {"othre", "other", 1}, {"ca", "abc", 3}, {"é", "e", 1}} {
		if got := editDistance(c.a, c.b); got != c.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// TestVersion: --version prints the module version and, when the build
// recorded them, the VCS revision and whether the tree was modified.
func TestVersion(t *testing.T) {
	r := mustRun(t, "--version")
	if !strings.HasPrefix(r.stdout, "statstore ") || strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("--version printed %q, want one line starting with statstore", r.stdout)
	}
	info := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/statstore/statstore", Version: "v1.4.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-12-05T05:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	if got, want := formatVersion(info, true), "v1.4.0 (revision 0123456789ab, 2026-12-05T05:00:00Z, modified, go1.26.0)"; got != want {
		t.Errorf("formatVersion = %q, want %q", got, want)
	}
	info = &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}
	if got := formatVersion(info, true); got != "devel" {
		t.Errorf("formatVersion of a checkout build without VCS = %q, want devel", got)
	}
	if got := formatVersion(nil, false); !strings.HasPrefix(got, "devel") {
		t.Errorf("formatVersion without build info = %q", got)
	}
}

// TestDemoNarrativeIsClean: demo prints its story without the store's
// timestamped log lines, which come with -v or --log-level.
func TestDemoNarrativeIsClean(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "stats")
	r := mustRun(t, "--store", dir, "demo", "--iterations", "200", "--validate-every", "20")
	if strings.Contains(r.stdout+r.stderr, "level=") || strings.Contains(r.stdout+r.stderr, "time=") {
		t.Errorf("demo printed log lines:\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "crashed at iteration") || !strings.Contains(r.stdout, "Try next") {
		t.Errorf("demo's narrative is missing:\n%s", r.stdout)
	}
	for _, flag := range [][]string{{"-v"}, {"--log-level", "warn"}} {
		r := mustRun(t, append(append([]string{"--store", dir}, flag...), "demo", "--iterations", "200", "--validate-every", "20")...)
		if !strings.Contains(r.stderr, "level=WARN") {
			t.Errorf("demo %v: stderr has no log lines:\n%s", flag, r.stderr)
		}
	}
}

// TestDaCapoFlagsWhereTheyApply: --preset, --datasets, --parameters and
// --meta show in the help of the commands that read a store or put
// validation scores only, and are accepted before or after any command as
// before.
func TestDaCapoFlagsWhereTheyApply(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"demo", "--help"}, {"delete", "--help"}, {"fsck", "--help"}, {"bench", "--help"}} {
		out := mustRun(t, args...).stdout
		for _, f := range []string{"--preset", "--datasets", "--parameters", "--meta"} {
			if strings.Contains(out, f) {
				t.Errorf("statstore %s shows %s:\n%s", strings.Join(args, " "), f, out)
			}
		}
	}
	for _, args := range [][]string{{"runs", "--help"}, {"best", "--help"}, {"show", "--help"}, {"export", "--help"}, {"export", "dacapo", "--help"}, {"import", "dacapo", "--help"}, {"put", "validation", "--help"}, {"plot", "--help"}} {
		out := mustRun(t, args...).stdout
		if !strings.Contains(out, "DaCapo flags") {
			t.Errorf("statstore %s has no DaCapo flags section:\n%s", strings.Join(args, " "), out)
		}
		_, section, _ := strings.Cut(out, "DaCapo flags")
		section, global, _ := strings.Cut(section, "Global Flags:")
		for _, f := range []string{"--preset", "--datasets", "--parameters", "--meta"} {
			if !strings.Contains(section, f+" ") || strings.Contains(global, f) {
				t.Errorf("statstore %s: %s not in the DaCapo flags section alone:\n%s", strings.Join(args, " "), f, out)
			}
		}
	}
	dir := smallStore(t)
	mustRun(t, "--store", dir, "--preset", "dummy", "runs")
	mustRun(t, "--store", dir, "runs", "--preset", "dummy")
	mustRun(t, "--store", dir, "--datasets", "a", "delete", "other", "--yes")
}

// TestLastValidated: runs and show give the last validated checkpoint
// (10), not validated-until (11), beside trained-until; JSON keeps
// validated_until and adds last_validated.
func TestLastValidated(t *testing.T) {
	dir := smallStore(t)
	out := mustRun(t, "--store", dir, "runs").stdout
	lines := strings.Split(out, "\n")
	if h := strings.Fields(lines[0]); len(h) < 3 || h[2] != "LAST_VALIDATED" {
		t.Fatalf("runs header %q, want LAST_VALIDATED third", lines[0])
	}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		switch {
		case len(f) > 2 && f[0] == "r" && f[2] != "10":
			t.Errorf("runs row of r: %q, want last validated 10", l)
		case len(f) > 2 && f[0] == "other" && f[2] != "-":
			t.Errorf("runs row of other (never validated): %q, want -", l)
		}
	}
	var runs []map[string]any
	decodeJSON(t, mustRun(t, "--store", dir, "runs", "--json"), &runs)
	for _, r := range runs {
		switch r["run"] {
		case "r":
			if r["validated_until"] != 11.0 || r["last_validated"] != 10.0 {
				t.Errorf("runs --json of r: %v, want validated_until 11 and last_validated 10", r)
			}
		case "other":
			if v, ok := r["last_validated"]; !ok || v != nil {
				t.Errorf("runs --json of other: last_validated %v (present %t), want null", v, ok)
			}
		}
	}
	show := mustRun(t, "--store", dir, "show", "r").stdout
	if !strings.Contains(show, "last validated") || strings.Contains(show, "validated until") {
		t.Errorf("show r:\n%s\nwant a last validated line and no validated until", show)
	}
	var d map[string]any
	decodeJSON(t, mustRun(t, "--store", dir, "show", "r", "--json"), &d)
	if d["validated_until"] != 11.0 || d["last_validated"] != 10.0 {
		t.Errorf("show --json: validated_until %v, last_validated %v; want 11 and 10", d["validated_until"], d["last_validated"])
	}
}
