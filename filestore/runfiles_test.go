package filestore

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/gofrs/flock"
	"github.com/statstore/statstore"
)

// retrieveFresh returns run's training history as a newly opened Store
// reads it.
func retrieveFresh(t *testing.T, dir, run string) []statstore.TrainingIterationStats {
	t.Helper()
	s, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.RetrieveTrainingStats(context.Background(), run)
	if err != nil {
		t.Fatal(err)
	}
	return got.IterationStats
}

// TestKeptFilesSeeOtherWriters: a Store keeps a run's lock and training
// files open between calls; another Store (another process) that appends
// to, replaces or deletes the run in between must be seen, never written
// past: each append lands in the file the path names, after its end.
func TestKeptFilesSeeOtherWriters(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	run := "r"
	store := func(s *Store, h []statstore.TrainingIterationStats) {
		t.Helper()
		if err := s.StoreTrainingStats(ctx, run, &statstore.TrainingStats{IterationStats: h}); err != nil {
			t.Fatal(err)
		}
	}
	check := func(what string, want []statstore.TrainingIterationStats) {
		t.Helper()
		if got := retrieveFresh(t, dir, run); !sameHistory(got, want) {
			t.Fatalf("%s: a fresh Store reads %d entries, want %d as stored", what, len(got), len(want))
		}
	}
	h := history(0, 1, 3000)

	// b deletes a run a keeps open and writes the same start again: a new
	// file with the records a's open one holds, which a must extend.
	run = "d"
	store(a, h[:500])  // creates the file
	store(a, h[:1000]) // opens it, and keeps it open
	if err := b.DeleteRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	store(b, h[:1000])
	store(a, h[:2000])
	check("after another Store's delete and rewrite", h[:2000])

	run = "r"
	store(a, h[:1000])
	store(b, h[:2000]) // grows the file a keeps open
	store(a, h[:3000])
	check("after another Store's append", h[:3000])

	// b rewinds: a new file is renamed over the one a keeps open.
	g := history(0, 1, 3000)
	for i := 1200; i < len(g); i++ {
		g[i].Loss++
	}
	store(b, g[:1500])
	store(a, g[:2500])
	check("after another Store's replace", g[:2500])

	// b deletes the run, and with it the lock file a keeps open, and
	// stores its start again: a new file, which a must extend.
	if err := b.DeleteRun(ctx, "r"); err != nil {
		t.Fatal(err)
	}
	store(b, h[:1000])
	store(a, h[:2000])
	check("after another Store's delete", h[:2000])
	_, unlock, err := a.lockRunFiles(ctx, "r")
	if err != nil {
		t.Fatal(err)
	}
	other := flock.New(a.lockPath("r"))
	locked, err := other.TryLock()
	_ = other.Close()
	unlock()
	if err != nil || locked {
		t.Fatalf("while a holds the run's lock, another lock of the path's file: locked %v, err %v; want refused", locked, err)
	}
	store(b, h[:3000])
	check("after the lock was re-made", h[:3000])
}

// openFDs counts the process's open file descriptors on files under dir
// (others, of the runtime or of other tests, do not count).
func openFDs(t *testing.T, dir string) int {
	t.Helper()
	dir, err := filepath.EvalSymlinks(dir) // the links name resolved paths
	if err != nil {
		t.Fatal(err)
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(target, dir+string(filepath.Separator)) {
			n++
		}
	}
	return n
}

// TestKeptFilesBounded: a Store keeps the files of at most maxOpenRuns
// runs open, the runs it stops keeping stay writable, and Close closes
// them all.
func TestKeptFilesBounded(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("counts descriptors in /proc/self/fd (Linux)")
	}
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	runs := maxOpenRuns + 16
	h := history(0, 1, 20)
	for round := 1; round <= 2; round++ {
		for i := range runs {
			run := "run" + string(rune('a'+i/26)) + string(rune('a'+i%26))
			if err := s.StoreTrainingStats(ctx, run, &statstore.TrainingStats{IterationStats: h[:10*round]}); err != nil {
				t.Fatal(err)
			}
		}
		// Each kept run holds three descriptors: its lock, training
		// and summary files.
		if n := openFDs(t, dir); n > 3*maxOpenRuns {
			t.Fatalf("round %d: %d descriptors open on the store's files for %d runs; want at most %d", round, n, runs, 3*maxOpenRuns)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := openFDs(t, dir); n > 0 {
		t.Fatalf("%d descriptors still open on the store's files after Close", n)
	}
	for i := range runs {
		run := "run" + string(rune('a'+i/26)) + string(rune('a'+i%26))
		if got := retrieveFresh(t, dir, run); !sameHistory(got, h) {
			t.Fatalf("run %s: %d entries, want %d", run, len(got), len(h))
		}
	}
}
