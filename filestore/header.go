package filestore

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"fmt"

	"github.com/statstore/statstore/internal/record"
)

// File header, see docs/format.md.
const (
	headerSize = 32
	magic      = "STATSTOR"
	// formatV1 files have 32 KiB blocks; they are read and appended to as
	// they are.
	formatV1    = 1
	blockSizeV1 = 32 * 1024
	// formatV2 files have blocks of record.BlockSize bytes (and small
	// training chunks): the version training files are written in.
	formatV2 = 2
	// formatV3 is version 2's layout for validation files whose records
	// merge by iteration: a later entry for an iteration replaces the
	// earlier one, and supersede and delete records exist. Validation
	// files only; still appended to with the records it has.
	formatV3 = 3
	// formatV4 is version 3 with scores records that carry superseded
	// marks and supersede records that take effect with the training file
	// they name (a training replace, atomic as readers see it). Validation
	// files only: the version they are written in.
	formatV4 = 4
	// newestVersion is the newest version of any kind.
	newestVersion = formatV4
)

// version returns the format version new files of kind k are written in,
// which is also the newest version of k that this program reads.
func (k fileKind) version() uint16 {
	if k == kindValidation {
		return formatV4
	}
	return formatV2
}

// blockSizeOf returns the block size of files of a format version, 0 for
// a version this program does not read.
func blockSizeOf(version uint16) int64 {
	switch version {
	case formatV1:
		return blockSizeV1
	case formatV2, formatV3, formatV4:
		return record.BlockSize
	}
	return 0
}

// fileKind says what a file holds.
type fileKind uint8

const (
	kindTraining   fileKind = 1
	kindValidation fileKind = 2
)

func (k fileKind) String() string {
	if k == kindTraining {
		return "training"
	}
	return "validation"
}

// dirName returns the directory that holds files of kind k.
func (k fileKind) dirName() string {
	if k == kindTraining {
		return "training_stats"
	}
	return "validation_scores"
}

// trainingMaxPayload caps the payload of a training chunk in format
// version 2 so that a chunk with its header takes at most 512 bytes: a seek
// verifies at most that much to return one entry.
const trainingMaxPayload = 512 - record.HeaderSize

// layout returns the record layout of files of kind k in a format version:
// training chunks hold whole 24-byte entries after an 8-byte head (in
// version 2, at most trainingMaxPayload bytes of them), validation records
// split anywhere.
func (k fileKind) layout(version uint16) record.Layout {
	l := record.Layout{Base: headerSize, Unit: 1, Block: blockSizeOf(version)}
	if k == kindTraining {
		l.Head, l.Unit = trainingHeadSize, trainingEntrySize
		if version >= 2 {
			l.MaxPayload = trainingMaxPayload
		}
	}
	return l
}

// header is a decoded file header.
type header struct {
	kind    fileKind
	version uint16
	id      uint64 // random, new for every file written: tells a replaced file apart
}

// newHeader returns a header of kind k in the format version new files of
// kind k are written in, with a fresh random id.
func newHeader(k fileKind) (header, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return header{}, fmt.Errorf("filestore: random file id: %w", err)
	}
	return header{kind: k, version: k.version(), id: binary.LittleEndian.Uint64(b[:])}, nil
}

// layout returns the record layout of the file h heads.
func (h header) layout() record.Layout { return h.kind.layout(h.version) }

// encode returns the 32 header bytes.
func (h header) encode() []byte {
	b := make([]byte, headerSize)
	copy(b, magic)
	binary.LittleEndian.PutUint16(b[8:], h.version)
	b[10] = byte(h.kind)
	binary.LittleEndian.PutUint32(b[12:], uint32(blockSizeOf(h.version)))
	binary.LittleEndian.PutUint64(b[16:], h.id)
	binary.LittleEndian.PutUint32(b[28:], record.Checksum(b[:28]))
	return b
}

// decodeHeader checks and decodes a file header of the wanted kind; the
// error says what is wrong (the caller adds the path and offset 0).
func decodeHeader(b []byte, want fileKind) (header, error) {
	switch {
	case len(b) < headerSize:
		return header{}, fmt.Errorf("file of %d bytes is shorter than the %d-byte header", len(b), headerSize)
	case !bytes.Equal(b[:8], []byte(magic)):
		return header{}, fmt.Errorf("not a statstore file: magic %q, want %q", b[:8], magic)
	case binary.LittleEndian.Uint32(b[28:]) != record.Checksum(b[:28]):
		return header{}, fmt.Errorf("header checksum mismatch")
	}
	version := binary.LittleEndian.Uint16(b[8:])
	bs := blockSizeOf(version)
	switch {
	case bs == 0:
		return header{}, fmt.Errorf("format version %d, this program reads versions %d to %d", version, formatV1, newestVersion)
	case fileKind(b[10]) != want:
		return header{}, fmt.Errorf("file kind %d, want %d (%s)", b[10], want, want)
	case version > want.version():
		return header{}, fmt.Errorf("format version %d, this program reads %s files of versions %d to %d", version, want, formatV1, want.version())
	case int64(binary.LittleEndian.Uint32(b[12:])) != bs:
		return header{}, fmt.Errorf("block size %d, want %d for format version %d", binary.LittleEndian.Uint32(b[12:]), bs, version)
	}
	return header{kind: want, version: version, id: binary.LittleEndian.Uint64(b[16:])}, nil
}
