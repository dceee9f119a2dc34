package filestore

import (
	"fmt"
	"path/filepath"

	"github.com/statstore/statstore/internal/fsutil"
	"github.com/statstore/statstore/internal/record"
)

// classifyTail checks the bytes in [end, size) after the log's committed
// records: nil when they are a torn tail (warned about once per file and
// size), a *statstore.CorruptError when they are damage.
func (lg *recordLog) classifyTail(l record.Layout, end, size int64) error {
	s, name := lg.s, lg.name()
	bad, err := l.CheckTail(lg.f, end, size)
	if err != nil {
		return frameErr(name, err)
	}
	if bad != nil {
		return corrupt(name, bad.Offset, fmt.Errorf("%s; the %d bytes from offset %d on are not an interrupted write, so they may hold committed data: "+
			"run `statstore repair` to keep every entry that still verifies (it backs the file up first)", bad.Reason, size-end, end))
	}
	s.mu.Lock()
	warned := s.tornWarned[name] == size
	if !warned && s.tornWarned != nil {
		s.tornWarned[name] = size
	}
	s.mu.Unlock()
	switch {
	case warned:
	case s.writerActive(filepath.Base(name)):
		s.log.Debug("ignoring bytes after the last committed record: a writer is appending",
			"path", name, "offset", end, "bytes", size-end)
	default:
		s.log.Warn("ignoring a torn tail: bytes after the last committed record that an interrupted write left (the next write truncates them)",
			"path", name, "offset", end, "bytes", size-end)
	}
	return nil
}

// repairTail backs up and truncates, with a warning, the torn tail after
// the committed end of st, the log's state as a look under the run's lock
// found it (that look classified the bytes as a torn tail, or failed on
// damage), and reports whether there was one; st.size is then st.end.
// Only a writer holding the run's lock calls it.
func (lg *recordLog) repairTail(st *fileState) (bool, error) {
	size, end := st.size, st.end
	if size <= end {
		return false, nil
	}
	s := lg.s
	torn := make([]byte, size-end)
	if _, err := lg.f.ReadAt(torn, end); err != nil {
		return false, fmt.Errorf("filestore: read the torn tail of %s: %w", lg.name(), err)
	}
	backup, err := s.backup(lg.kind, lg.run, ".torn", torn)
	if err != nil {
		return false, err
	}
	s.log.Warn("truncating the torn tail an interrupted write left", "run", lg.run, "kind", lg.kind.String(),
		"path", lg.name(), "valid_bytes", end, "torn_bytes", size-end, "backup", backup)
	if err := lg.f.Truncate(end); err != nil {
		return false, fmt.Errorf("filestore: truncate torn tail of %s: %w", lg.name(), err)
	}
	if !s.opts.NoSync {
		if err := fsutil.Datasync(lg.f); err != nil {
			return false, fmt.Errorf("filestore: fsync %s: %w", lg.name(), err)
		}
	}
	st.size = end
	return true, nil
}
