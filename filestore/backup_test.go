package filestore

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

// TestOverwriteKeepsBackup: training resumed from an earlier checkpoint
// replaces the stored history (SPEC §2), but the replaced file is kept in
// DIR/.backup and the warning says where.
func TestOverwriteKeepsBackup(t *testing.T) {
	dir := t.TempDir()
	log, buf := logBuffer()
	s := mustOpenDir(t, dir, Options{Logger: log})
	storeHistory(t, s, "r", history(0, 1, 300), 100)
	path := trainingFile(dir, "r")
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	resumed := history(0, 1, 150)
	resumed[149].Loss = 42 // the resumed branch differs
	if err := s.StoreTrainingStats(t.Context(), "r", &statstore.TrainingStats{IterationStats: resumed}); err != nil {
		t.Fatal(err)
	}
	backups, _ := filepath.Glob(filepath.Join(dir, ".backup", kindTraining.dirName(), "r.*.replaced"))
	if len(backups) != 1 {
		t.Fatalf("backups %v, want one", backups)
	}
	if b, _ := os.ReadFile(backups[0]); !bytes.Equal(b, before) {
		t.Fatal("the backup is not the replaced file")
	}
	if !strings.Contains(buf.String(), "overwriting training stats") || !strings.Contains(buf.String(), backups[0]) {
		t.Fatalf("log %q, want the overwrite warning naming the backup", buf.String())
	}
	got, err := s.RetrieveTrainingStats(t.Context(), "r")
	if err != nil || !sameHistory(got.IterationStats, resumed) {
		t.Fatalf("after the overwrite: %d entries, %v; want the 150 resumed ones", got.Len(), err)
	}
}

// TestSameHistoryAgainLeavesNoBackup: a retried call storing the history
// that is already stored changes nothing and keeps no backup; one that
// differs in a single bit is an overwrite with a backup.
func TestSameHistoryAgainLeavesNoBackup(t *testing.T) {
	dir := t.TempDir()
	s := mustOpenDir(t, dir, Options{NoSync: true})
	h := history(0, 1, 300)
	storeHistory(t, s, "r", h, 300)
	before, _ := os.ReadFile(trainingFile(dir, "r"))
	storeHistory(t, s, "r", h, 300)
	if now, _ := os.ReadFile(trainingFile(dir, "r")); !bytes.Equal(now, before) {
		t.Fatal("storing the same history again rewrote the file")
	}
	glob := filepath.Join(dir, ".backup", kindTraining.dirName(), "r.*")
	if backups, _ := filepath.Glob(glob); len(backups) != 0 {
		t.Fatalf("backups %v after storing the same history again, want none", backups)
	}
	h2 := history(0, 1, 300)
	h2[10].Time = -h2[10].Time
	storeHistory(t, s, "r", h2, 300)
	if backups, _ := filepath.Glob(glob); len(backups) != 1 {
		t.Fatalf("backups %v after an overwrite, want one", backups)
	}
	got, err := s.RetrieveTrainingStats(t.Context(), "r")
	if err != nil || !sameHistory(got.IterationStats, h2) {
		t.Fatalf("after the overwrite: %v", err)
	}
}

// TestTailWhileWriterHoldsLock: bytes after the committed end seen while a
// writer holds the run's lock are the append in progress: readers ignore
// them without a warning (at debug level), and warn once no writer does.
func TestTailWhileWriterHoldsLock(t *testing.T) {
	dir := t.TempDir()
	w := mustOpenDir(t, dir, Options{NoSync: true})
	storeHistory(t, w, "r", history(0, 1, 100), 100)
	path := trainingFile(dir, "r")
	f, _ := os.ReadFile(path)
	storeHistory(t, w, "r", history(0, 1, 200), 200)
	g, _ := os.ReadFile(path)
	if err := os.WriteFile(path, g[:len(f)+30], 0o644); err != nil { // an append half done
		t.Fatal(err)
	}
	unlock, err := w.lockRun(t.Context(), "r")
	if err != nil {
		t.Fatal(err)
	}
	log, buf := logBuffer()
	r := mustOpenDir(t, dir, Options{Logger: log, ReadOnly: true})
	if got, err := r.RetrieveTrainingStats(t.Context(), "r"); err != nil || got.Len() != 100 {
		t.Fatalf("read during the append: %d entries, %v; want 100", got.Len(), err)
	}
	if strings.Contains(buf.String(), "level=WARN") || !strings.Contains(buf.String(), "a writer is appending") {
		t.Fatalf("log while a writer holds the lock: %q; want a debug line and no warning", buf.String())
	}
	unlock()
	r2 := mustOpenDir(t, dir, Options{Logger: log, ReadOnly: true})
	if _, err := r2.RetrieveTrainingStats(t.Context(), "r"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "level=WARN") {
		t.Fatalf("log once no writer holds the lock: %q; want a warning about the torn tail", buf.String())
	}
	if err := os.WriteFile(path, g, 0o644); err != nil { // let the cleanup's Verify pass
		t.Fatal(err)
	}
}
