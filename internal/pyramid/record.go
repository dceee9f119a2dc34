package pyramid

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"

	"github.com/statstore/statstore"
)

// A record is one block's summary as stores keep it (the file store's
// bucket sidecar, PostgreSQL's statstore_training_levels), RecordSize
// bytes, little-endian: From (8), Count, Finite, NaN, PosInf, NegInf (4
// each), FirstNonFinite (8, -1 for none), First, Last, Min, Max
// (iteration, loss bits, time bits: 24 each), CRC-32C of the bytes before
// (4). The empty bucket is all zeros but its checksum.
const RecordSize = 8 + 5*4 + 8 + 4*24 + 4

// ErrBadRecord is wrapped by every error DecodeRecord returns.
var ErrBadRecord = errors.New("bad block record")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// AppendRecord appends b's record to dst.
func AppendRecord(dst []byte, b statstore.TrainingBucket) []byte {
	var r [RecordSize]byte
	if b.Count > 0 {
		binary.LittleEndian.PutUint64(r[0:], uint64(b.From))
		for i, v := range []int{b.Count, b.Finite, b.NaN, b.PosInf, b.NegInf} {
			binary.LittleEndian.PutUint32(r[8+4*i:], uint32(v))
		}
		binary.LittleEndian.PutUint64(r[28:], uint64(int64(b.FirstNonFinite)))
		for i, e := range []statstore.TrainingIterationStats{b.First, b.Last, b.Min, b.Max} {
			PutEntry(r[36+24*i:], e)
		}
	}
	binary.LittleEndian.PutUint32(r[RecordSize-4:], crc32.Checksum(r[:RecordSize-4], castagnoli))
	return append(dst, r[:]...)
}

// PutEntry writes e into b's first 24 bytes as a record holds it.
func PutEntry(b []byte, e statstore.TrainingIterationStats) {
	binary.LittleEndian.PutUint64(b, uint64(e.Iteration))
	binary.LittleEndian.PutUint64(b[8:], math.Float64bits(e.Loss))
	binary.LittleEndian.PutUint64(b[16:], math.Float64bits(e.Time))
}

// GetEntry reads an entry written by PutEntry.
func GetEntry(b []byte) statstore.TrainingIterationStats {
	return statstore.TrainingIterationStats{Iteration: int(int64(binary.LittleEndian.Uint64(b))),
		Loss: math.Float64frombits(binary.LittleEndian.Uint64(b[8:])), Time: math.Float64frombits(binary.LittleEndian.Uint64(b[16:]))}
}

// DecodeRecord decodes the record of a block of level l, checking its
// checksum and that it describes a block of that level (aligned, entries
// inside it, counts that add up, finite extremes in order); an all-zero
// record with a valid checksum is the empty bucket when empty is allowed.
// Every error wraps ErrBadRecord.
func DecodeRecord(r []byte, l int, empty bool) (statstore.TrainingBucket, error) {
	var b statstore.TrainingBucket
	if len(r) != RecordSize {
		return b, fmt.Errorf("%w: %d bytes, want %d", ErrBadRecord, len(r), RecordSize)
	}
	if l < 0 || l >= Levels {
		return b, fmt.Errorf("%w: level %d, want 0 to %d", ErrBadRecord, l, Levels-1)
	}
	if crc32.Checksum(r[:RecordSize-4], castagnoli) != binary.LittleEndian.Uint32(r[RecordSize-4:]) {
		return b, fmt.Errorf("%w: checksum mismatch", ErrBadRecord)
	}
	b.From = int(int64(binary.LittleEndian.Uint64(r)))
	var c [5]int
	for i := range c {
		c[i] = int(binary.LittleEndian.Uint32(r[8+4*i:]))
	}
	b.Count, b.Finite, b.NaN, b.PosInf, b.NegInf = c[0], c[1], c[2], c[3], c[4]
	b.FirstNonFinite = int(int64(binary.LittleEndian.Uint64(r[28:])))
	b.First, b.Last, b.Min, b.Max = GetEntry(r[36:]), GetEntry(r[60:]), GetEntry(r[84:]), GetEntry(r[108:])
	if b.Count == 0 && empty {
		if b != (statstore.TrainingBucket{}) {
			return b, fmt.Errorf("%w: empty record with content", ErrBadRecord)
		}
		return b, nil
	}
	w := Width(l)
	b.To = b.From + w
	in := func(e statstore.TrainingIterationStats) bool { return e.Iteration >= b.From && e.Iteration < b.To }
	finite := func(e statstore.TrainingIterationStats) bool {
		return !math.IsNaN(e.Loss) && !math.IsInf(e.Loss, 0)
	}
	switch {
	case b.From < 0 || b.From%w != 0 || b.From > math.MaxInt-w:
		return b, fmt.Errorf("%w: block at iteration %d not aligned to %d", ErrBadRecord, b.From, w)
	case b.Count < 1 || b.Count > w || b.Finite+b.NaN+b.PosInf+b.NegInf != b.Count:
		return b, fmt.Errorf("%w: block counts %d entries: %d finite, %d NaN, %d +Inf, %d -Inf", ErrBadRecord, b.Count, b.Finite, b.NaN, b.PosInf, b.NegInf)
	case !in(b.First) || !in(b.Last) || b.First.Iteration > b.Last.Iteration || (b.Count == 1) != (b.First.Iteration == b.Last.Iteration):
		return b, fmt.Errorf("%w: block's first and last entries outside it", ErrBadRecord)
	case b.Finite > 0 && (!in(b.Min) || !in(b.Max) || !finite(b.Min) || !finite(b.Max) || b.Min.Loss > b.Max.Loss):
		return b, fmt.Errorf("%w: block's extremes wrong", ErrBadRecord)
	case b.Finite == 0 && (b.Min != statstore.TrainingIterationStats{} || b.Max != statstore.TrainingIterationStats{}):
		return b, fmt.Errorf("%w: block without finite loss has extremes", ErrBadRecord)
	case (b.NonFinite() == 0) != (b.FirstNonFinite == -1) || (b.FirstNonFinite != -1 && (b.FirstNonFinite < b.From || b.FirstNonFinite >= b.To)):
		return b, fmt.Errorf("%w: block's first non-finite iteration %d wrong", ErrBadRecord, b.FirstNonFinite)
	}
	return b, nil
}

// SameEntry reports whether a and b are bit for bit the same entry (NaN
// payloads and the sign of zero included).
func SameEntry(a, b statstore.TrainingIterationStats) bool {
	return a.Iteration == b.Iteration && math.Float64bits(a.Loss) == math.Float64bits(b.Loss) &&
		math.Float64bits(a.Time) == math.Float64bits(b.Time)
}
