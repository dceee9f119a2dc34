package filestore

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/statstore/statstore/internal/fsutil"
	"github.com/statstore/statstore/internal/record"
)

// fileMark fingerprints a file's committed records as a Store saw them:
// the offset and header (checksum, length, type) of the last committed
// chunk. A file with the same id, inode and size as a cached state may
// still have been cut back and rewritten with records of the same length
// (an append whose fsync failed undone and retried, a torn tail replaced by
// another process's record); the last chunk's checksum tells. The zero
// fileMark is unknown: it never matches.
type fileMark struct {
	off int64 // -1: no records; 0: unknown
	hdr [record.HeaderSize]byte
}

// readMark reads the mark of a file whose last committed chunk is at off
// (-1 for none).
func readMark(f fsutil.File, off int64) (fileMark, error) {
	m := fileMark{off: off}
	if off < 0 {
		return fileMark{off: -1}, nil
	}
	n, err := f.ReadAt(m.hdr[:], off)
	if n < len(m.hdr) {
		if err == nil || errors.Is(err, io.EOF) {
			return fileMark{}, nil // the file shrank: unknown, so not the same
		}
		return fileMark{}, fmt.Errorf("filestore: read %s: %w", f.Name(), err)
	}
	return m, nil
}

// markOf returns the mark of the record encoded in buf (as Append returned
// it, for file offset start) whose last chunk is at last.
func markOf(buf []byte, start, last int64) fileMark {
	m := fileMark{off: last}
	copy(m.hdr[:], buf[last-start:])
	return m
}

// holds reports whether f still has m's last chunk: the committed records
// m was taken from are unchanged.
func (m fileMark) holds(f fsutil.File) (bool, error) {
	if m.off == 0 {
		return false, nil
	}
	now, err := readMark(f, m.off)
	if err != nil {
		return false, err
	}
	return now.off == m.off && bytes.Equal(now.hdr[:], m.hdr[:]), nil
}
