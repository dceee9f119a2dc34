package filestore

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/statstore/statstore/internal/fsutil"
	"github.com/statstore/statstore/internal/record"
)

// fileState is what a Store remembers of a data file it has read, to tell
// on the next look whether the file is the same one, grown or unchanged.
type fileState struct {
	id      uint64        // file id from the header: changes when the file is replaced
	version uint16        // format version from the header
	fi      fs.FileInfo   // the file's identity (inode), for os.SameFile
	l       record.Layout // of the file's format version
	size    int64         // file size when looked at
	end     int64         // end of the last committed record
	mark    fileMark      // the last committed chunk, to tell a rewritten file
}

// look is what probe finds of an open data file.
type look struct {
	cur  fileState   // the file as it is now
	tail record.Tail // its committed end
	// same: the cached state's records are still the file's first ones
	// (the file may have grown since).
	same bool
	// torn: bytes after the committed end are a torn tail (an interrupted
	// or still running append), which readers ignore and writers truncate.
	torn bool
}

// probe reads the header of the open data file f of kind k and compares it
// with cached (nil when nothing is cached). When cached still describes the
// whole file, current is true and nothing more is read; otherwise probe
// finds the file's committed end from its tail and classifies the bytes
// after it: a torn tail (logged once as a warning) or damage, which is a
// *statstore.CorruptError for readers and writers alike.
func (s *Store) probe(f fsutil.File, k fileKind, cached *fileState) (lk look, current bool, err error) {
	h, fi, err := readHeader(f, k)
	if err != nil {
		return look{}, false, err
	}
	size := fi.Size()
	same := cached != nil && cached.id == h.id && os.SameFile(cached.fi, fi)
	if same {
		if same, err = cached.mark.holds(f); err != nil {
			return look{}, false, err
		}
	}
	if same && cached.size == size && cached.end == size {
		return look{same: true}, true, nil
	}
	l := h.layout()
	tail, err := l.Tail(f, size)
	if err != nil {
		return look{}, false, frameErr(f.Name(), err)
	}
	torn := false
	if size > tail.End {
		if err := s.classifyTail(f, l, tail.End, size); err != nil {
			return look{}, false, err
		}
		torn = true
	}
	mark, err := readMark(f, tail.LastChunk)
	if err != nil {
		return look{}, false, err
	}
	return look{cur: fileState{id: h.id, version: h.version, fi: fi, l: l, size: size, end: tail.End, mark: mark}, tail: tail, same: same, torn: torn}, false, nil
}

// classifyTail checks the bytes in [end, size) after the committed records
// of f: nil when they are a torn tail (warned about once per file and
// size), a *statstore.CorruptError when they are damage.
func (s *Store) classifyTail(f fsutil.File, l record.Layout, end, size int64) error {
	bad, err := l.CheckTail(f, end, size)
	if err != nil {
		return frameErr(f.Name(), err)
	}
	if bad != nil {
		return corrupt(f.Name(), bad.Offset, fmt.Errorf("%s; the %d bytes from offset %d on are not an interrupted write, so they may hold committed data: "+
			"run `statstore repair` to keep every entry that still verifies (it backs the file up first)", bad.Reason, size-end, end))
	}
	s.mu.Lock()
	warned := s.tornWarned[f.Name()] == size
	if !warned && s.tornWarned != nil {
		s.tornWarned[f.Name()] = size
	}
	s.mu.Unlock()
	switch {
	case warned:
	case s.writerActive(filepath.Base(f.Name())):
		s.log.Debug("ignoring bytes after the last committed record: a writer is appending",
			"path", f.Name(), "offset", end, "bytes", size-end)
	default:
		s.log.Warn("ignoring a torn tail: bytes after the last committed record that an interrupted write left (the next write truncates them)",
			"path", f.Name(), "offset", end, "bytes", size-end)
	}
	return nil
}
