//go:build !unix

package filestore

import "io/fs"

// inodeOf returns 0: without inode numbers a summary's stamps are the
// files' sizes and modification times.
func inodeOf(fs.FileInfo) uint64 { return 0 }
