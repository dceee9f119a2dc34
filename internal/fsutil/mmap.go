package fsutil

import (
	"errors"
	"fmt"
)

// ErrNoMap is returned by Map for a file that cannot be memory-mapped: one
// that is not an operating-system file (a test's wrapper, say) or a platform
// without mmap. Callers fall back to reading.
var ErrNoMap = errors.New("fsutil: file cannot be memory-mapped")

// Mapping is a read-only, shared memory map of the start of a file. The
// bytes change as the file does (writes by this or other processes show
// through); reading a page that lies wholly past the end of the file raises
// SIGBUS, which a reader turns into a panic with debug.SetPanicOnFault and
// recovers from.
type Mapping struct {
	data []byte
}

// Map maps the first size bytes of f read-only. size may exceed the file's
// current size, so that the mapping covers later appends; the caller must
// not read past the file's end. It returns ErrNoMap (wrapped) when f cannot
// be mapped.
func Map(f File, size int64) (*Mapping, error) {
	if size <= 0 || int64(int(size)) != size {
		return nil, fmt.Errorf("fsutil: map %d bytes of %s: %w", size, f.Name(), ErrNoMap)
	}
	data, err := mmap(f, int(size))
	if err != nil {
		return nil, fmt.Errorf("fsutil: map %d bytes of %s: %w", size, f.Name(), err)
	}
	return &Mapping{data: data}, nil
}

// Bytes returns the mapped bytes; they are valid until Close.
func (m *Mapping) Bytes() []byte { return m.data }

// Close unmaps the bytes. Nothing may read them afterwards.
func (m *Mapping) Close() error {
	if m.data == nil {
		return nil
	}
	err := munmap(m.data)
	m.data = nil
	if err != nil {
		return fmt.Errorf("fsutil: unmap: %w", err)
	}
	return nil
}
