//go:build linux

package fsutil

import (
	"os"
	"syscall"
)

// Datasync commits f's data, and the metadata a read of it needs (its
// size), to stable storage: on Linux for an operating-system file one
// fdatasync, which skips the timestamps fsync also writes. Any other File
// is synced with its Sync method (a test's fault-injecting wrapper too).
func Datasync(f File) error {
	if of, ok := f.(*os.File); ok {
		if err := syscall.Fdatasync(int(of.Fd())); err != nil {
			return &os.PathError{Op: "fdatasync", Path: of.Name(), Err: err}
		}
		return nil
	}
	return f.Sync()
}
