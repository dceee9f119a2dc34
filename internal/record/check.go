package record

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// CheckResult is what Check finds in a whole file.
type CheckResult struct {
	// ValidEnd is the end of the longest prefix of valid, complete records
	// (what a truncation of a torn tail keeps; Salvage finds more).
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
// record (end is where Tail says the committed records end). It returns nil
// only when they are provably a torn tail: the prefix of one record that a
// writer was interrupted while appending, cut short by the end of the file.
// Any other bytes there are an *Error at the first offset where they stop
// being such a prefix.
//
// A write that is interrupted leaves a prefix of the bytes it was writing,
// and damage (a flipped bit, a zeroed range) never changes a file's size.
// So the tail is torn exactly when, read as the start of a new record from
// end, every byte is what a writer could have written and the file ends
// before the record does:
//
//   - zero padding only where the writer pads (the rest of the block is too
//     small for the next chunk), up to the block's end or the end of the file;
//   - chunks in record order (a Full or First chunk, then Middle ones), each
//     complete with a valid checksum and split as the layout allows;
//   - then the end of the file: at a chunk boundary inside the record, inside
//     a chunk header, or inside a chunk whose declared length runs past the
//     end of the file but not past its block, and whose checksum matches no
//     shorter length (that would be a complete chunk with a damaged length).
//
// Zeros where a chunk must start, a chunk that fails its checksum, or a
// complete record after end are damage: committed data may have been there,
// so it must not be truncated silently. A crash that leaves unwritten
// stretches (zeros or garbage) in place of an interrupted append is
// reported as damage too: only `repair`, which backs the file up, removes it.
func (l Layout) CheckTail(r io.ReaderAt, end, size int64) (*Error, error) {
	if end >= size {
		return nil, nil
	}
	if end < l.Base {
		return errorf(end, "tail starts inside the file header"), nil
	}
	buf := make([]byte, size-end)
	if n, err := r.ReadAt(buf, end); n < len(buf) {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("record: read tail at %d: %w", end, err)
	}
	return l.checkTail(buf, end), nil
}

// checkTail classifies tail, the bytes of a file from offset end to its
// end, as CheckTail does.
func (l Layout) checkTail(tail []byte, end int64) *Error {
	size := end + int64(len(tail))
	at := func(p int64) []byte { return tail[p-end:] }
	p, inRecord := end, false
	for p < size {
		blockEnd := l.blockStart(p) + l.BlockLen()
		room := blockEnd - p
		// The writer pads when the rest of the block cannot hold a chunk
		// header and the smallest payload the next chunk can carry.
		need := int64(HeaderSize + l.Unit)
		if !inRecord {
			need += int64(l.Head)
		}
		if room < need {
			pad := at(p)[:min(room, size-p)]
			if allZero(pad) {
				p += int64(len(pad))
				continue
			}
		}
		rest := at(p)
		if len(rest) < HeaderSize {
			return nil // the file ends inside a chunk header
		}
		crc := binary.LittleEndian.Uint32(rest[0:4])
		n := int64(binary.LittleEndian.Uint16(rest[4:6]))
		t := ChunkType(rest[6])
		switch {
		case t == Padding && allZero(rest[:min(int64(len(rest)), room)]):
			return errorf(p, "%d zero bytes where a chunk must start (%d bytes left in the block)", min(int64(len(rest)), room), room)
		case t == Padding || t > Last:
			return errorf(p, "%s where a chunk must start", t)
		case !inRecord && !t.startsRecord():
			return errorf(p, "%s chunk where a record must start", t)
		case inRecord && t.startsRecord():
			return errorf(p, "%s chunk inside a record", t)
		case HeaderSize+n > room:
			return errorf(p, "chunk length %d overruns the block (%d bytes left)", n, room-HeaderSize)
		case p+HeaderSize+n > size:
			// Cut by the end of the file: torn, unless the chunk is whole
			// with a damaged length field.
			if m, ok := matchingLength(rest, crc, t); ok {
				return errorf(p, "%s chunk's length field says %d bytes but its checksum matches %d: damaged length", t, n, m)
			}
			return nil
		case crc != checksum(rest[4:HeaderSize+n]):
			return errorf(p, "%s chunk of %d bytes fails its checksum", t, n)
		}
		c := Chunk{Off: p, Type: t, Payload: rest[HeaderSize : HeaderSize+n]}
		if err := l.checkSplit(c); err != nil {
			return err.(*Error)
		}
		if t.endsRecord() {
			return errorf(c.Off, "a complete record at %d after the committed end %d", c.Off, end)
		}
		inRecord = true
		p = c.End()
	}
	// The file ends in padding before the record's first chunk, or between
	// two chunks of the record.
	return nil
}

// maxLengthSearch bounds the lengths matchingLength tries exhaustively
// (every length up to a 4 KiB block); beyond it only the lengths one bit
// away from the declared one and the rest of the file are tried.
const maxLengthSearch = 4096

// matchingLength reports whether the chunk at the start of rest, whose
// declared length runs past the end of rest, has a checksum that matches
// its type and a shorter payload ending within rest: a complete chunk whose
// length field was damaged.
func matchingLength(rest []byte, crc uint32, t ChunkType) (int, bool) {
	avail := len(rest) - HeaderSize
	try := func(m int) bool {
		if m < 0 || m > avail {
			return false
		}
		var h [3]byte
		binary.LittleEndian.PutUint16(h[0:2], uint16(m))
		h[2] = byte(t)
		c := crc32.Update(0, castagnoli, h[:])
		return crc32.Update(c, castagnoli, rest[HeaderSize:HeaderSize+m]) == crc
	}
	if avail <= maxLengthSearch {
		for m := 0; m <= avail; m++ {
			if try(m) {
				return m, true
			}
		}
		return 0, false
	}
	declared := int(binary.LittleEndian.Uint16(rest[4:6]))
	if try(avail) {
		return avail, true
	}
	for b := range 16 {
		if m := declared ^ 1<<b; try(m) {
			return m, true
		}
	}
	return 0, false
}
