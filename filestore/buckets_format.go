package filestore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/pyramid"
)

// The bucket sidecar (DIR/.buckets/<run>/) keeps the run's training
// history summarised in blocks (package internal/pyramid): levels of
// aligned blocks of 2^6, 2^8, ... 2^24 iterations, each block the M4
// summary statstore.TrainingBucket of its entries. It is a cache: any
// doubt (a damaged or missing file, another training file) and it is
// rebuilt from the history; it never changes what a read returns.
//
//	meta           the sidecar's state, replaced whole by rename:
//	               magic "STBKT\x00\x00\x01", generation (8), the training
//	               file's stamp (file id, inode, committed end, entry
//	               count, last entry: 8 each, 64 in all), per level the
//	               number of closed blocks (10 × 8), per level the open
//	               (newest) block (10 records), CRC-32C of all before (4)
//	<gen>.<level>  the level's closed blocks, records in iteration order,
//	               only ever appended to; a crashed append leaves bytes
//	               past meta's count, which the next writer overwrites
//
// A record (bucketRecSize bytes, little-endian): From (8), Count, Finite,
// NaN, PosInf, NegInf (4 each), FirstNonFinite (8, -1 for none), First,
// Last, Min, Max (iteration, loss bits, time bits: 24 each), CRC-32C of
// the bytes before (4). A block of level l starts at a multiple of its
// width and holds only entries inside it.
const bucketsDir = ".buckets"

const (
	bucketMagic     = "STBKT\x00\x00\x01"
	bucketRecSize   = pyramid.RecordSize
	bucketStampSize = 8 * 8
	bucketMetaSize  = len(bucketMagic) + 8 + bucketStampSize + pyramid.Levels*8 + pyramid.Levels*bucketRecSize + 4
)

// errBadSidecar marks a sidecar that cannot be used; it never leaves the
// bucket code (the sidecar is rebuilt).
var errBadSidecar = errors.New("bucket sidecar unusable")

var bucketCRC = crc32.MakeTable(crc32.Castagnoli)

// bucketStamp identifies the state of a training file a sidecar covers.
type bucketStamp struct {
	id    uint64
	inode uint64
	end   int64
	count int64
	last  statstore.TrainingIterationStats
}

func (a bucketStamp) equal(b bucketStamp) bool {
	return a.id == b.id && a.inode == b.inode && a.end == b.end && a.count == b.count && pyramid.SameEntry(a.last, b.last)
}

// bucketMeta is the decoded meta file.
type bucketMeta struct {
	gen    uint64
	stamp  bucketStamp
	closed [pyramid.Levels]int64
	open   [pyramid.Levels]statstore.TrainingBucket
}

// decodeBucketRecord decodes a record of a block of level l
// (pyramid.DecodeRecord), wrapping errBadSidecar.
func decodeBucketRecord(r []byte, l int, empty bool) (statstore.TrainingBucket, error) {
	b, err := pyramid.DecodeRecord(r, l, empty)
	if err != nil {
		return b, fmt.Errorf("%w: %w", errBadSidecar, err)
	}
	return b, nil
}

// encodeBucketMeta returns the meta file's bytes.
func encodeBucketMeta(m *bucketMeta) []byte {
	out := make([]byte, 0, bucketMetaSize)
	out = append(out, bucketMagic...)
	out = binary.LittleEndian.AppendUint64(out, m.gen)
	for _, v := range []uint64{m.stamp.id, m.stamp.inode, uint64(m.stamp.end), uint64(m.stamp.count)} {
		out = binary.LittleEndian.AppendUint64(out, v)
	}
	var e [24]byte
	pyramid.PutEntry(e[:], m.stamp.last)
	out = append(out, e[:]...)
	out = binary.LittleEndian.AppendUint64(out, 0) // reserved
	for _, n := range m.closed {
		out = binary.LittleEndian.AppendUint64(out, uint64(n))
	}
	for _, b := range m.open {
		out = pyramid.AppendRecord(out, b)
	}
	return binary.LittleEndian.AppendUint32(out, crc32.Checksum(out, bucketCRC))
}

// decodeBucketMeta decodes a meta file; any error wraps errBadSidecar.
func decodeBucketMeta(data []byte) (*bucketMeta, error) {
	if len(data) != bucketMetaSize {
		return nil, fmt.Errorf("%w: meta of %d bytes, want %d", errBadSidecar, len(data), bucketMetaSize)
	}
	if string(data[:len(bucketMagic)]) != bucketMagic {
		return nil, fmt.Errorf("%w: meta has no magic of version 1", errBadSidecar)
	}
	if crc32.Checksum(data[:len(data)-4], bucketCRC) != binary.LittleEndian.Uint32(data[len(data)-4:]) {
		return nil, fmt.Errorf("%w: meta checksum mismatch", errBadSidecar)
	}
	p := data[len(bucketMagic):]
	u := func() uint64 { v := binary.LittleEndian.Uint64(p); p = p[8:]; return v }
	m := &bucketMeta{gen: u()}
	m.stamp.id, m.stamp.inode, m.stamp.end, m.stamp.count = u(), u(), int64(u()), int64(u())
	m.stamp.last = pyramid.GetEntry(p)
	p = p[24:]
	if u() != 0 {
		return nil, fmt.Errorf("%w: reserved field set", errBadSidecar)
	}
	if m.stamp.end < 0 || m.stamp.count < 1 {
		return nil, fmt.Errorf("%w: stamp of %d entries ending at %d", errBadSidecar, m.stamp.count, m.stamp.end)
	}
	for l := range m.closed {
		if m.closed[l] = int64(u()); m.closed[l] < 0 || m.closed[l] > m.stamp.count {
			return nil, fmt.Errorf("%w: level %d counts %d closed blocks", errBadSidecar, l, m.closed[l])
		}
	}
	for l := range m.open {
		b, err := decodeBucketRecord(p[:bucketRecSize], l, false)
		if err != nil {
			return nil, fmt.Errorf("level %d's open block: %w", l, err)
		}
		if !pyramid.SameEntry(b.Last, m.stamp.last) {
			return nil, fmt.Errorf("%w: level %d's open block ends at iteration %d, the stamp at %d", errBadSidecar, l, b.Last.Iteration, m.stamp.last.Iteration)
		}
		m.open[l] = b
		p = p[bucketRecSize:]
	}
	return m, nil
}
