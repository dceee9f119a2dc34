package record

import (
	"encoding/binary"
	"errors"
	"io"
)

// NumBlocks returns the number of blocks that hold the records before end.
func (l Layout) NumBlocks(end int64) int { return l.numBlocks(end) }

// ReadBlock returns the chunks of block i of a file whose committed records
// end at end, each checksummed. Data before end that is not a valid chunk
// sequence is an *Error.
func (l Layout) ReadBlock(r io.ReaderAt, i int, end int64) ([]Chunk, error) {
	off := l.BlockOff(i)
	res := l.readBlock(r, off, end)
	switch {
	case res.err != nil:
		return nil, res.err
	case res.bad != nil:
		return nil, res.bad
	case res.short && (len(res.chunks) == 0 || res.chunks[len(res.chunks)-1].End() != end):
		return nil, errorf(off, "block ends before the committed end %d", end)
	}
	return res.chunks, nil
}

// PeekBlock reads, without checking it, the header of the chunk at the
// start of block i and up to n bytes of its payload: a cheap look for
// binary searches, to be confirmed by ReadBlock.
func (l Layout) PeekBlock(r io.ReaderAt, i, n int) (ChunkType, []byte, error) {
	buf := make([]byte, HeaderSize+n)
	m, err := r.ReadAt(buf, l.BlockOff(i))
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, nil, err
	}
	if m < HeaderSize {
		return 0, nil, errorf(l.BlockOff(i), "block holds %d bytes, want at least a chunk header", m)
	}
	size := int(binary.LittleEndian.Uint16(buf[4:6]))
	return ChunkType(buf[6]), buf[HeaderSize:min(m, HeaderSize+size)], nil
}

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
