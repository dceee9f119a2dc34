package filestore

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	"github.com/statstore/statstore"
)

// Validation record kinds: the first byte of a validation record's payload.
// Supersede and delete records exist from format version 3 on, marked
// scores, pending supersede and resolve records from version 4 on.
const (
	valRecordMetadata     byte = 1
	valRecordScores       byte = 2
	valRecordSupersede    byte = 3 // | 3 | rewind point i64 |
	valRecordDelete       byte = 4 // | 4 | from iteration i64 |
	valRecordMarkedScores byte = 5 // as scores, each entry's iteration followed by its mark u8
	valRecordPending      byte = 6 // | 6 | rewind point i64 | training file id u64 |
	valRecordResolve      byte = 7 // | 7 | outcome u8 | training file id u64 |
)

// valMarkSize is the payload size of a supersede or delete record.
const valMarkSize = 9

// Payload sizes of a pending supersede record and of a resolve record.
const (
	valPendingSize = 17
	valResolveSize = 10
)

// Outcomes of a pending supersede record, as a resolve record states them.
const (
	outcomeVoid    byte = 0 // the training file it names never replaced the run's
	outcomeApplied byte = 1 // it did: the marks take effect
)

// pendingMark is a pending supersede record: the marks of a training
// replace, which take effect only with the training file whose header
// holds the id train.
type pendingMark struct {
	rewind int
	train  uint64
}

// encodePending returns the payload of a pending supersede record.
func encodePending(p pendingMark) []byte {
	b := binary.LittleEndian.AppendUint64([]byte{valRecordPending}, uint64(int64(p.rewind)))
	return binary.LittleEndian.AppendUint64(b, p.train)
}

// decodePending decodes the payload of a pending supersede record.
func decodePending(p []byte) (pendingMark, error) {
	if len(p) != valPendingSize {
		return pendingMark{}, fmt.Errorf("pending supersede record of %d bytes, want %d", len(p), valPendingSize)
	}
	rewind := int64(binary.LittleEndian.Uint64(p[1:]))
	if rewind < -1 {
		return pendingMark{}, fmt.Errorf("pending supersede record at iteration %d, want >= -1", rewind)
	}
	return pendingMark{rewind: int(rewind), train: binary.LittleEndian.Uint64(p[9:])}, nil
}

// encodeResolve returns the payload of a resolve record: the outcome of
// the pending supersede record naming the training file id train.
func encodeResolve(outcome byte, train uint64) []byte {
	return binary.LittleEndian.AppendUint64([]byte{valRecordResolve, outcome}, train)
}

// decodeResolve decodes the payload of a resolve record.
func decodeResolve(p []byte) (outcome byte, train uint64, err error) {
	if len(p) != valResolveSize {
		return 0, 0, fmt.Errorf("resolve record of %d bytes, want %d", len(p), valResolveSize)
	}
	if p[1] != outcomeVoid && p[1] != outcomeApplied {
		return 0, 0, fmt.Errorf("resolve record with outcome %d, want %d (void) or %d (applied)", p[1], outcomeVoid, outcomeApplied)
	}
	return p[1], binary.LittleEndian.Uint64(p[2:]), nil
}

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

// valRecordSince returns the first format version with records of kind,
// 1 for the kinds of every version and for unknown kinds (which are
// refused by what they are).
func valRecordSince(kind byte) uint16 {
	switch kind {
	case valRecordSupersede, valRecordDelete:
		return formatV3
	case valRecordMarkedScores, valRecordPending, valRecordResolve:
		return formatV4
	}
	return formatV1
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
	case valRecordMarkedScores:
		return "marked scores"
	case valRecordPending:
		return "pending supersede"
	case valRecordResolve:
		return "resolve"
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
// dataset, parameter set, criterion order. When an entry is superseded it
// is a marked scores record (format version 4), whose entries hold a mark
// byte (1 = superseded, 0 = current) after the iteration.
func encodeScores(shape [3]int, entries []statstore.ValidationIterationScores) []byte {
	per := shape[0] * shape[1] * shape[2]
	kind, entrySize := valRecordScores, 8+8*per
	if anySuperseded(entries) {
		kind, entrySize = valRecordMarkedScores, entrySize+1
	}
	b := make([]byte, valScoresHeader, valScoresHeader+len(entries)*entrySize)
	b[0] = kind
	binary.LittleEndian.PutUint32(b[1:], uint32(len(entries)))
	binary.LittleEndian.PutUint32(b[5:], uint32(per))
	for _, e := range entries {
		b = binary.LittleEndian.AppendUint64(b, uint64(e.Iteration))
		if kind == valRecordMarkedScores {
			mark := byte(0)
			if e.Superseded {
				mark = 1
			}
			b = append(b, mark)
		}
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

// anySuperseded reports whether an entry is marked superseded.
func anySuperseded(entries []statstore.ValidationIterationScores) bool {
	for _, e := range entries {
		if e.Superseded {
			return true
		}
	}
	return false
}

// decodeScores decodes the payload of a scores or marked scores record for
// metadata of the given shape.
func decodeScores(p []byte, shape [3]int) ([]statstore.ValidationIterationScores, error) {
	if len(p) < valScoresHeader || (p[0] != valRecordScores && p[0] != valRecordMarkedScores) {
		return nil, fmt.Errorf("not a scores record")
	}
	marked := p[0] == valRecordMarkedScores
	n := int(binary.LittleEndian.Uint32(p[1:]))
	per := int(binary.LittleEndian.Uint32(p[5:]))
	if want := shape[0] * shape[1] * shape[2]; per != want {
		return nil, fmt.Errorf("%s record holds %d values per entry, the metadata's shape %d×%d×%d wants %d", valRecordName(p[0]), per, shape[0], shape[1], shape[2], want)
	}
	entrySize := uint64(8 + 8*per)
	if marked {
		entrySize++
	}
	body := p[valScoresHeader:]
	if uint64(len(body)) != uint64(n)*entrySize {
		return nil, fmt.Errorf("%s record of %d entries of %d values has %d bytes, want %d", valRecordName(p[0]), n, per, len(body), uint64(n)*entrySize)
	}
	out := make([]statstore.ValidationIterationScores, n)
	for i := range out {
		it := int64(binary.LittleEndian.Uint64(body))
		if it < 0 {
			return nil, fmt.Errorf("negative validation iteration %d", it)
		}
		body = body[8:]
		superseded := false
		if marked {
			if body[0] > 1 {
				return nil, fmt.Errorf("entry %d (iteration %d) has mark %d, want 0 (current) or 1 (superseded)", i, it, body[0])
			}
			superseded, body = body[0] == 1, body[1:]
		}
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
		out[i] = statstore.ValidationIterationScores{Iteration: int(it), Scores: scores, Superseded: superseded}
	}
	return out, nil
}
