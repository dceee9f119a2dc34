//go:build !unix

package fsutil

func mmap(File, int) ([]byte, error) { return nil, ErrNoMap }

func munmap([]byte) error { return nil }
