package fsutil

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// syncLog records the directories SyncDir was called with.
type syncLog struct {
	OS
	synced []string
}

func (x *syncLog) SyncDir(dir string) error {
	x.synced = append(x.synced, dir)
	return x.OS.SyncDir(dir)
}

// TestMkdirAllDurably: every directory created is made durable by an
// fsync of the directory holding it, deepest first and once each; a
// second call creates nothing and fsyncs nothing; noSync fsyncs nothing.
func TestMkdirAllDurably(t *testing.T) {
	root := t.TempDir()
	a := filepath.Join(root, "a")
	b := filepath.Join(a, "b")
	paths := []string{filepath.Join(a, "e"), filepath.Join(b, "c"), filepath.Join(b, "d")}
	fsys := &syncLog{}
	if err := MkdirAllDurably(fsys, 0o755, false, paths...); err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
			t.Fatalf("%s: %v, want a directory", p, err)
		}
	}
	if want := []string{b, a, root}; !slices.Equal(fsys.synced, want) {
		t.Fatalf("fsynced %q, want %q", fsys.synced, want)
	}
	fsys.synced = nil
	if err := MkdirAllDurably(fsys, 0o755, false, paths...); err != nil || len(fsys.synced) > 0 {
		t.Fatalf("again: fsynced %q (%v), want nothing", fsys.synced, err)
	}
	if err := MkdirAllDurably(fsys, 0o755, true, filepath.Join(root, "f", "g")); err != nil || len(fsys.synced) > 0 {
		t.Fatalf("noSync: fsynced %q (%v), want nothing", fsys.synced, err)
	}
	if _, err := os.Stat(filepath.Join(root, "f", "g")); err != nil {
		t.Fatal(err)
	}
}

// TestMkdirAllDurablyNotADirectory: a file where a directory must go is
// MkdirAll's error, and nothing is fsynced.
func TestMkdirAllDurablyNotADirectory(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	fsys := &syncLog{}
	err := MkdirAllDurably(fsys, 0o755, false, filepath.Join(file, "sub"))
	if err == nil || errors.Is(err, os.ErrNotExist) || len(fsys.synced) > 0 {
		t.Fatalf("under a file: %v, fsynced %q; want MkdirAll's error and nothing fsynced", err, fsys.synced)
	}
}
