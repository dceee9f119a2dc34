package record

import (
	"encoding/binary"
	"errors"
	"io"
)

// Chunk is one parsed, checksummed chunk.
type Chunk struct {
	Off     int64 // file offset of the chunk header
	Type    ChunkType
	Payload []byte
}

// End returns the offset just after the chunk.
func (c Chunk) End() int64 { return c.Off + HeaderSize + int64(len(c.Payload)) }

// block is the parse of (the rest of) one block: its valid chunks in order,
// and how the parse ended.
type block struct {
	chunks []Chunk
	// clean: the chunks and a valid padding (or nothing) fill the block to
	// its end.
	clean bool
	// short: the bytes ended (end of file or of the readable region) before
	// the block did, with no invalid bytes before that point.
	short bool
	// bad is the first invalid spot, nil when clean or short.
	bad *Error
}

// parseBlock parses buf, the bytes of a block from file offset off up to
// the block's end at blockEnd or up to the end of the readable region,
// whichever comes first. off must be a chunk boundary.
func (l Layout) parseBlock(buf []byte, off, blockEnd int64) block {
	var chunks []Chunk
	b, _ := l.walk(buf, off, blockEnd, func(c Chunk) error {
		chunks = append(chunks, c)
		return nil
	})
	b.chunks = chunks
	return b
}

// walk parses buf like parseBlock, calling fn with every valid chunk in
// order instead of collecting them (the returned block's chunks are nil). An
// error from fn stops the walk and is returned.
func (l Layout) walk(buf []byte, off, blockEnd int64, fn func(Chunk) error) (block, error) {
	var b block
	full := off+int64(len(buf)) == blockEnd
	maxPad := l.maxPad()
	p := 0
	for {
		at := off + int64(p)
		rest := buf[p:]
		if len(rest) == 0 {
			b.clean, b.short = full, !full
			return b, nil
		}
		if len(rest) < HeaderSize {
			switch {
			case !full:
				b.short = true // a header cut short: an interrupted write
			case allZero(rest):
				b.clean = true
			default:
				b.bad = errorf(at, "%d stray bytes at the end of a block", len(rest))
			}
			return b, nil
		}
		n := int(binary.LittleEndian.Uint16(rest[4:6]))
		t := ChunkType(rest[6])
		room := blockEnd - at
		switch {
		case t == Padding && !allZero(rest):
			b.bad = errorf(at, "padding holds non-zero bytes")
		case t == Padding && !full:
			b.short = true // a partial block ending in zeros: an interrupted write
		case t == Padding && room > maxPad:
			b.bad = errorf(at, "%d zero bytes where at most %d bytes of padding can be", room, maxPad)
		case t == Padding:
			b.clean = true
		case t > Last:
			b.bad = errorf(at, "unknown chunk type %d", t)
		case int64(HeaderSize+n) > room:
			b.bad = errorf(at, "chunk length %d overruns the block (%d bytes left)", n, room-HeaderSize)
		case HeaderSize+n > len(rest):
			b.short = true // only a partial block can end inside a chunk
		case binary.LittleEndian.Uint32(rest[0:4]) != checksum(rest[4:HeaderSize+n]):
			b.bad = errorf(at, "%s chunk of %d bytes fails its checksum", t, n)
		default:
			if err := fn(Chunk{Off: at, Type: t, Payload: rest[HeaderSize : HeaderSize+n : HeaderSize+n]}); err != nil {
				return b, err
			}
			p += HeaderSize + n
			continue
		}
		return b, nil
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// blockReader reads and parses whole blocks of one file region,
// remembering them.
type blockReader struct {
	l     Layout
	r     io.ReaderAt
	size  int64 // readable region ends here
	cache map[int]*block
	err   error // first I/O error
}

func (l Layout) newBlockReader(r io.ReaderAt, size int64) *blockReader {
	return &blockReader{l: l, r: r, size: size, cache: map[int]*block{}}
}

// get returns the parse of block i; nil on an I/O error (kept in br.err).
func (br *blockReader) get(i int) *block {
	if b, ok := br.cache[i]; ok {
		return b
	}
	b := br.l.readBlock(br.r, br.l.BlockOff(i), br.size)
	if b == nil {
		br.err = errRead
		return nil
	}
	if b.err != nil {
		br.err = b.err
		return nil
	}
	br.cache[i] = &b.block
	return &b.block
}

var errRead = errors.New("record: read failed")

type readResult struct {
	block
	err error
}

// readBlock reads and parses the block holding off, from off (a chunk
// boundary) to the block end or size, whichever comes first.
func (l Layout) readBlock(r io.ReaderAt, off, size int64) *readResult {
	end := l.blockStart(off) + l.BlockLen()
	n := min(end, size) - off
	if n <= 0 {
		return &readResult{block: block{short: true}}
	}
	buf := make([]byte, n)
	m, err := r.ReadAt(buf, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return &readResult{err: err}
	}
	return &readResult{block: l.parseBlock(buf[:m], off, end)}
}
