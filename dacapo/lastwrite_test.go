package dacapo

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/statstore/statstore"
)

// TestLastWrite: a run's LastWrite is the later modification time of its
// two pickles, or of its only one, and reading does not change them.
func TestLastWrite(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/proto4")); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)
	times := map[string]time.Time{
		filepath.Join(TrainingDir, "plain_run"):      base.Add(time.Hour),
		filepath.Join(ValidationDir, "plain_run"):    base,
		filepath.Join(TrainingDir, "numpy_v1_run"):   base,
		filepath.Join(ValidationDir, "numpy_v1_run"): base.Add(2 * time.Hour),
		filepath.Join(ValidationDir, "numpy2_ünet"):  base.Add(3 * time.Hour),
	}
	for name, mt := range times {
		if err := os.Chtimes(filepath.Join(dir, name), mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	s := mustOpen(t, dir, Options{})
	runs, err := s.ListRuns(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{"plain_run": base.Add(time.Hour), "numpy_v1_run": base.Add(2 * time.Hour), "numpy2_ünet": base.Add(3 * time.Hour)}
	if len(runs) != len(want) {
		t.Fatalf("ListRuns: got %d runs %+v, want %d", len(runs), runs, len(want))
	}
	for _, r := range runs {
		if !r.LastWrite.Equal(want[r.Run]) {
			t.Errorf("run %q: got LastWrite %s, want %s", r.Run, r.LastWrite, want[r.Run])
		}
	}
	for name, mt := range times {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || !fi.ModTime().Equal(mt) {
			t.Errorf("%s after listing: modification time %v (%v), want %s unchanged", name, fi.ModTime(), err, mt)
		}
	}
}

// sameInfo compares run infos but for LastWrite, which is each store's own
// (TestLastWrite checks it).
func sameInfo(a, b statstore.RunInfo) bool {
	a.LastWrite, b.LastWrite = time.Time{}, time.Time{}
	return a == b
}
