//go:build linux

package filestore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

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

// newStamper returns the stamper of one listing and a function that
// releases it.
func (s *Store) newStamper() (func(run string) (runStamps, error), func()) {
	if _, ok := s.fs.(fsutil.OS); !ok {
		return s.stamps, func() {}
	}
	d := &dirStamper{s: s}
	for i, k := range []fileKind{kindTraining, kindValidation} {
		f, err := os.Open(filepath.Join(s.dir, k.dirName()))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			d.close()
			return s.stamps, func() {}
		}
		d.dirs[i] = f
	}
	return d.stamps, d.close
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
