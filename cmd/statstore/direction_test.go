package main

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/dacapo"
	"github.com/statstore/statstore/memstore"
)

// risingDaCapoDir writes a DaCapo directory whose run "r" has 2 datasets ×
// 1 parameter set × n criteria validated at 1000, 2000 and 3000, every
// score growing with the checkpoint: the best is 3000 for a criterion
// where higher is better, 1000 where lower is.
func risingDaCapoDir(t *testing.T, n int) string {
	t.Helper()
	ctx := context.Background()
	mem := memstore.New(nil)
	crit := make([]statstore.Criterion, n)
	for i := range crit {
		crit[i] = statstore.Criterion{Name: "c" + strings.Repeat("x", i), HigherIsBetter: true}
	}
	v := &statstore.ValidationScores{Metadata: statstore.Metadata{Datasets: []string{"a", "b"}, Parameters: statstore.GenericParameters(1), EvaluationScores: crit}}
	for i, it := range []int{1000, 2000, 3000} {
		s := make([][][]float64, 2)
		for d := range s {
			s[d] = [][]float64{make([]float64, n)}
			for c := range n {
				s[d][0][c] = float64(i)
			}
		}
		v.Scores = append(v.Scores, statstore.ValidationIterationScores{Iteration: it, Scores: s})
	}
	if err := mem.StoreValidationIterationScores(ctx, "r", v); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "stats")
	if err := dacapo.Export(ctx, mem, dir, []string{"r"}); err != nil {
		t.Fatal(err)
	}
	// As DaCapo writes it: without the names the export records.
	if err := os.Remove(filepath.Join(dir, dacapo.DescriptionFile)); err != nil {
		t.Fatal(err)
	}
	return dir
}

// dacapoFiles returns the contents of every file under DaCapo's two
// folders of dir.
func dacapoFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, sub := range []string{dacapo.TrainingDir, dacapo.ValidationDir} {
		err := filepath.WalkDir(filepath.Join(dir, sub), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			out[path] = string(data)
			return err
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	return out
}

// bestLine returns the table row of best for dataset and criterion.
func bestLine(t *testing.T, out, dataset, criterion string) []string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 4 && f[0] == dataset && f[1] == criterion {
			return f
		}
	}
	t.Fatalf("no best line for %s/%s in:\n%s", dataset, criterion, out)
	return nil
}

// TestBestInfersDaCapoCriteria: without --preset, 21 DaCapo criteria are
// binary segmentation's, said on stderr; hausdorff's best is its lowest
// value, under BETTER "lower" (statstore used to print its highest as
// best, under "higher").
func TestBestInfersDaCapoCriteria(t *testing.T) {
	dir := risingDaCapoDir(t, 21)
	r := mustRun(t, "--store", dir, "best", "r")
	if !strings.Contains(r.stderr, "criteria inferred from their count (21): binary_segmentation") {
		t.Errorf("stderr %q, want the inference said", r.stderr)
	}
	if f := bestLine(t, r.stdout, "dataset_0", "hausdorff"); f[2] != "lower" || f[3] != "1000" {
		t.Errorf("hausdorff line %v, want lower, best at 1000", f)
	}
	if f := bestLine(t, r.stdout, "dataset_0", "dice"); f[2] != "higher" || f[3] != "3000" {
		t.Errorf("dice line %v, want higher, best at 3000", f)
	}
	var lines []statstore.Best
	decodeJSON(t, mustRun(t, "--store", dir, "best", "r", "--json", "--criterion", "hausdorff"), &lines)
	if len(lines) != 2 || lines[0].HigherIsBetter || lines[0].Iteration != 1000 {
		t.Errorf("best --json: %+v, want hausdorff lower is better at 1000", lines)
	}
	// A preset given: nothing inferred, nothing said.
	if r := mustRun(t, "--store", dir, "best", "r", "--preset", "binary_segmentation"); strings.Contains(r.stderr, "inferred") {
		t.Errorf("with --preset, stderr %q, want no inference note", r.stderr)
	}
}

// TestBestRefusesUnknownCriteria: criteria whose count names no DaCapo
// evaluator get no guessed direction: best (and compare, and plot
// --best-over-parameters) refuse with exit status 2, naming --preset,
// --meta and dacapo describe; reading the scores still works.
func TestBestRefusesUnknownCriteria(t *testing.T) {
	dir := risingDaCapoDir(t, 5)
	for _, args := range [][]string{
		{"best", "r"},
		{"best", "r", "--json"},
		{"best", "r", "--criterion", "criterion_2"},
		{"compare", "r", "r"},
	} {
		r := run(t, append([]string{"--store", dir}, args...)...)
		if r.code != exitUsage {
			t.Errorf("%v: exit %d, want %d\nstdout: %s", args, r.code, exitUsage, r.stdout)
		}
		for _, want := range []string{"5 criteria are not the count of a DaCapo evaluator", "--preset", "--meta", "statstore dacapo describe " + dir} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%v: stderr %q, want %q", args, r.stderr, want)
			}
		}
		if strings.Contains(r.stdout, "higher") {
			t.Errorf("%v: stdout %q claims a direction", args, r.stdout)
		}
	}
	if r := run(t, "--store", dir, "show", "r"); r.code != 0 || !strings.Contains(r.stdout, "criterion_4") {
		t.Errorf("show: exit %d, stdout %q; want the scores shown with generic criteria", r.code, r.stdout)
	}
	r := run(t, "--store", risingDaCapoDir(t, 42), "best", "r")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--preset multi_channel_binary_segmentation:<ch1>,<ch2>") &&
		!strings.Contains(r.stderr, "multi_channel_binary_segmentation:<ch1>,<ch2>") {
		t.Errorf("42 criteria: exit %d, stderr %q; want a refusal naming the multi-channel preset", r.code, r.stderr)
	}
	// Imported without naming the criteria: the native store keeps them of
	// unknown direction, and best says how to fix the store.
	native := filepath.Join(t.TempDir(), "native")
	mustRun(t, "--store", native, "import", "dacapo", dir)
	r = run(t, "--store", native, "best", "r")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--preset") || !strings.Contains(r.stderr, "import them again") {
		t.Errorf("imported: exit %d, stderr %q; want a refusal saying to import again with --preset", r.code, r.stderr)
	}
}

// TestDaCapoDescribe: a description written once is used by later
// commands without flags; DaCapo's files are never written; an existing
// description is replaced only with --force; flags override it with a
// warning.
func TestDaCapoDescribe(t *testing.T) {
	dir := risingDaCapoDir(t, 5)
	before := dacapoFiles(t, dir)
	if r := run(t, "dacapo", "describe", dir, "--datasets", "a,b"); r.code != exitUsage || !strings.Contains(r.stderr, "--preset") {
		t.Errorf("describe without criteria: exit %d, stderr %q; want a usage error naming --preset", r.code, r.stderr)
	}
	if r := run(t, "dacapo", "describe", dir, "--preset", "instance"); r.code == 0 || !strings.Contains(r.stderr, "shape mismatch") {
		t.Errorf("describe with 3 criteria for 5: exit %d, stderr %q; want a refusal", r.code, r.stderr)
	}
	meta := filepath.Join(t.TempDir(), "meta.json")
	body := `{"datasets": ["crop_a", "crop_b"], "parameters": [{"id": 0, "values": {"threshold": 0.5}}],
	  "criteria": [{"name": "dice", "higher_is_better": true}, {"name": "voi"}, {"name": "hausdorff"}, {"name": "f1", "higher_is_better": true}, {"name": "loss"}]}`
	if err := os.WriteFile(meta, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	r := mustRun(t, "dacapo", "describe", dir, "--meta", meta)
	sidecar := filepath.Join(dir, dacapo.DescriptionFile)
	if !strings.Contains(r.stdout, sidecar) {
		t.Errorf("describe: stdout %q, want the file named", r.stdout)
	}
	written, err := os.ReadFile(sidecar)
	if err != nil {
		t.Fatal(err)
	}

	best := mustRun(t, "--store", dir, "best", "r")
	if f := bestLine(t, best.stdout, "crop_a", "voi"); f[2] != "lower" || f[3] != "1000" {
		t.Errorf("best after describe: voi line %v, want lower, best at 1000", f)
	}
	if f := bestLine(t, best.stdout, "crop_b", "f1"); f[2] != "higher" || f[3] != "3000" {
		t.Errorf("best after describe: f1 line %v, want higher, best at 3000", f)
	}
	if strings.Contains(best.stderr, "inferred") {
		t.Errorf("best after describe: stderr %q, want no inference", best.stderr)
	}

	r = run(t, "dacapo", "describe", dir, "--meta", meta)
	if r.code != exitError || !strings.Contains(r.stderr, "--force") {
		t.Errorf("describe again: exit %d, stderr %q; want a refusal naming --force", r.code, r.stderr)
	}
	if now, _ := os.ReadFile(sidecar); string(now) != string(written) {
		t.Errorf("description changed by a refused describe")
	}

	over := mustRun(t, "--store", dir, "best", "r", "--datasets", "x,y")
	if !strings.Contains(over.stderr, "override") || !strings.Contains(over.stdout, "x ") {
		t.Errorf("best --datasets x,y: stderr %q, stdout %q; want a warning and datasets x, y", over.stderr, over.stdout)
	}

	mustRun(t, "dacapo", "describe", dir, "--meta", meta, "--force")
	after := dacapoFiles(t, dir)
	if len(after) != len(before) {
		t.Errorf("DaCapo's folders hold %d files after describe, want %d", len(after), len(before))
	}
	for path, data := range before {
		if after[path] != data {
			t.Errorf("%s changed", path)
		}
	}
	// One run described apart: its datasets over the directory's criteria.
	mustRun(t, "dacapo", "describe", dir, "--run", "r", "--datasets", "p,q")
	if f := bestLine(t, mustRun(t, "--store", dir, "best", "r").stdout, "q", "voi"); f[2] != "lower" || f[3] != "1000" {
		t.Errorf("best after describe --run: voi line %v, want dataset q, lower, best at 1000", f)
	}
	if r := run(t, "dacapo", "describe", dir, "--run", "r"); r.code != exitUsage {
		t.Errorf("describe --run without axes: exit %d, want %d", r.code, exitUsage)
	}
	if r := run(t, "dacapo", "describe", t.TempDir(), "--preset", "dummy"); r.code != exitUsage {
		t.Errorf("describe of a non-DaCapo directory: exit %d, want %d", r.code, exitUsage)
	}
}
