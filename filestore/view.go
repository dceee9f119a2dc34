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
// of tests, or when the file cannot be mapped (a Store's first read of a
// file).
type readView struct {
	f       fsutil.File
	scratch []byte    // reused by scan
	slots   [2][]byte // reused by at, one per slot
	// With read-ahead (ahead > 0), at reads ahead bytes (up to end) into
	// a window and serves later calls inside it without reading: a
	// reader whose next blocks lie close ahead (a dense stride subsample)
	// makes one large read instead of one per block. Two windows: the
	// bytes one slot holds stay put while the other slot reads.
	ahead, end int64
	wins       [2]readWindow
	slotWin    [2]int // the window holding each slot's bytes, -1 for its own buffer
}

// readWindow is bytes read ahead: buf holds the file's bytes from off.
type readWindow struct {
	off int64
	buf []byte
}

// readAhead makes at read ahead bytes at a time, never past end (the
// committed end: what lies after it may be a torn tail or not be there).
func (v *readView) readAhead(ahead, end int64) {
	v.ahead, v.end = ahead, end
	v.slotWin = [2]int{-1, -1}
	v.wins = [2]readWindow{{off: -1}, {off: -1}}
}

func (v *readView) at(off, n int64, slot int) ([]byte, error) {
	if slot < 0 || slot >= len(v.slots) {
		return nil, fmt.Errorf("filestore: read of %d bytes at %d into slot %d, want 0 or 1", n, off, slot)
	}
	if v.ahead > 0 && off >= 0 && n >= 0 && off+n <= v.end {
		return v.window(off, n, slot)
	}
	buf := grow(&v.slots[slot], n)
	return buf, v.read(buf, off)
}

// window serves at from a read-ahead window, reading a new one into a
// window the other slot's bytes are not in when none holds the bytes.
func (v *readView) window(off, n int64, slot int) ([]byte, error) {
	v.slotWin[slot] = -1
	w := -1
	for i := range v.wins {
		if win := &v.wins[i]; win.off >= 0 && off >= win.off && off+n <= win.off+int64(len(win.buf)) {
			w = i
			break
		}
	}
	if w < 0 {
		w = 0
		if v.slotWin[1-slot] == 0 {
			w = 1
		}
		win := &v.wins[w]
		win.off = -1
		buf := grow(&win.buf, min(max(v.ahead, n), v.end-off))
		if err := v.read(buf, off); err != nil {
			return nil, err
		}
		win.off, win.buf = off, buf
	}
	v.slotWin[slot] = w
	win := &v.wins[w]
	i := off - win.off
	return win.buf[i : i+n : i+n], nil
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
