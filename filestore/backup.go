package filestore

import (
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/statstore/statstore/internal/fsutil"
)

// backupDir is where copies of data are kept before a destructive step.
const backupDir = ".backup"

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
