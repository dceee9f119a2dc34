package record

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Framing constants.
const (
	// BlockSize is the block size of a Layout that leaves Block zero: the
	// size new files use.
	BlockSize = 4 * 1024
	// MaxBlockSize is the largest block size a chunk's u16 length can fill.
	MaxBlockSize = 32 * 1024
	// HeaderSize is the size of a chunk header: CRC u32, length u16, type u8.
	HeaderSize = 7
)

// ChunkType says which part of a record a chunk holds.
type ChunkType uint8

// The chunk types. Zero is padding: it fills the rest of a block.
const (
	Padding ChunkType = 0
	Full    ChunkType = 1
	First   ChunkType = 2
	Middle  ChunkType = 3
	Last    ChunkType = 4
)

// String returns the type's name.
func (t ChunkType) String() string {
	switch t {
	case Padding:
		return "padding"
	case Full:
		return "full"
	case First:
		return "first"
	case Middle:
		return "middle"
	case Last:
		return "last"
	}
	return fmt.Sprintf("ChunkType(%d)", uint8(t))
}

// endsRecord reports whether a chunk of type t completes a record.
func (t ChunkType) endsRecord() bool { return t == Full || t == Last }

// startsRecord reports whether a chunk of type t begins a record.
func (t ChunkType) startsRecord() bool { return t == Full || t == First }

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// checksum returns the CRC-32C of a chunk's length, type and payload
// (everything after the CRC field).
func checksum(afterCRC []byte) uint32 { return crc32.Checksum(afterCRC, castagnoli) }

// Checksum returns the CRC-32C (Castagnoli) of b, the checksum used by the
// framing; file headers use it too.
func Checksum(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// Layout describes the data region of one file: where it starts and where a
// record's payload may be split into chunks.
type Layout struct {
	// Base is the file offset of the first block (the size of the file header).
	Base int64
	// Head is the number of leading payload bytes that stay in the first
	// chunk, with at least one unit.
	Head int
	// Unit is the granule of the payload after the head: chunks split it at
	// multiples of Unit. Must be at least 1.
	Unit int
	// Block is the block size in bytes; zero means BlockSize.
	Block int64
	// MaxPayload caps the payload of one chunk (0: only the block bounds
	// it); it must hold Head plus one unit. Small chunks let a reader
	// verify just the entries it needs: a seek checks one chunk, not a
	// block.
	MaxPayload int
}

// BlockLen returns the layout's block size.
func (l Layout) BlockLen() int64 {
	if l.Block == 0 {
		return BlockSize
	}
	return l.Block
}

// maxPad is the longest padding a writer can leave at the end of a block:
// the room below one chunk header, a head and a unit.
func (l Layout) maxPad() int64 { return int64(HeaderSize + l.Head + l.Unit - 1) }

// Validate reports a layout whose first chunk cannot fit in a block.
func (l Layout) Validate() error {
	bs := l.BlockLen()
	if l.Base < 0 || l.Unit < 1 || l.Head < 0 || bs > MaxBlockSize || int64(HeaderSize+l.Head+l.Unit) > bs ||
		(l.MaxPayload != 0 && l.MaxPayload < l.Head+l.Unit) {
		return fmt.Errorf("record: invalid layout base=%d head=%d unit=%d block=%d max payload=%d", l.Base, l.Head, l.Unit, bs, l.MaxPayload)
	}
	return nil
}

// blockStart returns the offset of the block that holds offset off.
func (l Layout) blockStart(off int64) int64 {
	bs := l.BlockLen()
	return l.Base + (off-l.Base)/bs*bs
}

// numBlocks returns how many blocks (the last possibly partial) cover the
// data region of a file of the given size.
func (l Layout) numBlocks(size int64) int {
	if size <= l.Base {
		return 0
	}
	bs := l.BlockLen()
	return int((size - l.Base + bs - 1) / bs)
}

// BlockOff returns the file offset of block b.
func (l Layout) BlockOff(b int) int64 { return l.Base + int64(b)*l.BlockLen() }

// BlockOf returns the index of the block that holds offset off.
func (l Layout) BlockOf(off int64) int { return int((off - l.Base) / l.BlockLen()) }

// Error reports data that is not a valid chunk or record sequence, at a
// file offset.
type Error struct {
	Offset int64
	Reason string
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("record: offset %d: %s", e.Offset, e.Reason)
}

func errorf(off int64, format string, args ...any) *Error {
	return &Error{Offset: off, Reason: fmt.Sprintf(format, args...)}
}

// putHeader writes a chunk header for payload p of type t into h[:HeaderSize]
// given that p follows h in the same buffer (h[HeaderSize:] == p).
func putHeader(buf []byte, t ChunkType, n int) {
	binary.LittleEndian.PutUint16(buf[4:6], uint16(n))
	buf[6] = byte(t)
	binary.LittleEndian.PutUint32(buf[0:4], checksum(buf[4:HeaderSize+n]))
}
