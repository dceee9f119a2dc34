package main

import (
	"os"
	"syscall"
)

// fdatasync flushes f's data (and the size it needs) to the disk: on Linux
// one fdatasync call, which skips the metadata a read does not need.
func fdatasync(f *os.File) error {
	return syscall.Fdatasync(int(f.Fd()))
}
