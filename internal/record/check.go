package record

import (
	"errors"
	"io"
)

// CheckResult is what Check finds in a whole file.
type CheckResult struct {
	// ValidEnd is the end of the longest prefix of valid, complete records:
	// what Repair keeps.
	ValidEnd int64
	// Records is the number of records in that prefix.
	Records int
	// Torn reports bytes after the last committed record that an
	// interrupted append left behind: readers ignore them and the next
	// writer truncates them.
	Torn bool
	// Err is the first corruption (invalid data that is not a torn tail),
	// nil when there is none.
	Err *Error
}

// Check reads the whole data region of a file of the given size and
// classifies it: valid records, then possibly a torn tail, or corruption at
// an offset. fn, when not nil, is called with every record of the valid
// prefix (its error stops the check and is returned). Only I/O errors and
// fn's errors are returned as errors.
func (l Layout) Check(r io.ReaderAt, size int64, fn func(Record) error) (CheckResult, error) {
	tail, err := l.Tail(r, size)
	if err != nil {
		return CheckResult{}, err
	}
	res := CheckResult{ValidEnd: l.Base}
	err = l.Scan(r, l.Base, tail.End, func(rec Record) error {
		if fn != nil {
			if err := fn(rec); err != nil {
				return err
			}
		}
		res.Records++
		res.ValidEnd = rec.End
		return nil
	})
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return CheckResult{}, err
		}
		res.Err = e
		return res, nil
	}
	res.ValidEnd = tail.End
	if size > tail.End {
		e, err := l.CheckTail(r, tail.End, size)
		if err != nil {
			return CheckResult{}, err
		}
		res.Err = e
		res.Torn = e == nil
	}
	return res, nil
}

// CheckTail classifies the bytes in [end, size) after the last committed
// record. It returns nil when they can be a torn tail: a prefix of one
// interrupted record, possibly with unwritten (zero or garbage) stretches
// that a crash left. It returns an *Error when a valid chunk that starts a
// record follows invalid bytes: committed data after damage, which must not
// be truncated silently.
func (l Layout) CheckTail(r io.ReaderAt, end, size int64) (*Error, error) {
	off := end
	for off < size {
		res := l.readBlock(r, off, size)
		if res.err != nil {
			return nil, res.err
		}
		if res.bad == nil {
			if res.short {
				return nil, nil
			}
			off = l.blockStart(off) + l.BlockLen()
			continue
		}
		return l.resync(r, res.block, size)
	}
	return nil, nil
}

// resync looks for a valid chunk that starts a record after the invalid
// spot blk.bad: right after the bad chunk when its header is plausible, and
// at the start of every later block.
func (l Layout) resync(r io.ReaderAt, blk block, size int64) (*Error, error) {
	bad := blk.bad
	if blk.badLen >= 0 {
		next := bad.Offset + HeaderSize + int64(blk.badLen)
		if next < l.blockStart(bad.Offset)+l.BlockLen() && next < size {
			res := l.readBlock(r, next, size)
			if res.err != nil {
				return nil, res.err
			}
			if starts(res.chunks) {
				return bad, nil
			}
		}
	}
	for off := l.blockStart(bad.Offset) + l.BlockLen(); off < size; off += l.BlockLen() {
		res := l.readBlock(r, off, size)
		if res.err != nil {
			return nil, res.err
		}
		if starts(res.chunks) {
			return bad, nil
		}
	}
	return nil, nil
}

func starts(chunks []Chunk) bool {
	for _, c := range chunks {
		if c.Type.startsRecord() {
			return true
		}
	}
	return false
}
