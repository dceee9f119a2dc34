package dacapo

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

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
	// Without Force, the stale file of a run that now has no training
	// stats stops the export before it writes anything; with Force it is
	// removed after a backup.
	stale := filepath.Join(out, TrainingDir, "scores only")
	if err := Export(ctx, src, out, nil); !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), stale) {
		t.Fatalf("Export over a stale file: got %v, want ErrExists naming %s", err, stale)
	}
	if entries, _ := os.ReadDir(filepath.Join(out, ValidationDir)); len(entries) != 0 {
		t.Errorf("a refused export wrote %d validation files", len(entries))
	}
	res, err := ExportWith(ctx, src, out, nil, ExportOptions{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Replaced) != 1 || res.Replaced[0] != stale || filepath.Dir(res.BackupDir) != filepath.Join(out, ".backup") {
		t.Errorf("ExportWith: %+v, want the stale file replaced, backed up under %s/.backup", res, out)
	}
	if data, err := os.ReadFile(filepath.Join(res.BackupDir, TrainingDir, "scores only")); err != nil || string(data) != "stale" {
		t.Errorf("backup of the stale file: %q, %v; want %q", data, err, "stale")
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the stale file is still there: %v", err)
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

// TestExportNeverOverwritesSilently: exporting a run into a DaCapo
// directory that already holds it changes nothing without Force; with
// Force every replaced or removed file is backed up first (issue 10, D2: a
// 3,000-entry run was replaced by 1 entry and its validation file deleted,
// without a warning).
func TestExportNeverOverwritesSilently(t *testing.T) {
	ctx := context.Background()
	dst := t.TempDir()
	if err := os.CopyFS(dst, os.DirFS("testdata/proto4")); err != nil {
		t.Fatal(err)
	}
	before := map[string][]byte{}
	for _, sub := range []string{TrainingDir, ValidationDir} {
		for _, run := range []string{"plain_run", "numpy_v1_run", "numpy2_ünet"} {
			if data, err := os.ReadFile(filepath.Join(dst, sub, run)); err == nil {
				before[filepath.Join(sub, run)] = data
			}
		}
	}
	// The source holds plain_run with one training entry and no scores.
	src := memstore.New(nil)
	t.Cleanup(func() { src.Close() })
	one, err := statstore.NewTrainingStats(statstore.TrainingIterationStats{Iteration: 0, Loss: 1, Time: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.StoreTrainingStats(ctx, "plain_run", one); err != nil {
		t.Fatal(err)
	}
	unchanged := func(t *testing.T, except ...string) {
		t.Helper()
		for name, data := range before {
			if slices.Contains(except, name) {
				continue
			}
			if got, err := os.ReadFile(filepath.Join(dst, name)); err != nil || !bytes.Equal(got, data) {
				t.Errorf("%s changed (%v)", name, err)
			}
		}
	}

	err = Export(ctx, src, dst, nil)
	if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), filepath.Join(dst, TrainingDir, "plain_run")) ||
		!strings.Contains(err.Error(), filepath.Join(dst, ValidationDir, "plain_run")) {
		t.Fatalf("Export over an existing run: got %v, want ErrExists naming its training and validation files", err)
	}
	unchanged(t)
	if _, err := os.Stat(filepath.Join(dst, ".backup")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused export made a backup directory: %v", err)
	}

	at := time.Date(2026, 12, 4, 15, 0, 0, 42, time.UTC)
	res, err := ExportWith(ctx, src, dst, nil, ExportOptions{Force: true, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	wantBackup := filepath.Join(dst, ".backup", "20261204T150000.000000042Z")
	if res.BackupDir != wantBackup || len(res.Replaced) != 2 {
		t.Errorf("ExportWith: %+v, want 2 files replaced and backed up in %s", res, wantBackup)
	}
	for _, name := range []string{filepath.Join(TrainingDir, "plain_run"), filepath.Join(ValidationDir, "plain_run")} {
		if got, err := os.ReadFile(filepath.Join(wantBackup, name)); err != nil || !bytes.Equal(got, before[name]) {
			t.Errorf("backup of %s: %v; want the old file's bytes", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dst, ValidationDir, "plain_run")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the old validation file of plain_run is still there: %v", err)
	}
	unchanged(t, filepath.Join(TrainingDir, "plain_run"), filepath.Join(ValidationDir, "plain_run"))
	s := mustOpen(t, dst, Options{})
	got, err := s.RetrieveTrainingStats(ctx, "plain_run")
	if err != nil || !got.Equal(one) {
		t.Errorf("plain_run after the forced export: %v, %v; want the one exported entry", got, err)
	}
	if d, err := Detect(ctx, dst); err != nil || d.Kind != DirDaCapo {
		t.Errorf("Detect after the export: %v, %v; want a DaCapo directory (the backup is not read)", d.Kind, err)
	}

	// The same export again changes nothing and needs no Force.
	res, err = ExportWith(ctx, src, dst, nil, ExportOptions{})
	if err != nil || len(res.Unchanged) != 2 || len(res.Written) != 0 || res.BackupDir != "" {
		t.Errorf("repeated export: %+v, %v; want both files unchanged, nothing written", res, err)
	}

	// A statstore file store is never a destination, even with Force.
	native := t.TempDir()
	if err := os.MkdirAll(filepath.Join(native, TrainingDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(native, TrainingDir, "r"), []byte(nativeMagic+"\x02\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ExportWith(ctx, src, native, nil, ExportOptions{Force: true}); !errors.Is(err, statstore.ErrInvalidArgument) {
		t.Errorf("export into a file store: got %v, want ErrInvalidArgument", err)
	}
}
