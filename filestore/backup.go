package filestore

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/statstore/statstore/internal/fsutil"
)

// backupDir is where copies of data are kept before a destructive step.
const backupDir = ".backup"

// backupFile keeps the current file of run's data of kind k, about to be
// replaced, as DIR/.backup/<kind>/<run>.<unix-nanos><suffix> (".replaced"
// for an overwrite, ".upgraded" for a rewrite in a newer format version):
// a hard link (no copy) where the file system has them, else a copy. It
// returns the backup's path.
func (s *Store) backupFile(k fileKind, run, suffix string) (string, error) {
	dir := filepath.Join(s.dir, backupDir, k.dirName())
	if err := s.fs.MkdirAll(dir, dirPerm); err != nil {
		return "", fmt.Errorf("filestore: back up %s stats of run %q: %w", k, run, err)
	}
	path := filepath.Join(dir, run+"."+strconv.FormatInt(s.opts.now().UnixNano(), 10)+suffix)
	if err := s.fs.Link(s.path(k, run), path); err == nil {
		if s.opts.NoSync {
			return path, nil
		}
		if err := s.fs.SyncDir(dir); err != nil {
			return "", fmt.Errorf("filestore: back up %s stats of run %q: %w", k, run, err)
		}
		return path, nil
	}
	data, err := os.ReadFile(s.path(k, run))
	if err != nil {
		return "", fmt.Errorf("filestore: back up %s stats of run %q: %w", k, run, err)
	}
	return s.backup(k, run, suffix, data)
}

// backup durably writes data, bytes of run's file of kind k about to be
// cut or replaced, to DIR/.backup/<kind>/<run>.<unix-nanos><suffix> and
// returns that path. Nothing destructive may follow a failed backup.
func (s *Store) backup(k fileKind, run, suffix string, data []byte) (string, error) {
	dir := filepath.Join(s.dir, backupDir, k.dirName())
	if err := s.fs.MkdirAll(dir, dirPerm); err != nil {
		return "", fmt.Errorf("filestore: back up %s stats of run %q: %w", k, run, err)
	}
	path := filepath.Join(dir, run+"."+strconv.FormatInt(s.opts.now().UnixNano(), 10)+suffix)
	if err := fsutil.WriteAtomic(s.fs, filepath.Join(s.dir, tmpDir), path, data, filePerm, s.opts.NoSync); err != nil {
		return "", fmt.Errorf("filestore: back up %s stats of run %q: %w", k, run, err)
	}
	return path, nil
}
