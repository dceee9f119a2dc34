package fsutil

import (
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
)

// MkdirAllDurably creates each of paths with any missing parents, like
// MkdirAll, and, unless noSync, fsyncs the directory holding each
// directory it created, deepest first, so that the new directories
// survive an operating-system crash (a new directory's entry is in its
// parent, which a later fsync of the directory itself does not cover).
// A directory that exists costs one stat and no fsync.
func MkdirAllDurably(fsys FS, perm fs.FileMode, noSync bool, paths ...string) error {
	var created []string
	for _, path := range paths {
		path = filepath.Clean(path)
		if fi, err := fsys.Stat(path); err == nil && fi.IsDir() {
			continue // an existing store's directories: one stat each
		}
		for p := path; !slices.Contains(created, p); p = filepath.Dir(p) {
			_, err := fsys.Stat(p)
			if err == nil {
				break
			}
			if !errors.Is(err, fs.ErrNotExist) {
				break // MkdirAll reports it
			}
			created = append(created, p)
			if filepath.Dir(p) == p {
				break
			}
		}
		if err := fsys.MkdirAll(path, perm); err != nil {
			return err
		}
	}
	if noSync {
		return nil
	}
	// Parents, deepest first: a directory's entry is made durable before
	// the entry of the directory holding it.
	var parents []string
	for _, p := range created {
		if d := filepath.Dir(p); d != p && !slices.Contains(parents, d) {
			parents = append(parents, d)
		}
	}
	slices.SortStableFunc(parents, func(a, b string) int { return len(b) - len(a) })
	for _, d := range parents {
		if err := fsys.SyncDir(d); err != nil {
			return err
		}
	}
	return nil
}
