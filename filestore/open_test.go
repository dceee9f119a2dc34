package filestore

import (
	"path/filepath"
	"slices"
	"testing"
)

// TestOpenNewStoreDurable: opening a new store makes its directories
// durable (an fsync of the store's directory and of the one holding it),
// so that a run's first write commits only the run's own files; opening
// it again fsyncs nothing, nor does a NoSync store.
func TestOpenNewStoreDurable(t *testing.T) {
	root := t.TempDir()
	var synced []string
	ffs := &faultFS{each: func(op faultOp, path string) {
		if op == opSyncDir {
			synced = append(synced, filepath.Clean(path))
		}
	}}
	dir := filepath.Join(root, "store")
	for round, want := range [][]string{{dir, root}, nil} {
		synced = nil
		s, err := Open(dir, Options{fs: ffs})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(synced, want) {
			t.Fatalf("open %d: fsynced directories %q, want %q", round, synced, want)
		}
	}
	synced = nil
	s, err := Open(filepath.Join(root, "nosync"), Options{fs: ffs, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil || len(synced) > 0 {
		t.Fatalf("NoSync: fsynced %q (%v), want nothing", synced, err)
	}
}
