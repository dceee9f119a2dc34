package fsutil

import (
	"io"
	"io/fs"
	"os"
)

// File is an open file as the file store uses it.
type File interface {
	io.ReaderAt
	io.WriterAt
	io.Closer
	// Sync commits the file's contents to stable storage.
	Sync() error
	// Truncate changes the file's size.
	Truncate(size int64) error
	// Stat returns the file's size and identity.
	Stat() (fs.FileInfo, error)
	// Name returns the path the file was opened with.
	Name() string
}

// FS is the file system the file store works on.
type FS interface {
	// OpenFile opens name like os.OpenFile.
	OpenFile(name string, flag int, perm fs.FileMode) (File, error)
	// Rename renames oldpath to newpath, replacing it, like os.Rename.
	Rename(oldpath, newpath string) error
	// Remove removes a file like os.Remove.
	Remove(name string) error
	// Link makes newname a hard link to oldname, like os.Link.
	Link(oldname, newname string) error
	// MkdirAll creates a directory and its parents like os.MkdirAll.
	MkdirAll(path string, perm fs.FileMode) error
	// Stat returns a file's information like os.Stat.
	Stat(name string) (fs.FileInfo, error)
	// Lstat returns a file's information like os.Lstat, not following a
	// symbolic link.
	Lstat(name string) (fs.FileInfo, error)
	// ReadDir lists a directory like os.ReadDir.
	ReadDir(name string) ([]fs.DirEntry, error)
	// SyncDir commits a directory's entries (creations, renames, removals)
	// to stable storage.
	SyncDir(dir string) error
}

// OS is the operating system's file system.
type OS struct{}

var _ FS = OS{}

// OpenFile implements FS.
func (OS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Rename implements FS.
func (OS) Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

// Link implements FS.
func (OS) Link(oldname, newname string) error { return os.Link(oldname, newname) }

// Remove implements FS.
func (OS) Remove(name string) error { return os.Remove(name) }

// MkdirAll implements FS.
func (OS) MkdirAll(path string, perm fs.FileMode) error { return os.MkdirAll(path, perm) }

// Stat implements FS.
func (OS) Stat(name string) (fs.FileInfo, error) { return os.Stat(name) }

// Lstat implements FS.
func (OS) Lstat(name string) (fs.FileInfo, error) { return os.Lstat(name) }

// ReadDir implements FS.
func (OS) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(name) }

// SyncDir implements FS: it opens the directory and fsyncs it.
func (OS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
