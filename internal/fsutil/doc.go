// Package fsutil is the file I/O seam of the file store: a small FS
// interface (the operating system's files by default) through which every
// read, write, sync and rename goes, so tests can inject short writes,
// fsync failures, ENOSPC and crashes; and the durable-write helpers built on
// it: WriteAtomic (new file, fsync, rename, fsync the directory) and
// SyncDir; and Map, a read-only memory map of an operating-system file for
// readers that want its bytes without copying (ErrNoMap for other files).
package fsutil
