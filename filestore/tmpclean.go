package filestore

import (
	"path/filepath"
	"time"
)

// StaleTempAge is how old a file in DIR/.tmp must be before a writable Open
// removes it. A file there is a new data file being written before it is
// renamed into place; one that old was left by a process killed in the
// middle of a first store, an overwrite or a repair (no write of stats
// takes that long), and is never read.
const StaleTempAge = time.Hour

// removeStaleTemps removes the files in DIR/.tmp older than StaleTempAge.
// Failing to is not an error of Open: the leftovers are logged and stay.
func (s *Store) removeStaleTemps() {
	dir := filepath.Join(s.dir, tmpDir)
	entries, err := s.fs.ReadDir(dir)
	if err != nil {
		s.log.Warn("cannot list temporary files", "dir", dir, "err", err)
		return
	}
	now := s.opts.now()
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() || now.Sub(info.ModTime()) < StaleTempAge {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if err := s.fs.Remove(path); err != nil {
			s.log.Warn("cannot remove a leftover temporary file", "path", path, "err", err)
			continue
		}
		s.log.Info("removed a temporary file left by an interrupted write", "path", path, "modified", info.ModTime())
	}
}
