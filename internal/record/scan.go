package record

import (
	"errors"
	"fmt"
	"io"
)

// Record is one complete record found by Scan.
type Record struct {
	Off, End int64 // where its first chunk starts and its last chunk ends
	// Payload is valid only during the callback.
	Payload []byte
}

// Scan calls fn with every record in [from, to), in order. from must be the
// start of a record and to the end of one (as Tail reports it). Anything in
// between that is not a valid sequence of chunks is an *Error; an error
// from fn stops the scan and is returned.
func (l Layout) Scan(r io.ReaderAt, from, to int64, fn func(Record) error) error {
	if from >= to {
		return nil
	}
	sc := l.NewScanner(from, to)
	var rec []byte
	recOff := int64(-1)
	collect := func(c Chunk) error {
		if c.Type.startsRecord() {
			recOff, rec = c.Off, rec[:0]
		}
		rec = append(rec, c.Payload...)
		if c.Type.endsRecord() {
			return fn(Record{Off: recOff, End: c.End(), Payload: rec})
		}
		return nil
	}
	buf := make([]byte, l.BlockLen())
	for off := sc.Pos(); off < to; off = sc.Pos() {
		n := min(to, l.blockStart(off)+l.BlockLen()) - off
		m, err := r.ReadAt(buf[:n], off)
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("record: read block at %d: %w", off, err)
		}
		if err := sc.Feed(buf[:m], collect); err != nil {
			return err
		}
	}
	return sc.Finish()
}

// Scanner checks the chunks of a region of a file block by block, in order,
// as Scan does, but hands out chunks instead of assembled records, so that a
// reader can decode them where they lie (in a memory map or a read buffer)
// without copying. The zero Scanner is not usable; see NewScanner.
type Scanner struct {
	l      Layout
	pos    int64 // where the next bytes fed must start
	to     int64
	recOff int64 // offset of the open record's first chunk; -1 when none
	resume bool  // the region may start inside a record
	last   int64 // end of the last chunk seen
}

// NewScanner returns a Scanner of the region [from, to): from is the start
// of a record and to the end of one (as Tail reports it).
func (l Layout) NewScanner(from, to int64) Scanner {
	return Scanner{l: l, pos: from, to: to, recOff: -1}
}

// NewResumeScanner returns a Scanner of the region [from, to) that may
// start inside a record: from is a chunk boundary (the start of a block
// always is), and chunks before the first one that starts a record are
// taken as the rest of a record that began earlier.
func (l Layout) NewResumeScanner(from, to int64) Scanner {
	sc := l.NewScanner(from, to)
	sc.resume = true
	return sc
}

// Pos returns the offset of the next bytes Feed expects.
func (sc *Scanner) Pos() int64 { return sc.pos }

// Feed checks buf, the bytes of the region from Pos on, calling fn with
// every chunk in order. buf may hold any number of blocks; it must end at a
// block boundary or at the region's end: bytes that end earlier (a short
// read) are reported as an *Error. Checksums, chunk lengths, padding and
// the order of chunk types are checked; an error from fn stops the scan and
// is returned.
func (sc *Scanner) Feed(buf []byte, fn func(Chunk) error) error {
	bs := sc.l.BlockLen()
	step := func(c Chunk) error {
		switch {
		case sc.resume && !c.Type.startsRecord():
			sc.recOff = sc.pos // inside a record that began before the region
		case c.Type.startsRecord() && sc.recOff >= 0:
			return errorf(c.Off, "%s chunk inside a record that started at %d", c.Type, sc.recOff)
		case !c.Type.startsRecord() && sc.recOff < 0:
			return errorf(c.Off, "%s chunk without a first chunk", c.Type)
		}
		sc.resume = false
		if err := sc.l.checkSplit(c); err != nil {
			return err
		}
		if c.Type.startsRecord() {
			sc.recOff = c.Off
		}
		if c.Type.endsRecord() {
			sc.recOff = -1
		}
		sc.last = c.End()
		return fn(c)
	}
	for len(buf) > 0 {
		off := sc.pos
		if off >= sc.to {
			return errorf(off, "%d bytes fed after the end of the region at %d", len(buf), sc.to)
		}
		blockEnd := sc.l.blockStart(off) + bs
		n := min(blockEnd, sc.to) - off
		if int64(len(buf)) < n {
			return errorf(off, "block ends early: %d of %d bytes", len(buf), n)
		}
		blk, err := sc.l.walk(buf[:n], off, blockEnd, step)
		if err != nil {
			return err
		}
		switch {
		case blk.bad != nil:
			return blk.bad
		case blockEnd <= sc.to && !blk.clean:
			return errorf(off, "block ends early")
		case blockEnd > sc.to && sc.last != sc.to:
			return errorf(max(off, sc.last), "no chunk ends at the end of the region at %d", sc.to)
		}
		sc.pos = min(blockEnd, sc.to)
		buf = buf[n:]
	}
	return nil
}

// checkSplit checks that c is split where the layout allows: a chunk that
// does not end its record holds the head (when it starts the record) and
// whole units, at least one; the final chunk holds whole units after the
// head.
func (l Layout) checkSplit(c Chunk) error {
	body := len(c.Payload)
	if c.Type.startsRecord() {
		body -= l.Head
	}
	switch {
	case !c.Type.endsRecord() && (body < l.Unit || body%l.Unit != 0):
		return errorf(c.Off, "%s chunk of %d bytes is not split after whole %d-byte units", c.Type, len(c.Payload), l.Unit)
	case c.Type.endsRecord() && body > 0 && body%l.Unit != 0:
		return errorf(c.Off, "%s chunk of %d bytes ends inside a %d-byte unit", c.Type, len(c.Payload), l.Unit)
	}
	return nil
}

// Finish reports a record left incomplete at the end of the region, or a
// region not fed to its end.
func (sc *Scanner) Finish() error {
	switch {
	case sc.pos < sc.to:
		return errorf(sc.pos, "region fed up to %d of %d", sc.pos, sc.to)
	case sc.recOff >= 0:
		return errorf(sc.recOff, "record is not complete before offset %d", sc.to)
	}
	return nil
}
