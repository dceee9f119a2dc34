package filestore

import (
	"errors"
	"fmt"
	"io"

	"github.com/statstore/statstore/internal/fsutil"
)

// view gives a reader the bytes of a file: from a memory map without
// copying, or by reading them.
type view interface {
	// at returns the n bytes at off. They stay valid (and unchanged) until
	// the next call of at with the same slot (0 or 1), or while the view is
	// in use for a memory map: a reader keeps two blocks at a time.
	at(off, n int64, slot int) ([]byte, error)
	// scan returns the n bytes at off for a sequential pass: they are valid
	// only until the next call.
	scan(off, n int64) ([]byte, error)
}

// mapView is a view of a memory-mapped file. It holds at least the file's
// committed bytes; what lies past them is never asked for.
type mapView []byte

func (v mapView) at(off, n int64, _ int) ([]byte, error) {
	if off < 0 || n < 0 || off+n > int64(len(v)) {
		return nil, fmt.Errorf("filestore: read of %d bytes at %d outside a map of %d bytes", n, off, len(v))
	}
	return v[off : off+n : off+n], nil
}

func (v mapView) scan(off, n int64) ([]byte, error) { return v.at(off, n, 0) }

// readView is a view that reads the file with ReadAt: through the I/O seam
// of tests, or when the file cannot be mapped.
type readView struct {
	f       fsutil.File
	scratch []byte    // reused by scan
	slots   [2][]byte // reused by at, one per slot
}

func (v *readView) at(off, n int64, slot int) ([]byte, error) {
	if slot < 0 || slot >= len(v.slots) {
		return nil, fmt.Errorf("filestore: read of %d bytes at %d into slot %d, want 0 or 1", n, off, slot)
	}
	buf := grow(&v.slots[slot], n)
	return buf, v.read(buf, off)
}

func (v *readView) scan(off, n int64) ([]byte, error) {
	buf := grow(&v.scratch, n)
	return buf, v.read(buf, off)
}

// grow returns (*b)[:n], first replacing *b by a larger buffer when it has
// no room for n bytes.
func grow(b *[]byte, n int64) []byte {
	if int64(cap(*b)) < n {
		*b = make([]byte, n)
	}
	return (*b)[:n]
}

// read fills buf from off; a file shorter than that is corruption (it was
// truncated below the committed end a reader saw).
func (v *readView) read(buf []byte, off int64) error {
	m, err := v.f.ReadAt(buf, off)
	switch {
	case m == len(buf):
		return nil
	case err == nil || errors.Is(err, io.EOF):
		return corrupt(v.f.Name(), off+int64(m), fmt.Errorf("the file ends at %d, before its committed records, which a reader saw reach past %d: it was truncated", off+int64(m), off+int64(len(buf))-1))
	}
	return fmt.Errorf("filestore: read %s: %w", v.f.Name(), err)
}
