package filestore

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	"github.com/statstore/statstore"
)

// Validation record kinds: the first byte of a validation record's payload.
// Supersede and delete records exist from format version 3 on.
const (
	valRecordMetadata  byte = 1
	valRecordScores    byte = 2
	valRecordSupersede byte = 3 // | 3 | rewind point i64 |
	valRecordDelete    byte = 4 // | 4 | from iteration i64 |
)

// valMarkSize is the payload size of a supersede or delete record.
const valMarkSize = 9

// encodeMark returns the payload of a supersede record (kind
// valRecordSupersede, at the rewind point: the entries stored before it
// with a greater iteration are superseded) or of a delete record (kind
// valRecordDelete, from an iteration: the entries stored before it with an
// iteration >= it are deleted).
func encodeMark(kind byte, it int) []byte {
	return binary.LittleEndian.AppendUint64([]byte{kind}, uint64(int64(it)))
}

// decodeMark decodes the payload of a supersede or delete record. A
// rewind point may be -1 (every entry before it superseded); a delete
// starts at an iteration >= 0.
func decodeMark(p []byte) (int, error) {
	if len(p) != valMarkSize {
		return 0, fmt.Errorf("%s record of %d bytes, want %d", valRecordName(p[0]), len(p), valMarkSize)
	}
	it := int64(binary.LittleEndian.Uint64(p[1:]))
	lowest := int64(0)
	if p[0] == valRecordSupersede {
		lowest = -1
	}
	if it < lowest {
		return 0, fmt.Errorf("%s record at iteration %d, want >= %d", valRecordName(p[0]), it, lowest)
	}
	return int(it), nil
}

// valRecordName names a validation record kind for errors.
func valRecordName(kind byte) string {
	switch kind {
	case valRecordMetadata:
		return "metadata"
	case valRecordScores:
		return "scores"
	case valRecordSupersede:
		return "supersede"
	case valRecordDelete:
		return "delete"
	}
	return fmt.Sprintf("unknown (kind %d)", kind)
}

// valScoresHeader: kind u8, entry count u32, values per entry u32.
const valScoresHeader = 9

// encodeMetadata returns the payload of a metadata record: the kind byte,
// then the metadata as JSON (statstore.Metadata's own JSON shape).
func encodeMetadata(m statstore.Metadata) ([]byte, error) {
	js, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode validation metadata: %v: %w", err, statstore.ErrInvalidArgument)
	}
	return append([]byte{valRecordMetadata}, js...), nil
}

// decodeMetadata decodes a metadata record's payload.
func decodeMetadata(p []byte) (statstore.Metadata, error) {
	var m statstore.Metadata
	if len(p) == 0 || p[0] != valRecordMetadata {
		return m, fmt.Errorf("first record is not the metadata record")
	}
	if err := json.Unmarshal(p[1:], &m); err != nil {
		return m, fmt.Errorf("metadata record: %v", err)
	}
	return m, nil
}

// encodeScores returns the payload of a scores record: a header, then per
// entry its iteration (int64) and its scores (float64 bits) in
// dataset, parameter set, criterion order.
func encodeScores(shape [3]int, entries []statstore.ValidationIterationScores) []byte {
	per := shape[0] * shape[1] * shape[2]
	b := make([]byte, valScoresHeader, valScoresHeader+len(entries)*(8+8*per))
	b[0] = valRecordScores
	binary.LittleEndian.PutUint32(b[1:], uint32(len(entries)))
	binary.LittleEndian.PutUint32(b[5:], uint32(per))
	for _, e := range entries {
		b = binary.LittleEndian.AppendUint64(b, uint64(e.Iteration))
		for _, d := range e.Scores {
			for _, p := range d {
				for _, v := range p {
					b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
				}
			}
		}
	}
	return b
}

// decodeScores decodes a scores record's payload for metadata of the given
// shape.
func decodeScores(p []byte, shape [3]int) ([]statstore.ValidationIterationScores, error) {
	if len(p) < valScoresHeader || p[0] != valRecordScores {
		return nil, fmt.Errorf("not a scores record")
	}
	n := int(binary.LittleEndian.Uint32(p[1:]))
	per := int(binary.LittleEndian.Uint32(p[5:]))
	if want := shape[0] * shape[1] * shape[2]; per != want {
		return nil, fmt.Errorf("scores record holds %d values per entry, the metadata's shape %d×%d×%d wants %d", per, shape[0], shape[1], shape[2], want)
	}
	body := p[valScoresHeader:]
	if uint64(len(body)) != uint64(n)*uint64(8+8*per) {
		return nil, fmt.Errorf("scores record of %d entries of %d values has %d bytes, want %d", n, per, len(body), uint64(n)*uint64(8+8*per))
	}
	out := make([]statstore.ValidationIterationScores, n)
	for i := range out {
		it := int64(binary.LittleEndian.Uint64(body))
		if it < 0 {
			return nil, fmt.Errorf("negative validation iteration %d", it)
		}
		body = body[8:]
		scores := make([][][]float64, shape[0])
		for d := range scores {
			scores[d] = make([][]float64, shape[1])
			for q := range scores[d] {
				row := make([]float64, shape[2])
				for c := range row {
					row[c] = math.Float64frombits(binary.LittleEndian.Uint64(body))
					body = body[8:]
				}
				scores[d][q] = row
			}
		}
		out[i] = statstore.ValidationIterationScores{Iteration: int(it), Scores: scores}
	}
	return out, nil
}
