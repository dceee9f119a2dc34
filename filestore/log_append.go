package filestore

import (
	"fmt"
	"path/filepath"

	"github.com/statstore/statstore/internal/fsutil"
	"github.com/statstore/statstore/internal/record"
)

// append writes one record holding payload at the committed end of st,
// the log's state (its torn tail repaired), fsyncs it (unless NoSync) and
// returns the state after it, and the record's encoding, made in
// scratch's storage when it is large enough (scratch may be nil). On
// failure it tries to cut the file back to st.end, so that a failed call
// leaves nothing behind.
func (lg *recordLog) append(st fileState, payload, scratch []byte) (fileState, []byte, error) {
	buf, end, last := st.l.Append(recordBufIn(scratch, st.l, nil, len(payload)), st.end, payload)
	_, err := lg.f.WriteAt(buf, st.end)
	if err == nil && !lg.s.opts.NoSync {
		err = fsutil.Datasync(lg.f)
	}
	if err != nil {
		if terr := lg.f.Truncate(st.end); terr == nil && !lg.s.opts.NoSync {
			_ = fsutil.Datasync(lg.f) // best effort: the write error is what the caller must see
		}
		return st, buf, err
	}
	next := st
	next.size, next.end, next.mark = end, end, markOf(buf, st.end, last)
	return next, buf, nil
}

// recordBuf returns prefix with room after it for a record of n payload
// bytes as l.Append encodes it (chunk headers and block padding included),
// so that the encoding does not grow its slice chunk by chunk.
func recordBuf(l record.Layout, prefix []byte, n int) []byte {
	return recordBufIn(nil, l, prefix, n)
}

// recordBufIn is recordBuf in dst's storage when it has the room (a new
// slice otherwise).
func recordBufIn(dst []byte, l record.Layout, prefix []byte, n int) []byte {
	bs := int(l.BlockLen())
	chunk := bs - record.HeaderSize // the largest payload of one chunk
	if l.MaxPayload > 0 {
		chunk = min(chunk, l.MaxPayload)
	}
	chunk = max(chunk-l.Unit, 1)   // less what splitting at units may leave out
	blocks := n/bs + 2             // blocks the record can touch
	chunks := n/chunk + blocks + 1 // each block boundary may cut one more
	room := n + chunks*record.HeaderSize + blocks*(record.HeaderSize+l.Head+l.Unit)
	if cap(dst) < len(prefix)+room {
		dst = make([]byte, 0, len(prefix)+room)
	}
	return append(dst[:0], prefix...)
}

// encodeLog returns a whole new log with header h whose records hold
// payloads in order, and its state (its inode unknown until the next look).
func encodeLog(h header, payloads ...[]byte) ([]byte, fileState) {
	l := h.layout()
	n := 0
	for _, p := range payloads {
		n += len(p)
	}
	buf, end, last := recordBuf(l, h.encode(), n), int64(headerSize), int64(-1)
	for _, p := range payloads {
		buf, end, last = l.Append(buf, end, p)
	}
	mark := fileMark{off: -1}
	if last >= 0 {
		mark = markOf(buf, 0, last)
	}
	return buf, fileState{id: h.id, version: h.version, l: l, size: end, end: end, mark: mark}
}

// replaceLog durably writes buf, a whole log of kind k, and renames it over
// run's file. With a backupSuffix it first keeps the file it replaces as
// DIR/.backup/<kind>/<run>.<ns><suffix> (backupFile) and returns that path:
// nothing is replaced without the backup.
func (s *Store) replaceLog(k fileKind, run string, buf []byte, backupSuffix string) (backup string, err error) {
	if backupSuffix != "" {
		if backup, err = s.backupFile(k, run, backupSuffix); err != nil {
			return "", fmt.Errorf("not replacing %s without a backup: %w", s.path(k, run), err)
		}
	}
	if err := fsutil.WriteAtomic(s.fs, filepath.Join(s.dir, tmpDir), s.path(k, run), buf, filePerm, s.opts.NoSync); err != nil {
		return "", err
	}
	return backup, nil
}
