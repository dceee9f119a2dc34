package filestore

import (
	"errors"
	"io/fs"
)

// fileStamp identifies one state of a file without reading it: a log
// another process appended to, replaced or removed has a new stamp. Watch
// follows logs by their stamps (follow.go), run summaries record the
// stamps of the logs they summarise (summary.go).
type fileStamp struct {
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime_ns"`
	Inode uint64 `json:"inode"`
}

// stampOf returns the stamp of a file's information.
func stampOf(fi fs.FileInfo) *fileStamp {
	return &fileStamp{Size: fi.Size(), MTime: fi.ModTime().UnixNano(), Inode: inodeOf(fi)}
}

// sameStamp reports whether a and b stamp the same state; nil stamps a
// missing file.
func sameStamp(a, b *fileStamp) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// stampPath stats path: nil for a missing file.
func (s *Store) stampPath(path string) (*fileStamp, error) {
	fi, err := s.fs.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return stampOf(fi), nil
}

// stampLog stats run's log of kind k: nil when there is none.
func (s *Store) stampLog(k fileKind, run string) (*fileStamp, error) {
	return s.stampPath(s.path(k, run))
}
