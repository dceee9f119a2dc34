package filestore

import (
	"io/fs"
	"os"

	"github.com/statstore/statstore/internal/fsutil"
	"github.com/statstore/statstore/internal/record"
)

// fileState is what a Store remembers of a data file it has read, to tell
// on the next look whether the file is the same one, grown or unchanged.
type fileState struct {
	id   uint64        // file id from the header: changes when the file is replaced
	fi   fs.FileInfo   // the file's identity (inode), for os.SameFile
	l    record.Layout // of the file's format version
	size int64         // file size when looked at
	end  int64         // end of the last committed record
	mark fileMark      // the last committed chunk, to tell a rewritten file
}

// look is what probe finds of an open data file.
type look struct {
	cur  fileState   // the file as it is now
	tail record.Tail // its committed end
	// same: the cached state's records are still the file's first ones
	// (the file may have grown since).
	same bool
}

// probe reads the header of the open data file f of kind k and compares it
// with cached (nil when nothing is cached). When cached still describes the
// whole file, current is true and nothing more is read; otherwise probe
// finds the file's committed end from its tail.
func probe(f fsutil.File, k fileKind, cached *fileState) (lk look, current bool, err error) {
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
	mark, err := readMark(f, tail.LastChunk)
	if err != nil {
		return look{}, false, err
	}
	return look{cur: fileState{id: h.id, fi: fi, l: l, size: size, end: tail.End, mark: mark}, tail: tail, same: same}, false, nil
}
