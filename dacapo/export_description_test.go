package dacapo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/memstore"
)

// namedScores returns validation scores of one iteration under named
// axes: datasets ds, two named parameter sets, two criteria.
func namedScores(t *testing.T, ds ...string) *statstore.ValidationScores {
	t.Helper()
	meta := statstore.Metadata{
		Datasets: ds,
		Parameters: []statstore.ParameterSet{
			{ID: 0, Name: "threshold_0.3", Values: statstore.ParameterValues{{Name: "threshold", Value: 0.3}}},
			{ID: 1, Name: "threshold_0.5", Values: statstore.ParameterValues{{Name: "threshold", Value: 0.5}}},
		},
		EvaluationScores: []statstore.Criterion{
			{Name: "dice", HigherIsBetter: true},
			{Name: "voi", HigherIsBetter: false},
		},
	}
	v := &statstore.ValidationScores{Metadata: meta}
	grid := make([][][]float64, len(ds))
	for i := range grid {
		grid[i] = [][]float64{{0.1, 0.2}, {0.3, 0.4}}
	}
	if err := v.AddIterationScores(statstore.ValidationIterationScores{Iteration: 10, Scores: grid}); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestExportKeepsAxisNames exports runs with named datasets, parameter sets
// and criteria (which DaCapo's pickles cannot hold) and checks that the
// export's description file gives them back, that it keeps what the file
// said of other runs, and that changing what it says of an exported run
// needs force and leaves a backup.
func TestExportKeepsAxisNames(t *testing.T) {
	ctx := context.Background()
	src := memstore.New(nil)
	t.Cleanup(func() { src.Close() })
	if err := src.StoreValidationIterationScores(ctx, "run_a", namedScores(t, "crop_a", "crop_b")); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	// Another run's entry, already in the destination's description.
	other := Description{Runs: map[string]Description{"elsewhere": {Datasets: []string{"crop_z"}}}}
	if err := os.WriteFile(filepath.Join(out, DescriptionFile), mustJSON(t, other), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Export(ctx, src, out, nil); err != nil {
		t.Fatalf("Export: %v", err)
	}
	back := mustOpen(t, out, Options{})
	want, err := src.RetrieveValidationScores(ctx, "run_a")
	if err != nil {
		t.Fatal(err)
	}
	got, err := back.RetrieveValidationScores(ctx, "run_a")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Metadata.Datasets, want.Datasets) || !reflect.DeepEqual(got.Metadata.Criteria(), want.Criteria()) ||
		got.Parameters[1].DisplayName() != "threshold_0.5" || got.EvaluationScores[1].HigherIsBetter {
		t.Errorf("exported axes read back as %+v, want %+v", got.Metadata, want.Metadata)
	}
	d, err := ReadDescription(out)
	if err != nil || d == nil {
		t.Fatalf("ReadDescription: %v, %v", d, err)
	}
	if e, ok := d.Runs["elsewhere"]; !ok || !reflect.DeepEqual(e.Datasets, []string{"crop_z"}) {
		t.Errorf("the other run's entry became %+v (present %v), want kept", e, ok)
	}

	// Exporting the same again changes nothing.
	res, err := ExportWith(ctx, src, out, nil, ExportOptions{})
	if err != nil || len(res.Written) != 0 {
		t.Errorf("export again: %+v, %v; want nothing written", res, err)
	}

	// The run's datasets renamed in the source: the description would
	// change what it says of run_a, so it needs force.
	if err := src.DeleteRun(ctx, "run_a"); err != nil {
		t.Fatal(err)
	}
	if err := src.StoreValidationIterationScores(ctx, "run_a", namedScores(t, "crop_c", "crop_d")); err != nil {
		t.Fatal(err)
	}
	descPath := filepath.Join(out, DescriptionFile)
	before, err := os.ReadFile(descPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := Export(ctx, src, out, nil); !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), descPath) {
		t.Fatalf("export changing run_a's description: %v, want ErrExists naming %s", err, descPath)
	}
	if now, _ := os.ReadFile(descPath); string(now) != string(before) {
		t.Errorf("a refused export changed the description file")
	}
	res, err = ExportWith(ctx, src, out, nil, ExportOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if saved, err := os.ReadFile(filepath.Join(res.BackupDir, DescriptionFile)); err != nil || string(saved) != string(before) {
		t.Errorf("backup of the description file: %q, %v; want the old file", saved, err)
	}
	got, err = mustOpen(t, out, Options{}).RetrieveValidationScores(ctx, "run_a")
	if err != nil || !reflect.DeepEqual(got.Datasets, []string{"crop_c", "crop_d"}) {
		t.Errorf("after the forced export run_a's datasets are %v (%v), want [crop_c crop_d]", got.Datasets, err)
	}
}

// mustJSON returns d's description-file JSON.
func mustJSON(t *testing.T, d Description) []byte {
	t.Helper()
	data, err := d.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return data
}
