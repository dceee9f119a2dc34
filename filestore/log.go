package filestore

import (
	"errors"
	"io/fs"
	"os"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/fsutil"
	"github.com/statstore/statstore/internal/record"
)

// recordLog is one of a run's data files, its training or its validation
// file, seen as what both are: a header followed by a log of checksummed
// records (docs/format.md). It is the one implementation of what the two
// kinds share, each in its own file:
//
//   - open and look (this file): open the file, read its header, find its
//     committed end and classify the bytes after it (log_tail.go);
//   - repair a torn tail: back it up and cut it (log_tail.go);
//   - append one record and fsync it, replace the whole file atomically
//     after a backup (log_append.go);
//   - scan the committed records from an offset (this file);
//   - follow: a stamp that tells, without reading, whether another
//     process changed the file since (log_follow.go; Watch builds on it).
//
// What is kind-specific is layered on it: the training file's state,
// memory map and seek index (training.go, readcache.go, train_reader.go),
// the validation file's decoded entries (validation.go).
//
// A recordLog is used by one goroutine; writers hold the run's lock.
type recordLog struct {
	s    *Store
	kind fileKind
	run  string
	f    fsutil.File
}

// openLog opens run's log of kind k for reading (or writing); nil without
// an error when the file does not exist. Anything but a regular file
// standing where the file must be is a *statstore.CorruptError.
func (s *Store) openLog(k fileKind, run string, write bool) (*recordLog, error) {
	f, err := s.openFile(k, run, write)
	if err != nil || f == nil {
		return nil, err
	}
	return &recordLog{s: s, kind: k, run: run, f: f}, nil
}

// close closes the log's file, keeping the first error in *err.
func (lg *recordLog) close(err *error) { closeFile(lg.f, err) }

// name returns the path of the log's file.
func (lg *recordLog) name() string { return lg.f.Name() }

// header reads and checks the log's header.
func (lg *recordLog) header() (header, fs.FileInfo, error) { return readHeader(lg.f, lg.kind) }

// fileState is what a Store remembers of a log it has read, to tell on the
// next look whether the file is the same one, grown or unchanged.
type fileState struct {
	id      uint64        // file id from the header: changes when the file is replaced
	version uint16        // format version from the header
	fi      fs.FileInfo   // the file's identity (inode), for os.SameFile
	l       record.Layout // of the file's format version
	size    int64         // file size when looked at
	end     int64         // end of the last committed record
	mark    fileMark      // the last committed chunk, to tell a rewritten file
}

// look is what recordLog.look finds.
type look struct {
	cur  fileState   // the file as it is now
	tail record.Tail // its committed end
	// same: the cached state's records are still the file's first ones
	// (the file may have grown since).
	same bool
	// torn: bytes after the committed end are a torn tail (an interrupted
	// or still running append), which readers ignore and writers repair.
	torn bool
}

// look reads the log's header and compares it with cached (nil when
// nothing is cached). When cached still describes the whole file, current
// is true and nothing more is read; otherwise look finds the committed end
// from the file's tail and classifies the bytes after it: a torn tail
// (logged once as a warning) or damage, which is a *statstore.CorruptError
// for readers and writers alike.
func (lg *recordLog) look(cached *fileState) (lk look, current bool, err error) {
	h, fi, err := lg.header()
	if err != nil {
		return look{}, false, err
	}
	size := fi.Size()
	same := cached != nil && cached.id == h.id && os.SameFile(cached.fi, fi)
	if same {
		if same, err = cached.mark.holds(lg.f); err != nil {
			return look{}, false, err
		}
	}
	if same && cached.size == size && cached.end == size {
		return look{same: true}, true, nil
	}
	l := h.layout()
	tail, err := l.Tail(lg.f, size)
	if err != nil {
		return look{}, false, frameErr(lg.name(), err)
	}
	torn := false
	if size > tail.End {
		if err := lg.classifyTail(l, tail.End, size); err != nil {
			return look{}, false, err
		}
		torn = true
	}
	mark, err := readMark(lg.f, tail.LastChunk)
	if err != nil {
		return look{}, false, err
	}
	return look{cur: fileState{id: h.id, version: h.version, fi: fi, l: l, size: size, end: tail.End, mark: mark}, tail: tail, same: same, torn: torn}, false, nil
}

// scan calls fn with each committed record in [from, to), checksums
// verified; an error of the record layer is a *statstore.CorruptError
// naming the file.
func (lg *recordLog) scan(l record.Layout, from, to int64, fn func(record.Record) error) error {
	if err := l.Scan(lg.f, from, to, fn); err != nil {
		return frameErr(lg.name(), err)
	}
	return nil
}

// frameErr turns an error of the record layer into a *statstore.CorruptError
// naming path, and wraps any other error.
func frameErr(path string, err error) error {
	var re *record.Error
	if errors.As(err, &re) {
		return corrupt(path, re.Offset, errors.New(re.Reason))
	}
	var ce *statstore.CorruptError
	if errors.As(err, &ce) {
		return err
	}
	return pathError("read", path, err)
}
