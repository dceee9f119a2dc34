package filestore

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/record"
)

const (
	// trainingEntrySize: iteration int64, loss and time float64 bits.
	trainingEntrySize = 24
	// trainingHeadSize: a training record starts with the number of entries
	// stored before it (uint64).
	trainingHeadSize = 8
)

// encodeTraining returns the payload of a training record: the count of
// entries before it, then the entries.
func encodeTraining(before int, entries []statstore.TrainingIterationStats) []byte {
	return encodeTrainingTo(nil, before, entries)
}

// encodeTrainingTo is encodeTraining into dst's storage when it is large
// enough (a new slice otherwise).
func encodeTrainingTo(dst []byte, before int, entries []statstore.TrainingIterationStats) []byte {
	n := trainingHeadSize + trainingEntrySize*len(entries)
	b := dst[:0]
	if cap(b) < n {
		b = make([]byte, n)
	}
	b = b[:n]
	binary.LittleEndian.PutUint64(b, uint64(before))
	p := b[trainingHeadSize:]
	for i, e := range entries {
		q := p[i*trainingEntrySize:]
		binary.LittleEndian.PutUint64(q[0:], uint64(e.Iteration))
		binary.LittleEndian.PutUint64(q[8:], math.Float64bits(e.Loss))
		binary.LittleEndian.PutUint64(q[16:], math.Float64bits(e.Time))
	}
	return b
}

// decodeEntries appends the entries in b (a multiple of 24 bytes) to dst.
func decodeEntries(dst []statstore.TrainingIterationStats, b []byte) []statstore.TrainingIterationStats {
	for ; len(b) >= trainingEntrySize; b = b[trainingEntrySize:] {
		dst = append(dst, statstore.TrainingIterationStats{
			Iteration: int(int64(binary.LittleEndian.Uint64(b[0:]))),
			Loss:      math.Float64frombits(binary.LittleEndian.Uint64(b[8:])),
			Time:      math.Float64frombits(binary.LittleEndian.Uint64(b[16:])),
		})
	}
	return dst
}

// decodeInto decodes len(dst) entries from b into dst, checking that
// iterations increase strictly from prev (-1 for none: the first must not be
// negative). It returns the last iteration, or the index of the first entry
// out of order and false.
func decodeInto(dst []statstore.TrainingIterationStats, b []byte, prev int) (int, bool) {
	b = b[:len(dst)*trainingEntrySize]
	for i := range dst {
		q := b[i*trainingEntrySize : i*trainingEntrySize+trainingEntrySize]
		it := int(int64(binary.LittleEndian.Uint64(q[0:8])))
		if it <= prev {
			return i, false
		}
		dst[i] = statstore.TrainingIterationStats{
			Iteration: it,
			Loss:      math.Float64frombits(binary.LittleEndian.Uint64(q[8:16])),
			Time:      math.Float64frombits(binary.LittleEndian.Uint64(q[16:24])),
		}
		prev = it
	}
	return prev, true
}

// iterAt returns the iteration of entry i of the entry bytes b.
func iterAt(b []byte, i int) int {
	return int(int64(binary.LittleEndian.Uint64(b[i*trainingEntrySize:])))
}

// chunkEntries splits a training chunk's payload into its head (the count
// before the record, for a chunk that starts one; -1 otherwise) and its
// entry bytes, checking the sizes.
func chunkEntries(t record.ChunkType, p []byte) (before int64, entries []byte, err error) {
	before = -1
	if t == record.Full || t == record.First {
		if len(p) < trainingHeadSize {
			return 0, nil, fmt.Errorf("%s chunk of %d bytes has no room for its %d-byte head", t, len(p), trainingHeadSize)
		}
		before = int64(binary.LittleEndian.Uint64(p))
		p = p[trainingHeadSize:]
	}
	if len(p) == 0 || len(p)%trainingEntrySize != 0 {
		return 0, nil, fmt.Errorf("%s chunk holds %d bytes of entries, want a positive multiple of %d", t, len(p), trainingEntrySize)
	}
	return before, p, nil
}

// decodeTrainingRecord checks and decodes a whole training record, which
// must follow `count` entries whose last iteration is prev (-1 for none).
func decodeTrainingRecord(p []byte, count int, prev int) ([]statstore.TrainingIterationStats, error) {
	before, body, err := chunkEntries(record.Full, p)
	if err != nil {
		return nil, err
	}
	if before != int64(count) {
		return nil, fmt.Errorf("record says %d entries precede it, found %d", before, count)
	}
	entries := decodeEntries(nil, body)
	for _, e := range entries {
		if e.Iteration <= prev {
			return nil, fmt.Errorf("iteration %d follows iteration %d, want strictly increasing", e.Iteration, prev)
		}
		prev = e.Iteration
	}
	return entries, nil
}
