package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/cliexport"
	"github.com/statstore/statstore/memstore"
)

func TestRunsShowOnDemo(t *testing.T) {
	dir := demoStore(t)
	var runs []runSummary
	decodeJSON(t, mustRun(t, "--store", dir, "runs", "--json"), &runs)
	if len(runs) != 2 || runs[0].Run != "demo_unet" || runs[1].Run != "demo_unet_small" {
		t.Fatalf("runs = %+v, want demo_unet and demo_unet_small", runs)
	}
	for _, r := range runs {
		// 2000 iterations, a checkpoint every 200, all validated.
		if r.TrainedUntil != 2000 || r.TrainingIterations != 2000 || r.ValidatedUntil != 2001 || r.ValidationIterations != 10 {
			t.Errorf("run %+v: want trained until 2000 (2000 entries), validated until 2001 (10 entries)", r)
		}
		if r.MinLoss == nil || r.LastLoss == nil || float64(*r.MinLoss) > float64(*r.LastLoss) {
			t.Errorf("run %s: min loss %v above last loss %v", r.Run, optNum(r.MinLoss), optNum(r.LastLoss))
		}
	}
	table := mustRun(t, "--store", dir, "runs").stdout
	if !strings.HasPrefix(table, "RUN ") || !strings.Contains(table, "demo_unet_small") {
		t.Errorf("runs table:\n%s", table)
	}

	var d runDetails
	decodeJSON(t, mustRun(t, "--store", dir, "show", "demo_unet", "--json"), &d)
	if d.NaNLosses != 2 || d.TrainingIterations != 2000 || len(d.Datasets) != 2 || len(d.Parameters) != 3 || len(d.Criteria) != 21 {
		t.Errorf("show = %+v; want 2 NaN losses, 2000 entries, 2 datasets × 3 parameter sets × 21 criteria", d)
	}
	wantIts := []int{200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800, 2000}
	if len(d.ValidatedIterations) != len(wantIts) {
		t.Fatalf("validated iterations %v, want %v", d.ValidatedIterations, wantIts)
	}
	for i, it := range wantIts {
		if d.ValidatedIterations[i] != it {
			t.Errorf("validated iterations %v, want %v", d.ValidatedIterations, wantIts)
			break
		}
	}
	if out := mustRun(t, "--store", dir, "show", "demo_unet").stdout; !strings.Contains(out, "NaN losses         2") {
		t.Errorf("show table lacks the NaN count:\n%s", out)
	}
}

func TestBestOnDemo(t *testing.T) {
	dir := demoStore(t)
	t.Run("table has per-dataset and mean lines", func(t *testing.T) {
		out := mustRun(t, "--store", dir, "best", "demo_unet", "--criterion", "f1_score").stdout
		for _, want := range []string{"crop_a", "crop_b", "(mean over datasets)", "f1_score", "threshold_0.5"} {
			if !strings.Contains(out, want) {
				t.Errorf("best table lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("json", func(t *testing.T) {
		var lines []statstore.Best
		decodeJSON(t, mustRun(t, "--store", dir, "best", "demo_unet", "--json"), &lines)
		if len(lines) != 2*21 {
			t.Fatalf("%d lines, want 42 (2 datasets × 21 criteria)", len(lines))
		}
		for _, l := range lines {
			if l.Dataset == "" || !l.Found || l.Parameters == "" || math.IsNaN(l.Value) {
				t.Errorf("line %+v: want a dataset, iteration, parameters and value", l)
			}
		}
	})
	t.Run("over datasets", func(t *testing.T) {
		var lines []statstore.Best
		decodeJSON(t, mustRun(t, "--store", dir, "best", "demo_unet", "--json", "--over-datasets", "--criterion", "voi,f1_score"), &lines)
		if len(lines) != 6 {
			t.Fatalf("%d lines, want 6 (2 datasets and the mean × 2 criteria)", len(lines))
		}
		for i, l := range lines {
			if mean := i >= 4; (l.Dataset == "") != mean {
				t.Errorf("line %d %+v: want the mean over datasets exactly on the last two lines", i, l)
			}
		}
		// The mean line's value is the mean of the datasets' values at its
		// checkpoint and parameter set: check it from the export.
		mean := lines[4]
		scores := validationRows(t, dir, "demo_unet")
		sum := 0.0
		for _, ds := range []string{"crop_a", "crop_b"} {
			sum += scores[rowKey{mean.Iteration, ds, mean.Parameters, mean.Criterion}]
		}
		if !closeTo(sum/2, mean.Value) {
			t.Errorf("mean line value %v, want %v", mean.Value, sum/2)
		}
	})
	t.Run("every best value is the extreme of the export", func(t *testing.T) {
		var lines []statstore.Best
		decodeJSON(t, mustRun(t, "--store", dir, "best", "demo_unet", "--json"), &lines)
		scores := validationRows(t, dir, "demo_unet")
		for _, l := range lines {
			for k, v := range scores {
				if k.dataset != l.Dataset || k.criterion != l.Criterion || math.IsNaN(v) {
					continue
				}
				if (l.HigherIsBetter && v > l.Value) || (!l.HigherIsBetter && v < l.Value) {
					t.Errorf("best %s/%s = %v, but %+v has %v", l.Dataset, l.Criterion, l.Value, k, v)
				}
			}
			if got := scores[rowKey{l.Iteration, l.Dataset, l.Parameters, l.Criterion}]; got != l.Value {
				t.Errorf("best %s/%s: value %v, but the export has %v there", l.Dataset, l.Criterion, l.Value, got)
			}
		}
	})
	t.Run("filters", func(t *testing.T) {
		var lines []statstore.Best
		decodeJSON(t, mustRun(t, "--store", dir, "best", "demo_unet", "--json", "--dataset", "crop_b", "--parameter-set", "threshold_0.7", "--criterion", "hausdorff"), &lines)
		if len(lines) != 1 || lines[0].Dataset != "crop_b" || lines[0].Parameters != "threshold_0.7" || lines[0].HigherIsBetter {
			t.Errorf("filtered best = %+v, want one line for crop_b, threshold_0.7, hausdorff (lower is better)", lines)
		}
	})
}

type rowKey struct {
	iteration                      int
	dataset, parameters, criterion string
}

// validationRows reads a run's validation scores through export --format csv.
func validationRows(t *testing.T, dir, run string) map[rowKey]float64 {
	t.Helper()
	out := mustRun(t, "--store", dir, "export", run, "--what", "validation").stdout
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "iteration,dataset,parameters,criterion,value,superseded" {
		t.Fatalf("validation csv header %v", recs[0])
	}
	rows := map[rowKey]float64{}
	for _, r := range recs[1:] {
		var k rowKey
		if err := json.Unmarshal([]byte(r[0]), &k.iteration); err != nil {
			t.Fatal(err)
		}
		k.dataset, k.parameters, k.criterion = r[1], r[2], r[3]
		v, err := parseCSVFloat(r[4])
		if err != nil {
			t.Fatal(err)
		}
		rows[k] = v
	}
	return rows
}

func parseCSVFloat(s string) (float64, error) {
	var v float64
	switch s {
	case "NaN":
		return math.NaN(), nil
	case "inf":
		return math.Inf(1), nil
	case "-inf":
		return math.Inf(-1), nil
	}
	err := json.Unmarshal([]byte(s), &v)
	return v, err
}

func TestCompareOnDemo(t *testing.T) {
	dir := demoStore(t)
	var rows []comparison
	decodeJSON(t, mustRun(t, "--store", dir, "compare", "demo_unet", "demo_unet_small", "--json", "--criterion", "dice,voi"), &rows)
	if len(rows) != 2 || rows[0].Criterion != "dice" || rows[1].Criterion != "voi" {
		t.Fatalf("compare = %+v, want dice and voi", rows)
	}
	for _, r := range rows {
		if len(r.Runs) != 2 || r.BestRun == nil {
			t.Fatalf("compare %s = %+v, want both runs and a best run", r.Criterion, r)
		}
		a, b := float64(*r.Runs[0].Value), float64(*r.Runs[1].Value)
		want := r.Runs[0].Run
		if (r.HigherIsBetter && b > a) || (!r.HigherIsBetter && b < a) {
			want = r.Runs[1].Run
		}
		if *r.BestRun != want {
			t.Errorf("%s: best run %s, want %s (values %v, %v)", r.Criterion, *r.BestRun, want, a, b)
		}
	}
	out := mustRun(t, "--store", dir, "compare", "demo_unet", "demo_unet_small").stdout
	if !strings.Contains(out, "*") || !strings.Contains(out, "f1_score") {
		t.Errorf("compare table:\n%s", out)
	}
}

func TestExportFormats(t *testing.T) {
	dir := demoStore(t)
	out := t.TempDir()
	t.Run("training csv", func(t *testing.T) {
		recs, err := csv.NewReader(strings.NewReader(mustRun(t, "--store", dir, "export", "demo_unet").stdout)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		nan := 0
		for _, r := range recs[1:] {
			if r[1] == "NaN" {
				nan++
			}
		}
		if len(recs) != 2001 || nan != 2 {
			t.Errorf("%d rows with %d NaN losses, want 2001 and 2", len(recs), nan)
		}
	})
	t.Run("training jsonl", func(t *testing.T) {
		lines := strings.Split(strings.TrimSpace(mustRun(t, "--store", dir, "export", "demo_unet", "--format", "jsonl").stdout), "\n")
		if len(lines) != 2000 {
			t.Fatalf("%d documents, want 2000", len(lines))
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(lines[0]), &doc); err != nil {
			t.Fatal(err)
		}
		if doc["iteration"] != 0.0 || doc["run_name"] != "demo_unet" || len(doc) != 4 {
			t.Errorf("first document %v, want DaCapo's {iteration, loss, time, run_name}", doc)
		}
		// It is valid input for put training.
		store := filepath.Join(t.TempDir(), "stats")
		mustRunIn(t, strings.Join(lines, "\n"), "--store", store, "put", "training", "demo_unet")
		if got := storedTraining(t, store, "demo_unet"); len(got) != 2000 {
			t.Errorf("put of the export stored %d entries, want 2000", len(got))
		}
	})
	t.Run("validation jsonl", func(t *testing.T) {
		lines := strings.Split(strings.TrimSpace(mustRun(t, "--store", dir, "export", "demo_unet", "--what", "validation", "--format", "jsonl").stdout), "\n")
		var doc struct {
			Iteration int           `json:"iteration"`
			Scores    [][][]any     `json:"scores"`
			RunName   string        `json:"run_name"`
			Extra     []interface{} `json:"extra"`
		}
		if err := json.Unmarshal([]byte(lines[0]), &doc); err != nil {
			t.Fatal(err)
		}
		if len(lines) != 10 || doc.Iteration != 200 || len(doc.Scores) != 2 || len(doc.Scores[0]) != 3 || len(doc.Scores[0][0]) != 21 || doc.RunName != "demo_unet" {
			t.Errorf("%d documents, first %d with %d datasets: want 10 documents shaped 2×3×21", len(lines), doc.Iteration, len(doc.Scores))
		}
		if doc.Scores[1][2][2] != "NaN" {
			t.Errorf("the undefined Hausdorff distance is %v, want \"NaN\"", doc.Scores[1][2][2])
		}
	})
	t.Run("training parquet", func(t *testing.T) {
		path := filepath.Join(out, "loss.parquet")
		mustRun(t, "--store", dir, "export", "demo_unet", "-o", path)
		rows := readParquet[cliexport.TrainingRow](t, path)
		nan := 0
		for i, r := range rows {
			if r.Iteration != int64(i) {
				t.Fatalf("row %d has iteration %d", i, r.Iteration)
			}
			if math.IsNaN(r.Loss) {
				nan++
			}
		}
		if len(rows) != 2000 || nan != 2 {
			t.Errorf("%d rows, %d NaN losses; want 2000 and 2", len(rows), nan)
		}
	})
	t.Run("validation parquet", func(t *testing.T) {
		path := filepath.Join(out, "scores.pq")
		mustRun(t, "--store", dir, "export", "demo_unet", "--what", "validation", "--format", "parquet", "-o", path)
		rows := readParquet[cliexport.ValidationRow](t, path)
		want := validationRows(t, dir, "demo_unet")
		if len(rows) != 10*2*3*21 || len(rows) != len(want) {
			t.Fatalf("%d rows, want %d", len(rows), 10*2*3*21)
		}
		for _, r := range rows {
			w := want[rowKey{int(r.Iteration), r.Dataset, r.Parameters, r.Criterion}]
			if w != r.Value && !(math.IsNaN(w) && math.IsNaN(r.Value)) {
				t.Errorf("row %+v: value %v, want %v", r, r.Value, w)
			}
		}
	})
	t.Run("no partial file on error", func(t *testing.T) {
		path := filepath.Join(out, "missing.csv")
		if r := run(t, "--store", dir, "export", "no_such_run", "-o", path); r.code != exitError || !strings.Contains(r.stderr, "no training stats") {
			t.Errorf("exit %d, stderr %q: want 1 saying the run has no training stats", r.code, r.stderr)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("%s exists after a failed export", path)
		}
	})
}

func readParquet[T any](t *testing.T, path string) []T {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := parquet.Read[T](bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return rows
}

func TestPlot(t *testing.T) {
	dir := demoStore(t)
	out := t.TempDir()
	tests := []struct {
		name          string
		args          []string
		width, height int
	}{
		{"loss", []string{"plot", "demo_unet"}, 640, 480},
		{"criterion per parameter set", []string{"plot", "demo_unet", "demo_unet_small", "--criterion", "f1_score"}, 900, 1000},
		{"best over parameters", []string{"plot", "demo_unet", "--criterion", "hausdorff", "--best-over-parameters", "--smooth", "20"}, 333, 777},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(out, strings.ReplaceAll(tt.name, " ", "_")+".png")
			args := append([]string{"--store", dir}, tt.args...)
			args = append(args, "-o", path, "--width", itoa(tt.width), "--height", itoa(tt.height))
			mustRun(t, args...)
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			img, err := png.Decode(f)
			if err != nil {
				t.Fatalf("decode %s: %v", path, err)
			}
			if b := img.Bounds(); b.Dx() != tt.width || b.Dy() != tt.height {
				t.Errorf("image is %d×%d, want %d×%d", b.Dx(), b.Dy(), tt.width, tt.height)
			}
		})
	}
	t.Run("svg", func(t *testing.T) {
		path := filepath.Join(out, "plot.svg")
		mustRun(t, "--store", dir, "plot", "demo_unet", "--criterion", "voi", "-o", path)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(data, []byte("<svg")) || !bytes.Contains(data, []byte("crop_b: voi")) {
			t.Errorf("%s is not an SVG with the crop_b panel", path)
		}
	})
	t.Run("bad requests", func(t *testing.T) {
		for _, args := range [][]string{
			{"plot", "demo_unet"},
			{"plot", "demo_unet", "-o", filepath.Join(out, "x.gif")},
			{"plot", "demo_unet", "-o", filepath.Join(out, "x.png"), "--width", "5"},
			{"plot", "demo_unet", "-o", filepath.Join(out, "x.png"), "--criterion", "nope"},
		} {
			r := run(t, append([]string{"--store", dir}, args...)...)
			if r.code != exitUsage {
				t.Errorf("statstore %v: exit %d, want %d; stderr %s", args, r.code, exitUsage, r.stderr)
			}
		}
	})
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func TestDelete(t *testing.T) {
	dir := demoStore(t)
	mustRun(t, "--store", dir, "delete", "demo_unet", "--validation", "--yes")
	var d runDetails
	decodeJSON(t, mustRun(t, "--store", dir, "show", "demo_unet", "--json"), &d)
	if d.TrainingIterations != 2000 || d.ValidationIterations != 0 {
		t.Errorf("after delete --validation: %d training and %d validation entries, want 2000 and 0", d.TrainingIterations, d.ValidationIterations)
	}
	mustRun(t, "--store", dir, "delete", "demo_unet", "--training", "--yes")
	if r := run(t, "--store", dir, "show", "demo_unet"); r.code != exitError || !strings.Contains(r.stderr, "statstore runs") {
		t.Errorf("show of a deleted run: exit %d, stderr %q; want 1 with a hint", r.code, r.stderr)
	}
	mustRun(t, "--store", dir, "delete", "demo_unet_small", "-y")
	var runs []runSummary
	decodeJSON(t, mustRun(t, "--store", dir, "runs", "--json"), &runs)
	if len(runs) != 0 {
		t.Errorf("runs after deleting everything: %+v", runs)
	}
	if r := run(t, "--store", dir, "delete", "never_existed", "--yes"); r.code != exitError || !strings.Contains(r.stderr, "not in this store") {
		t.Errorf("delete of a run that never existed: exit %d, stderr %q; want 1 saying it is not in the store", r.code, r.stderr)
	}
}

func TestFsckAndRepair(t *testing.T) {
	dir := demoStore(t)
	var rep checkReport
	decodeJSON(t, mustRun(t, "--store", dir, "fsck", "--json"), &rep)
	if !rep.OK || len(rep.Files) != 4 {
		t.Fatalf("fsck of a fresh store: %+v, want ok with 4 files", rep)
	}
	// Flip a byte in the middle of a training file.
	path := filepath.Join(dir, "training_stats", "demo_unet")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, "--store", dir, "fsck")
	if r.code != exitCorrupt || !strings.Contains(r.stderr, path) || !strings.Contains(r.stderr, "byte offset") || !strings.Contains(r.stderr, "repair") {
		t.Errorf("fsck of a damaged store: exit %d, stderr %q; want %d naming %s, the offset and repair", r.code, r.stderr, exitCorrupt, path)
	}
	if r := run(t, "--store", dir, "show", "demo_unet"); r.code != exitCorrupt || !strings.Contains(r.stderr, "fsck") {
		t.Errorf("reading a damaged run: exit %d, stderr %q; want %d suggesting fsck", r.code, r.stderr, exitCorrupt)
	}
	if r := mustRun(t, "--store", dir, "repair", "--yes"); !strings.Contains(r.stdout, "REPAIRED") {
		t.Errorf("repair output:\n%s", r.stdout)
	}
	decodeJSON(t, mustRun(t, "--store", dir, "fsck", "--json"), &rep)
	if !rep.OK {
		t.Errorf("fsck after repair: %+v", rep)
	}
	var d runDetails
	decodeJSON(t, mustRun(t, "--store", dir, "show", "demo_unet", "--json"), &d)
	if d.TrainingIterations == 0 || d.TrainingIterations >= 2000 {
		t.Errorf("after repair the run has %d training entries, want all but the damaged chunk's of 2000", d.TrainingIterations)
	}
}

func TestCopyAndEnvironment(t *testing.T) {
	dir := demoStore(t)
	dst := filepath.Join(t.TempDir(), "copy")
	mustRun(t, "copy", "--from", dir, "--to", dst, "--run", "demo_unet")
	// $STATSTORE names the store when --store is not given.
	r := invoke(t, invocation{args: []string{"runs", "--json"}, env: map[string]string{"STATSTORE": dst}})
	var runs []runSummary
	decodeJSON(t, r, &runs)
	if len(runs) != 1 || runs[0].Run != "demo_unet" || runs[0].TrainingIterations != 2000 || runs[0].ValidationIterations != 10 {
		t.Errorf("copied store holds %+v, want demo_unet with 2000 training and 10 validation entries", runs)
	}
	a := mustRun(t, "--store", dir, "export", "demo_unet", "--what", "validation").stdout
	b := mustRun(t, "--store", dst, "export", "demo_unet", "--what", "validation").stdout
	if a != b {
		t.Error("the copy's validation export differs from the original's")
	}
}

// TestDeleteReportsWhatItDeleted: delete says what it removed, says so
// when the run has none of what was asked for, and leaves the run out of
// statstore runs. (A run that never existed is an error:
// TestDeleteUnknownRun.)
func TestDeleteReportsWhatItDeleted(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "stats")
	mustRunIn(t, trainingDocs(iterations(0, 1, 2)...), "--store", dir, "put", "training", "r")
	mustRunIn(t, `{"iteration": 10, "scores": [[[1, 2]]]}`, "--store", dir, "--preset", "dummy", "--datasets", "a", "--parameters", "threshold=0.5", "put", "validation", "r")
	mustRunIn(t, trainingDocs(iterations(0)...), "--store", dir, "put", "training", "other")
	steps := []struct {
		args    []string
		want    []string
		notWant []string
	}{
		{[]string{"delete", "r", "--validation"}, []string{"deleted the validation scores of r", "1 validation", "last validated checkpoint 10"}, []string{"training"}},
		{[]string{"delete", "r", "--validation"}, []string{"nothing to delete", "no validation scores"}, []string{"deleted"}},
		{[]string{"delete", "r"}, []string{"moved run r to the trash (id ", "3 training iterations", "restore it with: statstore trash restore "}, []string{"validation"}},
	}
	for _, st := range steps {
		out := mustRun(t, append(append([]string{"--store", dir}, st.args...), "--yes")...).stdout
		for _, w := range st.want {
			if !strings.Contains(out, w) {
				t.Errorf("statstore %s: stdout %q lacks %q", strings.Join(st.args, " "), out, w)
			}
		}
		for _, w := range st.notWant {
			if strings.Contains(out, w) {
				t.Errorf("statstore %s: stdout %q says %q", strings.Join(st.args, " "), out, w)
			}
		}
	}
	var runs []runSummary
	decodeJSON(t, mustRun(t, "--store", dir, "runs", "--json"), &runs)
	if len(runs) != 1 || runs[0].Run != "other" {
		t.Errorf("runs after deleting r: %+v, want only other", runs)
	}
}

// keepsOnDelete is a store whose deletes succeed without deleting.
type keepsOnDelete struct{ *memstore.Store }

func (keepsOnDelete) DeleteRun(context.Context, string) error { return nil }

// TestDeleteChecksTheRunIsGone: a delete that the store acknowledged but
// that left the data is reported as an error, not as done.
func TestDeleteChecksTheRunIsGone(t *testing.T) {
	ctx := context.Background()
	s := keepsOnDelete{memstore.New(nil)}
	if err := s.StoreTrainingStats(ctx, "r", &statstore.TrainingStats{IterationStats: iterations(0, 1)}); err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	err := deleteFromStore(ctx, s, &stdout, io.Discard, "r", deleteAll)
	if err == nil || !strings.Contains(err.Error(), "still") {
		t.Errorf("deleteFromStore = %v, want an error saying the run still has data; stdout %q", err, stdout.String())
	}
	if strings.Contains(stdout.String(), "deleted") {
		t.Errorf("stdout %q reports a delete that did not happen", stdout.String())
	}
}

// listFails is a store whose ListRuns fails, as when another run is damaged.
type listFails struct{ *memstore.Store }

func (listFails) ListRuns(context.Context) ([]statstore.RunInfo, error) {
	return nil, errors.New("another run is damaged (injected)")
}

// TestDeleteWhenRunsCannotBeListed: the delete still happens (a user
// deleting a damaged run must be able to), and stderr says what could not
// be checked.
func TestDeleteWhenRunsCannotBeListed(t *testing.T) {
	ctx := context.Background()
	s := listFails{memstore.New(nil)}
	if err := s.StoreTrainingStats(ctx, "r", &statstore.TrainingStats{IterationStats: iterations(0, 1)}); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := deleteFromStore(ctx, s, &stdout, &stderr, "r", deleteAll); err != nil {
		t.Fatalf("deleteFromStore: %v", err)
	}
	if got, err := s.Store.RetrieveTrainingStats(ctx, "r"); err != nil || got.Len() != 0 {
		t.Errorf("after delete: %d entries (%v), want none", got.Len(), err)
	}
	if !strings.Contains(stdout.String(), "deleted the training stats and validation scores of r") ||
		!strings.Contains(stderr.String(), "warning") || !strings.Contains(stderr.String(), "injected") {
		t.Errorf("stdout %q, stderr %q: want the delete reported and a warning naming the failed listing", stdout.String(), stderr.String())
	}
}
