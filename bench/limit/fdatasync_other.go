//go:build !linux

package main

import "os"

// fdatasync flushes f's data to the disk; outside Linux, an fsync.
func fdatasync(f *os.File) error {
	return f.Sync()
}
