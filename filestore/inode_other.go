//go:build !unix

package filestore

import "io/fs"

// inodeOf returns 0: without inode numbers a summary's stamps are the
// files' sizes and modification times.
func inodeOf(fs.FileInfo) uint64 { return 0 }

// linksOf returns 2 where the number of hard links is not known, so that
// a file is never assumed to have one name only.
func linksOf(fs.FileInfo) uint64 { return 2 }
