//go:build !linux

package fsutil

// Datasync commits f's data to stable storage: f.Sync where no cheaper
// call that keeps the file's size durable is available.
func Datasync(f File) error { return f.Sync() }
