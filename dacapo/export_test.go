package dacapo

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/memstore"
)

// exportSources are the DaCapo directories exported and compared with
// Python: the testdata directories and, when present, the shared samples.
func exportSources(t *testing.T) []string {
	dirs := []string{}
	for _, d := range protoDirs {
		dirs = append(dirs, filepath.Join("testdata", d))
	}
	for _, d := range []string{"sample-stats", "sample-stats-numpy"} {
		if p := filepath.Join(sharedDir, d); IsStatsDir(p) {
			dirs = append(dirs, p)
		} else {
			t.Logf("shared sample %s not found; exporting the testdata directories only", p)
		}
	}
	return dirs
}

// TestExportRoundTrip opens each DaCapo directory, exports it, and checks
// with Python's pickle.load (testdata/compare_export.py) that the exported
// documents are the ones DaCapo writes for the original, NaN included; then
// reads the export back and compares it with the original store.
func TestExportRoundTrip(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is needed to check exported pickles: %v", err)
	}
	ctx := context.Background()
	var pairs []string  // original, export, ...: one python3 run checks them all
	root := t.TempDir() // outlives the subtests
	for _, src := range exportSources(t) {
		t.Run(filepath.Base(src), func(t *testing.T) {
			s := mustOpen(t, src, Options{})
			out := filepath.Join(root, filepath.Base(src))
			if err := Export(ctx, s, out, nil); err != nil {
				t.Fatalf("Export: %v", err)
			}
			pairs = append(pairs, src, out)
			back := mustOpen(t, out, Options{})
			sameStores(t, s, back)
			if !IsStatsDir(out) {
				t.Errorf("IsStatsDir(export) = false, want true")
			}
		})
	}
	cmd := exec.Command(python, append([]string{"testdata/compare_export.py"}, pairs...)...)
	msg, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("compare_export.py: %v\n%s", err, msg)
	}
	t.Logf("%s", msg)
}

// TestExportFromMemstore exports runs written through the ordinary store API,
// including a run name that needs care on disk, and checks errors for
// unknown and invalid runs.
func TestExportFromMemstore(t *testing.T) {
	ctx := context.Background()
	src := memstore.New(nil)
	t.Cleanup(func() { src.Close() })
	stats, err := statstore.NewTrainingStats(
		statstore.TrainingIterationStats{Iteration: 0, Loss: 1, Time: 0.5},
		statstore.TrainingIterationStats{Iteration: 7, Loss: 0.5, Time: 0.25},
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.StoreTrainingStats(ctx, "run with spaces", stats); err != nil {
		t.Fatal(err)
	}
	meta := statstore.GenericMetadata(1, 2, 2)
	scores := &statstore.ValidationScores{Metadata: meta}
	if err := scores.AddIterationScores(statstore.ValidationIterationScores{Iteration: 7, Scores: [][][]float64{{{0.1, 0.2}, {0.3, 0.4}}}}); err != nil {
		t.Fatal(err)
	}
	if err := src.StoreValidationIterationScores(ctx, "scores only", scores); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	// A stale file of a run that now has no training stats is removed.
	if err := os.MkdirAll(filepath.Join(out, TrainingDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, TrainingDir, "scores only"), []byte("stale"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Export(ctx, src, out, nil); err != nil {
		t.Fatal(err)
	}
	back := mustOpen(t, out, Options{})
	sameStores(t, src, back)

	tests := []struct {
		name string
		runs []string
		want error
	}{
		{"unknown run", []string{"nope"}, statstore.ErrNotFound},
		{"invalid run name", []string{"../escape"}, statstore.ErrInvalidRunName},
		{"named run", []string{"scores only"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Export(ctx, src, t.TempDir(), tt.runs); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

// TestImport copies a DaCapo directory into a memstore with named axes.
func TestImport(t *testing.T) {
	ctx := context.Background()
	src := mustOpen(t, "testdata/proto3", Options{Preset: statstore.PresetInstance, Datasets: []string{"a", "b"}})
	dst := memstore.New(nil)
	t.Cleanup(func() { dst.Close() })
	if err := Import(ctx, src, dst, []string{"plain_run"}); err != nil {
		t.Fatal(err)
	}
	got, err := dst.RetrieveValidationScores(ctx, "plain_run")
	if err != nil {
		t.Fatal(err)
	}
	if got.Len() != 3 || got.Datasets[1] != "b" || got.Criteria()[0] != "voi_split" || got.Parameters[1].Name != "parameters_1" {
		t.Errorf("imported metadata %+v with %d entries, want datasets a, b, instance criteria, generic parameters, 3 entries", got.Metadata, got.Len())
	}
	// numpy_v1_run has 4 criteria, the instance preset 3.
	if err := Import(ctx, src, dst, nil); !errors.Is(err, statstore.ErrShapeMismatch) {
		t.Errorf("importing every run with the instance preset: got %v, want ErrShapeMismatch", err)
	}
}
