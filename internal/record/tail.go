package record

import "io"

// Tail is what Layout.Tail finds at the end of a file.
type Tail struct {
	// End is the offset just after the last committed record (Base when
	// there is none). Bytes between End and the file size belong to an
	// interrupted append (or are damage that looks like one).
	End int64
	// Start is the offset of the last committed record's first chunk.
	Start int64
	// LastChunk is the offset of the last committed record's last chunk,
	// -1 when there is no record. Its header holds the checksum of its
	// payload: a cheap fingerprint of the file's committed state.
	LastChunk int64
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
				return Tail{End: blk.chunks[j].End(), Start: start, LastChunk: blk.chunks[j].Off, Last: payload}, nil
			}
		}
	}
	return Tail{End: l.Base, Start: l.Base, LastChunk: -1}, br.err
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
