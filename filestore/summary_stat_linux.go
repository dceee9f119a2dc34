//go:build linux

package filestore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/fsutil"
)

// dirStamper stamps runs' data files with fstatat relative to their open
// directories: a listing of 10,000 runs makes 20,000 stats, and resolving
// one name in an open directory costs the kernel less than walking the
// whole path each time. It is used only on the operating system's file
// system (fsutil.OS); other file systems use Store.stamps.
type dirStamper struct {
	s    *Store
	dirs [2]*os.File // training, validation; nil when missing
}

// newStamper returns the stamps function of one listing, the names of
// the runs with a data file and a function that releases what it holds.
func (s *Store) newStamper() (func(run string) (runStamps, error), []string, func(), error) {
	if _, ok := s.fs.(fsutil.OS); !ok {
		return s.listAndStamp()
	}
	d := &dirStamper{s: s}
	var names []string
	for i, k := range []fileKind{kindTraining, kindValidation} {
		dir := filepath.Join(s.dir, k.dirName())
		f, err := os.Open(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			d.close()
			return nil, nil, nil, fmt.Errorf("filestore: list runs: %w", err)
		}
		d.dirs[i] = f
		// Readdirnames: no sort and no DirEntry per file, unlike ReadDir
		// (listNames); the same names are kept.
		all, err := f.Readdirnames(-1)
		if err != nil {
			d.close()
			return nil, nil, nil, fmt.Errorf("filestore: list runs: %w", pathError("list", dir, err))
		}
		for _, n := range all {
			if statstore.ValidateRunName(n) == nil {
				names = append(names, n)
			}
		}
	}
	return d.stamps, names, d.close, nil
}

// close closes the directories.
func (d *dirStamper) close() {
	for _, f := range d.dirs {
		if f != nil {
			_ = f.Close() // read-only: nothing to lose
		}
	}
}

// stamps returns the stamps of run's data files as they are now, as
// Store.stamps does.
func (d *dirStamper) stamps(run string) (runStamps, error) {
	var out runStamps
	for i, k := range []fileKind{kindTraining, kindValidation} {
		if d.dirs[i] == nil {
			continue
		}
		size, mtime, inode, err := fsutil.StatAt(d.dirs[i], run)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return runStamps{}, fmt.Errorf("filestore: the state of run %q's %s file: %w", run, k, err)
		}
		stamp := &fileStamp{Size: size, MTime: mtime, Inode: inode}
		if i == 0 {
			out.Training = stamp
		} else {
			out.Validation = stamp
		}
	}
	return out, nil
}
