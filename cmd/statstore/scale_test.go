package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/dacapo"
	"github.com/statstore/statstore/filestore"
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

// TestTwoMillionIterationsRoundTrip (issue 16): a run of 2,000,000
// training iterations (NaN and ±Inf losses among them) and 2,000
// validations exports to DaCapo pickles, imports back and reads in place
// equal, bit for bit. It takes seconds, so -short skips it; scripts/test.sh
// runs it.
func TestTwoMillionIterationsRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("2,000,000 iterations: run without -short (scripts/test.sh does)")
	}
	ctx := context.Background()
	const n, every, run = 2_000_000, 1000, "big_run"
	meta := statstore.Metadata{
		Datasets:         []string{"crop_a", "crop_b"},
		Parameters:       statstore.ThresholdParameters(0.3, 0.5, 0.7),
		EvaluationScores: statstore.InstanceCriteria(),
	}
	training := &statstore.TrainingStats{IterationStats: make([]statstore.TrainingIterationStats, n)}
	for i := range training.IterationStats {
		loss := 1 / float64(i+1)
		switch i % 99_991 {
		case 7:
			loss = math.NaN()
		case 8:
			loss = math.Inf(1)
		case 9:
			loss = math.Inf(-1)
		}
		training.IterationStats[i] = statstore.TrainingIterationStats{Iteration: i, Loss: loss, Time: 0.01 + float64(i%13)/1000}
	}
	scores := &statstore.ValidationScores{Metadata: meta}
	for it := every; it <= n; it += every {
		s := make([][][]float64, 2)
		for d := range s {
			s[d] = make([][]float64, 3)
			for p := range s[d] {
				s[d][p] = []float64{float64(it) / n, float64(d+p) / 7, math.Sqrt(float64(it))}
			}
		}
		scores.Scores = append(scores.Scores, statstore.ValidationIterationScores{Iteration: it, Scores: s})
	}
	tmp := t.TempDir()
	native, exported, imported := filepath.Join(tmp, "native"), filepath.Join(tmp, "dacapo"), filepath.Join(tmp, "imported")
	fs, err := filestore.Open(native, filestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.StoreTrainingStats(ctx, run, training); err != nil {
		t.Fatal(err)
	}
	if err := fs.StoreValidationIterationScores(ctx, run, scores); err != nil {
		t.Fatal(err)
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		t.Fatal(err)
	}
	metaFile := filepath.Join(tmp, "meta.json")
	if err := os.WriteFile(metaFile, metaJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "--store", native, "export", "dacapo", exported)
	mustRun(t, "--store", imported, "--meta", metaFile, "--log-level", "error", "import", "dacapo", exported)
	if fi, err := os.Stat(filepath.Join(exported, dacapo.TrainingDir, run)); err == nil {
		t.Logf("training pickle of %d iterations: %d bytes", n, fi.Size())
	}

	check := func(name string, s statstore.StatsStore) {
		t.Helper()
		gotT, err := s.RetrieveTrainingStats(ctx, run)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if gotT.Len() != n {
			t.Fatalf("%s: %d training iterations, want %d", name, gotT.Len(), n)
		}
		for i, w := range training.IterationStats {
			g := gotT.IterationStats[i]
			if g.Iteration != w.Iteration || math.Float64bits(g.Loss) != math.Float64bits(w.Loss) || math.Float64bits(g.Time) != math.Float64bits(w.Time) {
				t.Fatalf("%s: entry %d is %+v, want %+v", name, i, g, w)
			}
		}
		gotV, err := s.RetrieveValidationScores(ctx, run)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(gotV.Metadata, meta) {
			t.Fatalf("%s: metadata %+v, want %+v", name, gotV.Metadata, meta)
		}
		if len(gotV.Scores) != len(scores.Scores) {
			t.Fatalf("%s: %d validations, want %d", name, len(gotV.Scores), len(scores.Scores))
		}
		for i, w := range scores.Scores {
			g := gotV.Scores[i]
			if g.Iteration != w.Iteration || g.Superseded != w.Superseded || !reflect.DeepEqual(g.Scores, w.Scores) {
				t.Fatalf("%s: validation %d is %+v, want %+v", name, i, g, w)
			}
		}
	}
	back, err := filestore.Open(imported, filestore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	check("imported", back)
	inPlace, err := dacapo.Open(exported, dacapo.Options{Metadata: &meta})
	if err != nil {
		t.Fatal(err)
	}
	defer inPlace.Close()
	check("read in place", inPlace)
}

// TestImportOverBudget: importing a whole directory leaves the runs over
// the memory budget out, imports the others and names the left-out ones
// with the flag that raises the budget (not the advice for damaged files).
func TestImportOverBudget(t *testing.T) {
	src := filepath.Join(t.TempDir(), "dacapo")
	copyDir(t, filepath.Join("..", "..", "dacapo", "testdata", "proto4"), src)
	big := dacapo.SyntheticTraining("big", 20_000) // about 0.9 MB
	if err := os.WriteFile(filepath.Join(src, dacapo.TrainingDir, "big"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "s")
	r := run(t, "--store", dst, "--memory-budget", "256KiB", "--log-level", "error", "import", "dacapo", src)
	if r.code != exitError || !strings.Contains(r.stdout, "imported 3 run(s)") {
		t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d and 3 runs imported", r.code, r.stdout, r.stderr, exitError)
	}
	for _, want := range []string{filepath.Join(src, dacapo.TrainingDir, "big"), "--memory-budget 4MiB", envMemoryBudget} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr %q lacks %q", r.stderr, want)
		}
	}
	if strings.Contains(r.stderr, "re-create") {
		t.Errorf("stderr %q gives the advice for damaged pickles", r.stderr)
	}
}
