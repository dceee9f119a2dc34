package record

import "encoding/binary"

// Span is a damaged stretch of a file's data region that Salvage found:
// bytes that are neither a chunk that verifies nor padding. A span never
// crosses a block boundary.
type Span struct {
	Off, End int64
	// Reason says what is wrong at Off.
	Reason string
	// Lengths are the payload lengths declared by chunk headers that tile
	// the span exactly (the first header at Off, each declared length
	// leading to the next header, the last one to End or to padding that
	// ends the block), each a length the layout can split a payload into.
	// Then the headers are intact and only payloads are damaged: the span
	// held exactly these chunks. Nil when the headers do not tile it.
	Lengths []int
}

// Salvage walks the data region of a damaged file (data is the whole
// file, header included) block by block, and calls chunk with every chunk
// that verifies (a known type, its length within its block, its checksum,
// split as the layout allows) and bad with every damaged span between
// them, all in file order. After bytes that are not a chunk it
// resynchronises at the next offset of the same block where a chunk
// verifies, else at the next block: chunks never cross blocks, so damage
// costs only the chunks it touches. Zeros that end a block are padding
// when a writer could have left them (shorter than a chunk header, a head
// and a unit), and a damaged span otherwise. The order of chunk types
// (first, middle, last) is not checked: the caller decides what the chunks
// it is given can still mean. Checksums make a chunk that verifies by
// accident unlikely (2^-32 per offset tried) but not impossible: callers
// check what chunks hold too.
func (l Layout) Salvage(data []byte, chunk func(Chunk), bad func(Span)) {
	size := int64(len(data))
	for b := 0; l.BlockOff(b) < size; b++ {
		blockEnd := min(l.BlockOff(b)+l.BlockLen(), size)
		full := blockEnd == l.BlockOff(b)+l.BlockLen()
		p := l.BlockOff(b)
		for p < blockEnd {
			if c, ok := l.chunkAt(data, p, blockEnd); ok {
				chunk(c)
				p = c.End()
				continue
			}
			if allZero(data[p:blockEnd]) && (blockEnd-p <= l.maxPad() || !full && blockEnd-p < HeaderSize) {
				break // padding, or a zeroed header cut by the end of the file
			}
			q := p + 1
			for ; q < blockEnd; q++ {
				if _, ok := l.chunkAt(data, q, blockEnd); ok {
					break
				}
			}
			bad(Span{Off: p, End: q, Reason: l.whyNotChunk(data, p, blockEnd), Lengths: l.tile(data, p, q, blockEnd)})
			p = q
		}
	}
}

// chunkAt returns the chunk at offset p of data, in the block that ends at
// blockEnd (or at the end of the file), when one verifies there.
func (l Layout) chunkAt(data []byte, p, blockEnd int64) (Chunk, bool) {
	if blockEnd-p < HeaderSize {
		return Chunk{}, false
	}
	t := ChunkType(data[p+6])
	n := int64(binary.LittleEndian.Uint16(data[p+4 : p+6]))
	if t == Padding || t > Last || p+HeaderSize+n > blockEnd ||
		binary.LittleEndian.Uint32(data[p:p+4]) != checksum(data[p+4:p+HeaderSize+n]) {
		return Chunk{}, false
	}
	c := Chunk{Off: p, Type: t, Payload: data[p+HeaderSize : p+HeaderSize+n : p+HeaderSize+n]}
	if l.checkSplit(c) != nil || (l.MaxPayload > 0 && int(n) > l.MaxPayload) {
		return Chunk{}, false
	}
	return c, true
}

// whyNotChunk says why the bytes at p are not a chunk that verifies.
func (l Layout) whyNotChunk(data []byte, p, blockEnd int64) string {
	rest := data[p:blockEnd]
	if allZero(rest[:min(len(rest), HeaderSize)]) {
		return "zero bytes where a chunk must start"
	}
	if _, err := CheckChunk(rest, p); err != nil {
		return err.(*Error).Reason
	}
	return "a chunk not split as the layout allows"
}

// tile returns the payload lengths of the chunk headers that tile
// [off, end) exactly, nil when they do not (see Span.Lengths).
func (l Layout) tile(data []byte, off, end, blockEnd int64) []int {
	var lengths []int
	p := off
	for p < end {
		if end-p < HeaderSize {
			if end == blockEnd && allZero(data[p:end]) && end-p <= l.maxPad() {
				return lengths
			}
			return nil
		}
		n := int(binary.LittleEndian.Uint16(data[p+4 : p+6]))
		if n == 0 && allZero(data[p:end]) && end == blockEnd && end-p <= l.maxPad() {
			return lengths // padding after the last chunk
		}
		body := n
		if body%l.Unit != 0 {
			body -= l.Head
		}
		if body < l.Unit || body%l.Unit != 0 || (l.MaxPayload > 0 && n > l.MaxPayload) || p+HeaderSize+int64(n) > end {
			return nil
		}
		lengths = append(lengths, n)
		p += HeaderSize + int64(n)
	}
	return lengths
}
