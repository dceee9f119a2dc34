package fsutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// NotRegularError reports something other than a regular file (a named
// pipe, a socket, a device, a directory, a dangling symbolic link) where a
// data file must be.
type NotRegularError struct {
	Path string
	Mode fs.FileMode
}

// Error implements error.
func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is a %s, not a regular file", e.Path, ModeName(e.Mode))
}

// ModeName names the type of a file that is not a regular one.
func ModeName(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "FIFO (named pipe)"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "device"
	case m.IsDir():
		return "directory"
	case m&fs.ModeSymlink != 0:
		return "symbolic link to nothing"
	case m&fs.ModeIrregular != 0:
		return "irregular file"
	}
	return "special file"
}

// OpenRegular opens path read-only and returns it with its FileInfo,
// failing with a *NotRegularError for anything but a regular file. It
// checks the mode before opening, opens without blocking (NonBlock: a
// named pipe without a writer would block open and read forever) and
// checks the opened file's mode again, so a file swapped in between is
// caught too. A path that does not exist is fs.ErrNotExist.
func OpenRegular(path string) (*os.File, fs.FileInfo, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if li, lerr := os.Lstat(path); lerr == nil {
			return nil, nil, &NotRegularError{Path: path, Mode: li.Mode()} // a dangling symbolic link
		}
	}
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, &NotRegularError{Path: path, Mode: fi.Mode()}
	}
	f, err := os.OpenFile(path, os.O_RDONLY|NonBlock, 0)
	if err != nil {
		return nil, nil, err
	}
	if fi, err = f.Stat(); err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, &NotRegularError{Path: path, Mode: fi.Mode()}
	}
	return f, fi, nil
}
