package fsutil

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestDatasync(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("data")); err != nil {
		t.Fatal(err)
	}
	if err := Datasync(f); err != nil {
		t.Fatalf("Datasync of an open file: %v", err)
	}
	// A wrapper's Sync is what Datasync calls: fault injection still works.
	if err := Datasync(failFile{f, &failFS{failSync: true}}); err == nil || err.Error() != "injected fsync failure" {
		t.Fatalf("Datasync of a wrapper whose Sync fails = %v, want the injected failure", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// A closed file's error names the operation and the file.
	err = Datasync(f)
	var pe *os.PathError
	if !errors.As(err, &pe) || pe.Path != path {
		t.Fatalf("Datasync of a closed file = %v, want a *os.PathError naming %s", err, path)
	}
}
