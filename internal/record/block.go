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
