package dacapo

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

// criteriaDir writes a DaCapo directory whose run "r" has 2 datasets × 1
// parameter set × n criteria validated at 1000, 2000 and 3000; criterion c
// of checkpoint i is score(i, c).
func criteriaDir(t *testing.T, n int, score func(i, c int) float64) string {
	t.Helper()
	var entries []statstore.ValidationIterationScores
	for i, it := range []int{1000, 2000, 3000} {
		s := make([][][]float64, 2)
		for d := range s {
			s[d] = [][]float64{make([]float64, n)}
			for c := range n {
				s[d][0][c] = score(i, c)
			}
		}
		entries = append(entries, statstore.ValidationIterationScores{Iteration: it, Scores: s})
	}
	return writeRunFile(t, ValidationDir, encodeValidation("r", entries))
}

// rising scores grow with the checkpoint: the best is the last checkpoint
// when higher is better, the first when lower is.
func rising(i, _ int) float64 { return float64(i) }

func TestInferPreset(t *testing.T) {
	tests := []struct {
		n      int
		want   string
		inMsg  string
		refuse bool
	}{
		{n: 21, want: statstore.PresetBinarySegmentation},
		{n: 3, want: statstore.PresetInstance},
		{n: 2, want: statstore.PresetDummy},
		{n: 42, refuse: true, inMsg: "multi_channel_binary_segmentation:<ch1>,<ch2>"},
		{n: 63, refuse: true, inMsg: "multi_channel_binary_segmentation:<ch1>,<ch2>,<ch3>"},
		{n: 4, refuse: true, inMsg: "4 criteria are not the count of a DaCapo evaluator"},
		{n: 5, refuse: true, inMsg: "binary_segmentation 21, instance 3, dummy 2"},
		{n: 1, refuse: true},
		{n: 0, refuse: true},
	}
	for _, tt := range tests {
		t.Run(itoa(tt.n), func(t *testing.T) {
			got, err := InferPreset(tt.n)
			if tt.refuse {
				if err == nil || !errors.Is(err, statstore.ErrUnknownDirection) || !strings.Contains(err.Error(), tt.inMsg) {
					t.Errorf("InferPreset(%d) = %q, %v; want ErrUnknownDirection saying %q", tt.n, got, err, tt.inMsg)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("InferPreset(%d) = %q, %v; want %q", tt.n, got, err, tt.want)
			}
			if crit, err := statstore.Preset(got); err != nil || len(crit) != tt.n {
				t.Errorf("preset %q has %d criteria (%v), want %d", got, len(crit), err, tt.n)
			}
		})
	}
}

// TestOpenInfersCriteria: 21 unnamed criteria read as binary segmentation,
// so hausdorff's best is its lowest value (DaCapo's bug and statstore's
// old default took the highest); 5 read with unknown directions, which
// best reports refuse; a preset switches inference off.
func TestOpenInfersCriteria(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t, criteriaDir(t, 21, rising), Options{})
	v, err := s.RetrieveValidationScores(ctx, "r")
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := s.InferredPreset("r", 21); !ok || p != statstore.PresetBinarySegmentation {
		t.Errorf("InferredPreset(21) = %q, %v; want binary_segmentation", p, ok)
	}
	got := map[string]int{}
	for _, b := range v.BestReport().OverDatasets {
		got[b.Criterion] = b.Iteration
	}
	if got["hausdorff"] != 1000 || got["dice"] != 3000 {
		t.Errorf("best: hausdorff at %d, dice at %d; want 1000 (lowest) and 3000 (highest)", got["hausdorff"], got["dice"])
	}

	s5 := mustOpen(t, criteriaDir(t, 5, rising), Options{})
	v5, err := s5.RetrieveValidationScores(ctx, "r")
	if err != nil {
		t.Fatal(err)
	}
	if err := v5.CheckDirections(); !errors.Is(err, statstore.ErrUnknownDirection) {
		t.Errorf("5 criteria: CheckDirections = %v, want ErrUnknownDirection", err)
	}
	if _, ok := s5.InferredPreset("r", 5); ok {
		t.Errorf("InferredPreset(5) ok, want no inference")
	}
	named := mustOpen(t, criteriaDir(t, 3, rising), Options{Preset: statstore.PresetInstance})
	if _, ok := named.InferredPreset("r", 3); ok {
		t.Errorf("InferredPreset with a preset given: ok, want no inference")
	}
}

// snapshot returns every file under dir (but the description file) with
// its contents.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Base(path) == DescriptionFile {
			return err
		}
		data, err := os.ReadFile(path)
		out[path] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameSnapshot(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestDescribe: a description file written once names a directory's axes
// for every later Open; DaCapo's files are never touched; an existing file
// is replaced only with Force; a description that does not fit a run is
// refused before anything is written; options override the file, with a
// warning.
func TestDescribe(t *testing.T) {
	ctx := context.Background()
	dir := criteriaDir(t, 3, rising)
	before := snapshot(t, dir)
	d := Description{Preset: statstore.PresetInstance, Datasets: []string{"crop_a", "crop_b"}, Parameters: statstore.ThresholdParameters(0.5)}

	t.Run("refused when it does not fit", func(t *testing.T) {
		_, err := Describe(ctx, dir, Description{Preset: statstore.PresetBinarySegmentation}, DescribeOptions{})
		if !errors.Is(err, statstore.ErrShapeMismatch) || !strings.Contains(err.Error(), `run "r"`) {
			t.Errorf("Describe(21 criteria for 3) = %v, want ErrShapeMismatch naming run r", err)
		}
		if _, err := os.Stat(filepath.Join(dir, DescriptionFile)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("description file after a refusal: %v, want none", err)
		}
		if _, err := Describe(ctx, dir, Description{}, DescribeOptions{}); !errors.Is(err, statstore.ErrInvalidArgument) {
			t.Errorf("Describe of nothing = %v, want ErrInvalidArgument", err)
		}
	})

	path, err := Describe(ctx, dir, d, DescribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, DescriptionFile) {
		t.Errorf("path %s, want %s", path, filepath.Join(dir, DescriptionFile))
	}
	if after := snapshot(t, dir); !sameSnapshot(before, after) {
		t.Errorf("DaCapo's files changed: before %d files, after %d", len(before), len(after))
	}
	written, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(written), `"criteria": "instance"`) {
		t.Errorf("description file %s, want criteria as the preset name", written)
	}

	t.Run("read by Open", func(t *testing.T) {
		s := mustOpen(t, dir, Options{})
		v, err := s.RetrieveValidationScores(ctx, "r")
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(v.Datasets, ","); got != "crop_a,crop_b" || v.Criteria()[0] != "voi_split" || v.ParameterDisplayNames()[0] != "threshold_0.5" {
			t.Errorf("axes %v %v %v, want the description's", v.Datasets, v.ParameterDisplayNames(), v.Criteria())
		}
		if p, got := s.Description(); p != path || got == nil || got.Preset != statstore.PresetInstance {
			t.Errorf("Description() = %s, %+v; want %s and the instance preset", p, got, path)
		}
		if _, ok := s.InferredPreset("r", 3); ok {
			t.Errorf("criteria inferred though the description names them")
		}
	})

	t.Run("options override it", func(t *testing.T) {
		var logs bytes.Buffer
		s := mustOpen(t, dir, Options{Datasets: []string{"x", "y"}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		v, err := s.RetrieveValidationScores(ctx, "r")
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(v.Datasets, ","); got != "x,y" || v.Criteria()[0] != "voi_split" {
			t.Errorf("axes %v %v, want datasets from the options, criteria from the file", v.Datasets, v.Criteria())
		}
		if !strings.Contains(logs.String(), "override") || !strings.Contains(logs.String(), "axes=datasets") {
			t.Errorf("log %q, want a warning that options override the file", logs.String())
		}
	})

	t.Run("not replaced without force", func(t *testing.T) {
		other := Description{Preset: statstore.PresetInstance}
		if _, err := Describe(ctx, dir, other, DescribeOptions{}); !errors.Is(err, ErrExists) {
			t.Errorf("second Describe = %v, want ErrExists", err)
		}
		if now, _ := os.ReadFile(path); !bytes.Equal(now, written) {
			t.Errorf("file changed by a refused Describe")
		}
		if _, err := Describe(ctx, dir, other, DescribeOptions{Force: true}); err != nil {
			t.Fatalf("Describe with Force: %v", err)
		}
		got, err := ReadDescription(dir)
		if err != nil || got.Preset != statstore.PresetInstance || len(got.Datasets) != 0 {
			t.Errorf("after Force: %+v, %v; want the new description", got, err)
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".tmp") {
				t.Errorf("temporary file %s left behind", e.Name())
			}
		}
	})

	t.Run("one run", func(t *testing.T) {
		if _, err := Describe(ctx, dir, Description{Datasets: []string{"p", "q"}}, DescribeOptions{Runs: []string{"nope"}}); !errors.Is(err, statstore.ErrNotFound) {
			t.Errorf("Describe of a run the directory lacks = %v, want ErrNotFound", err)
		}
		if _, err := Describe(ctx, dir, Description{Datasets: []string{"p", "q"}}, DescribeOptions{Runs: []string{"r"}}); err != nil {
			t.Fatal(err)
		}
		v, err := mustOpen(t, dir, Options{}).RetrieveValidationScores(ctx, "r")
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(v.Datasets, ","); got != "p,q" || v.Criteria()[0] != "voi_split" {
			t.Errorf("axes %v %v, want the run's datasets and the directory's criteria", v.Datasets, v.Criteria())
		}
		if _, err := Describe(ctx, dir, Description{Datasets: []string{"s", "t"}}, DescribeOptions{Runs: []string{"r"}}); !errors.Is(err, ErrExists) {
			t.Errorf("describing run r again = %v, want ErrExists", err)
		}
		if _, err := Describe(ctx, dir, Description{Datasets: []string{"s"}}, DescribeOptions{Runs: []string{"r"}, Force: true}); !errors.Is(err, statstore.ErrShapeMismatch) {
			t.Errorf("describing run r with 1 dataset of 2 = %v, want ErrShapeMismatch", err)
		}
	})

	t.Run("custom criteria list", func(t *testing.T) {
		dir := criteriaDir(t, 2, rising)
		crit := []statstore.Criterion{{Name: "loss", Bounds: statstore.Bounds{Lower: statstore.Bound(0)}}, {Name: "acc", HigherIsBetter: true}}
		if _, err := Describe(ctx, dir, Description{Criteria: crit}, DescribeOptions{}); err != nil {
			t.Fatal(err)
		}
		v, err := mustOpen(t, dir, Options{}).RetrieveValidationScores(ctx, "r")
		if err != nil {
			t.Fatal(err)
		}
		if !statstore.CriteriaEqual(v.EvaluationScores, crit) {
			t.Errorf("criteria %+v, want the description's list %+v", v.EvaluationScores, crit)
		}
	})
}

func TestReadDescriptionErrors(t *testing.T) {
	tests := []struct {
		name, body, inMsg string
	}{
		{name: "not JSON", body: "{", inMsg: "fix or remove it"},
		{name: "nothing", body: `{}`, inMsg: "names nothing"},
		{name: "run entry of nothing", body: `{"criteria": "dummy", "runs": {"r": {}}}`, inMsg: `run "r"`},
		{name: "bad run name", body: `{"criteria": "dummy", "runs": {"a/b": {"datasets": ["x"]}}}`, inMsg: "a/b"},
		{name: "criteria twice", body: `{"criteria": "dummy", "runs": {"r": {"criteria": [{"name": "x"}], "datasets": ["d", "d"]}}}`, inMsg: "given twice"},
		{name: "unknown preset", body: `{"criteria": "nope"}`, inMsg: "nope"},
		{name: "repeated dataset", body: `{"datasets": ["a", "a"], "criteria": "dummy"}`, inMsg: "given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, DescriptionFile), []byte(tt.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadDescription(dir)
			if !errors.Is(err, statstore.ErrInvalidArgument) || !strings.Contains(err.Error(), tt.inMsg) || !strings.Contains(err.Error(), DescriptionFile) {
				t.Errorf("got %v, want ErrInvalidArgument naming the file and %q", err, tt.inMsg)
			}
			if _, err := Open(dir, Options{}); err == nil {
				t.Errorf("Open with a bad description file: no error")
			}
		})
	}
	if d, err := ReadDescription(t.TempDir()); d != nil || err != nil {
		t.Errorf("no file: %+v, %v; want nil, nil", d, err)
	}
}
