//go:build unix

package fsutil

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// mmap maps size bytes of f, which must be an operating-system file.
func mmap(f File, size int) ([]byte, error) {
	sc, ok := f.(syscall.Conn)
	if !ok {
		return nil, ErrNoMap
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	var data []byte
	var merr error
	if err := rc.Control(func(fd uintptr) {
		data, merr = unix.Mmap(int(fd), 0, size, unix.PROT_READ, unix.MAP_SHARED)
	}); err != nil {
		return nil, err
	}
	if merr != nil {
		return nil, merr
	}
	return data, nil
}

func munmap(b []byte) error { return unix.Munmap(b) }
