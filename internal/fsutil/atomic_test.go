package fsutil

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// failFS fails the named operation.
type failFS struct {
	OS
	failSync, failRename bool
	renamed              int
}

type failFile struct {
	File
	fs *failFS
}

func (f failFile) Sync() error {
	if f.fs.failSync {
		return errors.New("injected fsync failure")
	}
	return f.File.Sync()
}

func (x *failFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	f, err := x.OS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return failFile{f, x}, nil
}

func (x *failFS) Rename(a, b string) error {
	if x.failRename {
		return errors.New("injected rename failure")
	}
	x.renamed++
	return x.OS.Rename(a, b)
}

func TestWriteAtomic(t *testing.T) {
	tests := []struct {
		name    string
		fs      *failFS
		wantErr bool
	}{
		{"success", &failFS{}, false},
		{"fsync fails", &failFS{failSync: true}, true},
		{"rename fails", &failFS{failRename: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "data")
			if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
			err := WriteAtomic(tt.fs, dir, path, []byte("new"), 0o644, false)
			if (err != nil) != tt.wantErr {
				t.Fatalf("WriteAtomic error %v, want error: %v", err, tt.wantErr)
			}
			got, rerr := os.ReadFile(path)
			if rerr != nil {
				t.Fatal(rerr)
			}
			want := "new"
			if tt.wantErr {
				want = "old"
			}
			if string(got) != want {
				t.Fatalf("file holds %q, want %q", got, want)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Fatalf("directory holds %d entries, want 1 (temporary file left behind?)", len(entries))
			}
		})
	}
}

func TestRemoveDurably(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"existing", "missing"} {
		t.Run(name, func(t *testing.T) {
			if err := RemoveDurably(OS{}, path, false); err != nil {
				t.Fatalf("RemoveDurably: %v", err)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("stat after remove: %v, want not exist", err)
			}
		})
	}
}
