package record

import (
	"encoding/binary"
)

// NumBlocks returns the number of blocks that hold the records before end.
func (l Layout) NumBlocks(end int64) int { return l.numBlocks(end) }

// PeekChunk reads the header of the chunk at the start of buf without
// checking it: its type and payload length; ok is false when buf is
// shorter than a header.
func PeekChunk(buf []byte) (t ChunkType, n int, ok bool) {
	if len(buf) < HeaderSize {
		return 0, 0, false
	}
	return ChunkType(buf[6]), int(binary.LittleEndian.Uint16(buf[4:6])), true
}

// CheckChunk checks and returns the chunk at the start of buf, the bytes of
// a block from file offset off to the block's end (or the end of the
// committed records): a record chunk (not padding) that fits in buf and
// passes its checksum. Anything else is an *Error.
func CheckChunk(buf []byte, off int64) (Chunk, error) {
	t, n, ok := PeekChunk(buf)
	switch {
	case !ok:
		return Chunk{}, errorf(off, "%d bytes, want a chunk header", len(buf))
	case t == Padding || t > Last:
		return Chunk{}, errorf(off, "%s where a chunk must be", t)
	case HeaderSize+n > len(buf):
		return Chunk{}, errorf(off, "chunk length %d overruns the block (%d bytes left)", n, len(buf)-HeaderSize)
	case binary.LittleEndian.Uint32(buf[0:4]) != checksum(buf[4:HeaderSize+n]):
		return Chunk{}, errorf(off, "%s chunk of %d bytes fails its checksum", t, n)
	}
	return Chunk{Off: off, Type: t, Payload: buf[HeaderSize : HeaderSize+n : HeaderSize+n]}, nil
}
