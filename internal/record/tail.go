package record

import (
	"fmt"
	"io"
)

// Tail is what Layout.Tail finds at the end of a file.
type Tail struct {
	// End is the offset just after the last committed record (Base when
	// there is none). Bytes between End and the file size belong to an
	// interrupted append (or are damage that looks like one).
	End int64
	// Start is the offset of the last committed record's first chunk.
	Start int64
	// Last is the payload of the last committed record, nil when there is none.
	Last []byte
}

// Tail finds the last committed record of a file whose size is size,
// reading backwards from the last block: the cost is that of reading the
// last record and any interrupted append after it, independent of the
// length of the file. A record counts only when all its chunks are present
// and checksummed. I/O errors are returned as they are.
func (l Layout) Tail(r io.ReaderAt, size int64) (Tail, error) {
	br := l.newBlockReader(r, size)
	for b := l.numBlocks(size) - 1; b >= 0; b-- {
		blk := br.get(b)
		if blk == nil {
			return Tail{}, br.err
		}
		for j := len(blk.chunks) - 1; j >= 0; j-- {
			if !blk.chunks[j].Type.endsRecord() {
				continue
			}
			start, payload, ok := br.chain(b, j)
			if br.err != nil {
				return Tail{}, br.err
			}
			if ok {
				return Tail{End: blk.chunks[j].End(), Start: start, Last: payload}, nil
			}
		}
	}
	return Tail{End: l.Base, Start: l.Base}, br.err
}

// chain follows the record that ends with chunk j of block b back to its
// first chunk and returns its start offset and payload; ok is false when a
// chunk is missing or out of sequence.
func (br *blockReader) chain(b, j int) (start int64, payload []byte, ok bool) {
	blk := br.get(b)
	c := blk.chunks[j]
	if c.Type == Full {
		return c.Off, c.Payload, true
	}
	parts := [][]byte{c.Payload}
	total := len(c.Payload)
	for {
		j--
		if j < 0 {
			b--
			if b < 0 {
				return 0, nil, false
			}
			if blk = br.get(b); blk == nil || !blk.clean || len(blk.chunks) == 0 {
				return 0, nil, false
			}
			j = len(blk.chunks) - 1
		}
		c = blk.chunks[j]
		switch c.Type {
		case Middle, First:
			parts = append(parts, c.Payload)
			total += len(c.Payload)
		default:
			return 0, nil, false
		}
		if c.Type == First {
			out := make([]byte, 0, total)
			for i := len(parts) - 1; i >= 0; i-- {
				out = append(out, parts[i]...)
			}
			return c.Off, out, true
		}
	}
}

// Record is one complete record found by Scan.
type Record struct {
	Off, End int64 // where its first chunk starts and its last chunk ends
	// Payload is valid only during the callback.
	Payload []byte
}

// Scan calls fn with every record in [from, to), in order. from must be the start of a record and to the end of one (as
// Tail reports it). Anything in between that is not a valid sequence of
// chunks is an *Error; an error from fn stops the scan and is returned.
func (l Layout) Scan(r io.ReaderAt, from, to int64, fn func(Record) error) error {
	if from >= to {
		return nil
	}
	if from < l.Base {
		return errorf(from, "scan starts inside the file header (data starts at %d)", l.Base)
	}
	var rec []byte
	recOff := int64(-1)
	for off := from; off < to; off = l.blockStart(off) + BlockSize {
		res := l.readBlock(r, off, to)
		if res.err != nil {
			return fmt.Errorf("record: read block at %d: %w", off, res.err)
		}
		blk := res.block
		for _, c := range blk.chunks {
			switch {
			case c.Type.startsRecord() && recOff >= 0:
				return errorf(c.Off, "%s chunk inside a record that started at %d", c.Type, recOff)
			case !c.Type.startsRecord() && recOff < 0:
				return errorf(c.Off, "%s chunk without a first chunk", c.Type)
			}
			if c.Type.startsRecord() {
				recOff, rec = c.Off, rec[:0]
			}
			rec = append(rec, c.Payload...)
			if c.Type.endsRecord() {
				if err := fn(Record{Off: recOff, End: c.End(), Payload: rec}); err != nil {
					return err
				}
				recOff = -1
			}
		}
		switch {
		case blk.bad != nil:
			return blk.bad
		case !blk.clean && l.blockStart(off)+BlockSize < to:
			return errorf(off, "block ends early")
		}
	}
	if recOff >= 0 {
		return errorf(recOff, "record is not complete before offset %d", to)
	}
	return nil
}
