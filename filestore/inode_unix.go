//go:build unix

package filestore

import (
	"io/fs"
	"syscall"
)

// inodeOf returns the file's inode number (0 when the file system does
// not say): a file renamed into place has a new one.
func inodeOf(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino) //nolint:unconvert // uint32 on some systems
	}
	return 0
}

// linksOf returns the file's number of hard links (1 when the file system
// does not say).
func linksOf(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink) //nolint:unconvert // uint16 or uint32 on some systems
	}
	return 1
}
