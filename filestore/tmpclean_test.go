package filestore

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOpenRemovesStaleTemps: a writable Open removes temporary files older
// than StaleTempAge and keeps younger ones (a write may be in progress in
// another process); a read-only Open removes nothing.
func TestOpenRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	tmp := filepath.Join(dir, tmpDir)
	files := map[string]time.Duration{"old.1.tmp": 2 * StaleTempAge, "edge.2.tmp": StaleTempAge + time.Second, "young.3.tmp": time.Minute}
	for name, age := range files {
		path := filepath.Join(tmp, name)
		if err := os.WriteFile(path, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	clock := func() time.Time { return now }

	ro, err := Open(dir, Options{ReadOnly: true, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	_ = ro.Close()
	if got := listDir(t, tmp); len(got) != 3 {
		t.Fatalf("after a read-only open: %v, want all 3 temporary files kept", got)
	}

	var logs bytes.Buffer
	w, err := Open(dir, Options{Now: clock, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	if got, want := strings.Join(listDir(t, tmp), ","), "young.3.tmp"; got != want {
		t.Errorf("after a writable open: %s, want %s", got, want)
	}
	if n := strings.Count(logs.String(), "removed a temporary file"); n != 2 {
		t.Errorf("logged %d removals, want 2:\n%s", n, logs.String())
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
