package filestore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/statstore/statstore"
)

// TestNonRegularRunFiles puts a named pipe, a directory and a dangling
// symbolic link where run files must be: every reader fails at once with a
// CorruptError naming the path (opening a pipe must not block), fsck
// reports each one, and Repair leaves them alone. A symbolic link to a
// valid file is read and checked like the file.
func TestNonRegularRunFiles(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	storeHistory(t, s, "real", history(0, 1, 10), 10)
	tdir := filepath.Join(dir, kindTraining.dirName())
	if err := syscall.Mkfifo(filepath.Join(tdir, "pipe"), 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err) // not a Unix file system
	}
	if err := os.Mkdir(filepath.Join(tdir, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(tdir, "missing"), filepath.Join(tdir, "dangling")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(tdir, "real"), filepath.Join(tdir, "link")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for _, run := range []string{"pipe", "dir"} {
		done := make(chan error, 1)
		go func() {
			_, err := s.RetrieveTrainingStats(ctx, run)
			done <- err
		}()
		select {
		case err := <-done:
			var ce *statstore.CorruptError
			if !errors.As(err, &ce) || ce.Path != filepath.Join(tdir, run) {
				t.Errorf("%s: read error %v, want a CorruptError naming the path", run, err)
			}
		case <-ctx.Done():
			t.Fatalf("%s: the read hangs", run)
		}
		if err := s.StoreTrainingStats(ctx, run, &statstore.TrainingStats{IterationStats: history(0, 1, 5)}); !errors.Is(err, statstore.ErrCorrupt) {
			t.Errorf("%s: write error %v, want a CorruptError", run, err)
		}
	}
	got, err := s.RetrieveTrainingStats(ctx, "link")
	if err != nil || got.Len() != 10 {
		t.Fatalf("through a symbolic link: %d entries, %v; want 10", got.Len(), err)
	}
	rep, err := Verify(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string]bool{}
	for _, f := range rep.Files {
		if f.Err != nil {
			bad[filepath.Base(f.Path)] = f.NotRegular
		}
	}
	for _, run := range []string{"pipe", "dir", "dangling"} {
		if !bad[run] {
			t.Errorf("fsck does not report %s as not a regular file: %+v", run, rep.Files)
		}
	}
	if _, ok := bad["link"]; ok || len(rep.Files) != 5 {
		t.Errorf("fsck: %+v; want the link to a valid file checked and clean, five files in all", rep.Files)
	}
	if _, err := Repair(ctx, dir, nil); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(filepath.Join(tdir, "pipe")); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("Repair touched the named pipe: %v, %v", fi, err)
	}
	// Let the cleanup's Verify pass.
	for _, p := range []string{"pipe", "dir", "dangling"} {
		if err := os.Remove(filepath.Join(tdir, p)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDeleteRemovesLock checks that deleting a run removes its lock file
// once the run has no data file left, and that the run can be written
// again.
func TestDeleteRemovesLock(t *testing.T) {
	dir := t.TempDir()
	s := mustOpenDir(t, dir, Options{NoSync: true})
	storeHistory(t, s, "r", history(0, 1, 10), 10)
	lock := filepath.Join(dir, locksDir, "r")
	if _, err := os.Stat(lock); err != nil {
		t.Fatalf("setup: no lock file: %v", err)
	}
	if err := s.StoreValidationIterationScores(t.Context(), "r", scores(0, 10)); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteTrainingStats(t.Context(), "r"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(lock); err != nil {
		t.Fatalf("lock file gone after deleting the training stats of a run that still has validation scores: %v", err)
	}
	if err := s.DeleteRun(t.Context(), "r"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(lock); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("lock file after DeleteRun: %v, want it removed", err)
	}

	storeHistory(t, s, "r", history(0, 1, 10), 10) // a new lock file
	if _, err := os.Stat(lock); err != nil {
		t.Fatalf("no lock file after writing the run again: %v", err)
	}
}

// TestRepairRefusesForeignFiles: a directory holding another tool's files
// where run files must be (DaCapo's pickles, an empty file a killed
// pickler left) is not repaired at all: Repair changes nothing and says
// why. A statstore file with one damaged magic byte is still repaired.
func TestRepairRefusesForeignFiles(t *testing.T) {
	dir := t.TempDir()
	s := mustOpenDir(t, dir, Options{NoSync: true})
	storeHistory(t, s, "ours", history(0, 1, 10), 10)
	tdir := filepath.Join(dir, kindTraining.dirName())
	pickle := []byte("\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00]\x94.")
	for name, data := range map[string][]byte{"pickled": pickle, "empty": nil} {
		if err := os.WriteFile(filepath.Join(tdir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := Repair(t.Context(), dir, nil)
	if !errors.Is(err, statstore.ErrInvalidArgument) || !strings.Contains(err.Error(), "not a statstore file") {
		t.Fatalf("Repair error %v, want a refusal naming a foreign file", err)
	}
	if rep == nil {
		t.Fatal("no report")
	}
	for _, name := range []string{"pickled", "empty"} {
		if _, err := os.Stat(filepath.Join(tdir, name)); err != nil {
			t.Errorf("%s after the refused repair: %v", name, err)
		}
	}
	if b, _ := filepath.Glob(filepath.Join(dir, ".backup", "*", "*")); len(b) != 0 {
		t.Errorf("backups %v after a refused repair", b)
	}
	for _, name := range []string{"pickled", "empty"} {
		if err := os.Remove(filepath.Join(tdir, name)); err != nil {
			t.Fatal(err)
		}
	}
	// One flipped bit in the magic: damage to our own file.
	path := filepath.Join(tdir, "ours")
	f, _ := os.ReadFile(path)
	f[2] ^= 0x20
	if err := os.WriteFile(path, f, 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err = Repair(t.Context(), dir, nil)
	if err != nil || len(rep.Files) != 1 || rep.Files[0].Foreign || rep.Files[0].Backup == "" {
		t.Fatalf("Repair of a damaged magic: %+v, %v; want it backed up and repaired", rep, err)
	}
	// Its records are intact: all of them are kept under a rebuilt header.
	if fr := rep.Files[0]; fr.Kept != 10 || fr.Removed || len(fr.Lost) != 1 || fr.Lost[0].End != headerSize || fr.Lost[0].Entries != 0 {
		t.Fatalf("Repair of a damaged magic: kept %d, removed %v, lost %v; want the 10 entries kept and only the header lost", fr.Kept, fr.Removed, fr.Lost)
	}
	got, err := mustOpenDir(t, dir, Options{ReadOnly: true}).RetrieveTrainingStats(t.Context(), "ours")
	if err != nil || !sameHistory(got.IterationStats, history(0, 1, 10)) {
		t.Fatalf("after Repair: %v, %v; want the 10 entries stored", got, err)
	}
}

// TestErrorsNamePathOnce: an error about a path names it once, not once
// per layer that wrapped it.
func TestErrorsNamePathOnce(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(file, "stats")
	_, err := Open(dir, Options{})
	if err == nil || strings.Count(err.Error(), dir) != 1 {
		t.Fatalf("Open error %q, want %s named once", err, dir)
	}
}
