package dacapo

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/memstore"
)

// makeDir writes files (relative path → contents) into a new directory.
func makeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func readTestdata(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", path))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestDetect: a directory is told file by file; files that are neither a
// pickle nor a statstore file (empty, as DaCapo leaves one when killed
// mid-dump, zeroed, foreign) never decide what it is (issue 10, D3).
func TestDetect(t *testing.T) {
	pickle := readTestdata(t, "proto4/training_stats/plain_run")
	native := nativeMagic + "\x02\x00\x01\x00\x00\x10\x00\x00" + strings.Repeat("\x00", 16)
	tests := []struct {
		name  string
		files map[string]string
		want  DirKind
	}{
		{"pickles", map[string]string{"training_stats/a": pickle, "validation_scores/a": readTestdata(t, "proto4/validation_scores/plain_run")}, DirDaCapo},
		{"pickles and an empty file", map[string]string{"training_stats/" + "\x61": "", "training_stats/b": pickle}, DirDaCapo},
		{"empty files before a pickle", map[string]string{"training_stats/a": "", "training_stats/b": "", "training_stats/c": "", "training_stats/d": "", "training_stats/e": "", "validation_scores/z": pickle}, DirDaCapo},
		{"a truncated pickle", map[string]string{"training_stats/a": pickle[:5]}, DirDaCapo},
		{"a protocol 0 pickle", map[string]string{"training_stats/a": readTestdata(t, "proto0/training_stats/plain_run"), "training_stats/b": "\x00\x00"}, DirDaCapo},
		{"a protocol 1 pickle", map[string]string{"training_stats/a": "]q\x00."}, DirDaCapo},
		{"statstore files", map[string]string{"training_stats/a": native, "validation_scores/a": native}, DirNative},
		{"statstore files and a zeroed one", map[string]string{"training_stats/a": strings.Repeat("\x00", 40), "training_stats/b": native}, DirNative},
		{"both", map[string]string{"training_stats/a": native, "validation_scores/b": pickle}, DirMixed},
		{"only empty files", map[string]string{"training_stats/a": ""}, DirNone},
		{"no files", map[string]string{"other/a": pickle}, DirNone},
		{"hidden files only", map[string]string{"training_stats/.a.tmp1": pickle}, DirNone},
		{"training_stats is a file", map[string]string{"training_stats": pickle}, DirNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := makeDir(t, tt.files)
			d, err := Detect(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			if d.Kind != tt.want {
				t.Errorf("Detect: got %v, want %v (%+v)", d.Kind, tt.want, d)
			}
			if got := IsStatsDir(dir); got != (tt.want == DirDaCapo) {
				t.Errorf("IsStatsDir: got %v, want %v", got, tt.want == DirDaCapo)
			}
		})
	}
	if d, err := Detect(context.Background(), filepath.Join(t.TempDir(), "missing")); err != nil || d.Kind != DirNone {
		t.Errorf("Detect of a missing directory: got %v, %v; want DirNone, nil", d.Kind, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Detect(ctx, makeDir(t, map[string]string{"training_stats/a": pickle})); !errors.Is(err, context.Canceled) {
		t.Errorf("Detect with a cancelled context: got %v, want context.Canceled", err)
	}
}

// TestBadRunAmongGood: one unreadable file is one bad run; ListRuns lists
// the others (and warns), ListRunsChecked and Import name it.
func TestBadRunAmongGood(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/proto4")); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, TrainingDir, "killed")
	if err := os.WriteFile(bad, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, ValidationDir, "a_directory"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("nowhere", filepath.Join(dir, ValidationDir, "dangling")); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	s := mustOpen(t, dir, Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	runs, badRuns, err := s.ListRunsChecked(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 3 || len(badRuns) != 3 || badRuns[0].Run != "a_directory" || badRuns[1].Run != "dangling" || badRuns[2].Run != "killed" {
		t.Fatalf("ListRunsChecked: got %v and bad %v, want 3 runs and a_directory, dangling, killed bad", runs, badRuns)
	}
	for _, b := range badRuns {
		var ce *statstore.CorruptError
		if !errors.As(b, &ce) || !strings.HasSuffix(ce.Path, b.Run) {
			t.Errorf("bad run %v: want a *statstore.CorruptError naming its file", b)
		}
	}
	if !strings.Contains(badRuns[0].Error(), "a directory, not a regular file") || !strings.Contains(badRuns[1].Error(), "symbolic link to nothing") ||
		!strings.Contains(badRuns[2].Error(), "empty file") {
		t.Errorf("bad runs: %v; want a directory, a dangling link and an empty file named as such", badRuns)
	}
	listed, err := s.ListRuns(ctx)
	if err != nil || len(listed) != 3 {
		t.Errorf("ListRuns: got %v, %v; want the 3 good runs", listed, err)
	}
	if !strings.Contains(log.String(), "level=WARN") || !strings.Contains(log.String(), bad) {
		t.Errorf("ListRuns logged %q, want a warning naming %s", log.String(), bad)
	}

	dst := memstore.New(nil)
	t.Cleanup(func() { dst.Close() })
	err = Import(ctx, s, dst, nil)
	var re *RunError
	if !errors.As(err, &re) || !errors.Is(err, statstore.ErrCorrupt) || !strings.Contains(err.Error(), bad) {
		t.Errorf("Import: got %v, want an error naming %s", err, bad)
	}
	imported, err := dst.ListRuns(ctx)
	if err != nil || len(imported) != 3 {
		t.Errorf("Import wrote %v (%v), want the 3 good runs", imported, err)
	}
}

// TestDecodeStopsOnCancel: decoding a large pickle stops when its context
// is done, and says so rather than calling the file corrupt.
func TestDecodeStopsOnCancel(t *testing.T) {
	data := append([]byte{opProto, 4, opEmptyList, opMemoize, opMark}, bytes.Repeat([]byte{opNone}, 10)...)
	data = append(data, opAppends)
	for range 20000 {
		data = append(data, opMark, opNone, opAppends)
	}
	data = append(data, opStop)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := decodeTraining(ctx, data, defaultLimit(data)); !errors.Is(err, context.Canceled) {
		t.Fatalf("decodeTraining with a cancelled context: got %v, want context.Canceled", err)
	}
	if err := corrupt("f", context.Canceled); errors.Is(err, statstore.ErrCorrupt) || !errors.Is(err, context.Canceled) {
		t.Errorf("corrupt(context.Canceled) = %v, want a context error, not corruption", err)
	}
}

// TestDuplicateValidation: a DaCapo validation file holding an iteration
// twice, unsorted ([400, 800, 800, 0], as DaCapo's in-memory list can be),
// reads with the store's merge: sorted, the last entry for an iteration
// wins, with a warning naming the run and the iteration; never a
// corruption error (SPEC §2, "DaCapo directories as they are").
func TestDuplicateValidation(t *testing.T) {
	ctx := context.Background()
	entry := func(it int, v float64) statstore.ValidationIterationScores {
		return statstore.ValidationIterationScores{Iteration: it, Scores: [][][]float64{{{v}}}}
	}
	data := encodeValidation("r", []statstore.ValidationIterationScores{
		entry(400, 0.4), entry(800, 0.1), entry(800, 0.8), entry(0, 0),
	})
	var log strings.Builder
	s := mustOpen(t, writeRunFile(t, ValidationDir, data), Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	got, err := s.RetrieveValidationScores(ctx, "r")
	if err != nil {
		t.Fatal(err)
	}
	want := []statstore.ValidationIterationScores{entry(0, 0), entry(400, 0.4), entry(800, 0.8)}
	if len(got.Scores) != len(want) {
		t.Fatalf("got %d entries, want %d", len(got.Scores), len(want))
	}
	for i := range want {
		if !got.Scores[i].Equal(want[i]) {
			t.Errorf("entry %d: got %+v, want %+v", i, got.Scores[i], want[i])
		}
	}
	if !strings.Contains(log.String(), "level=WARN") || !strings.Contains(log.String(), "run=r") || !strings.Contains(log.String(), "iterations=[800]") {
		t.Errorf("log %q, want a warning naming run r and iteration 800", log.String())
	}
	runs, err := s.ListRuns(ctx)
	if err != nil || len(runs) != 1 || runs[0].ValidationIterations != 3 || runs[0].ValidatedUntil != 801 {
		t.Errorf("ListRuns: %+v, %v; want 3 validations until 801", runs, err)
	}
}

// TestDetectSample: the sample stops after n files that tell, per
// sub-directory; Detect reads them all and finds a late file of the other
// kind.
func TestDetectSample(t *testing.T) {
	pickle := readTestdata(t, "proto4/training_stats/plain_run")
	files := map[string]string{"training_stats/z_native": nativeMagic + "\x02\x00"}
	for i := range 10 {
		files["training_stats/r"+itoa(i)] = pickle
		files["training_stats/empty"+itoa(i)] = ""
	}
	dir := makeDir(t, files)
	ctx := context.Background()
	if d, err := DetectSample(ctx, dir, 3); err != nil || d.Kind != DirDaCapo {
		t.Errorf("DetectSample(3): %v, %v; want DirDaCapo from the first pickles", d.Kind, err)
	}
	if d, err := Detect(ctx, dir); err != nil || d.Kind != DirMixed || d.Native != filepath.Join(dir, "training_stats/z_native") {
		t.Errorf("Detect: %+v, %v; want DirMixed naming z_native", d, err)
	}
}
