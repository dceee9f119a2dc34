package filestore

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/record"
	"github.com/statstore/statstore/storetest"
)

func TestHeader(t *testing.T) {
	good := header{kind: kindTraining, version: kindTraining.version(), id: 0x0123456789abcdef}.encode()
	withVersion := func(v uint16) func([]byte) []byte {
		return func(b []byte) []byte {
			binary.LittleEndian.PutUint16(b[8:], v)
			binary.LittleEndian.PutUint32(b[28:], record.Checksum(b[:28]))
			return b
		}
	}
	validation := func(v uint16) func([]byte) []byte {
		return func(b []byte) []byte {
			b[10] = byte(kindValidation)
			return withVersion(v)(b)
		}
	}
	tests := []struct {
		name    string
		damage  func([]byte) []byte
		kind    fileKind
		wantErr string
	}{
		{"valid", func(b []byte) []byte { return b }, kindTraining, ""},
		{"short", func(b []byte) []byte { return b[:20] }, kindTraining, "shorter than"},
		{"foreign file", func(b []byte) []byte { copy(b, "PK\x03\x04zip!"); return b }, kindTraining, "not a statstore file"},
		{"flipped bit", func(b []byte) []byte { b[17] ^= 1; return b }, kindTraining, "checksum"},
		{"wrong kind", func(b []byte) []byte { return b }, kindValidation, "file kind"},
		{"future version", withVersion(newestVersion + 1), kindTraining, fmt.Sprintf("format version %d", newestVersion+1)},
		// Versions 3 and 4 exist for validation files only: training
		// files have not changed since version 2.
		{"training file of version 3", withVersion(formatV3), kindTraining, "reads training files of versions 1 to 2"},
		{"training file of version 4", withVersion(formatV4), kindTraining, "reads training files of versions 1 to 2"},
		{"validation file of version 4", validation(formatV4), kindValidation, ""},
		{"validation file of version 3", validation(formatV3), kindValidation, ""},
		{"validation file of version 2", validation(formatV2), kindValidation, ""},
		{"future validation version", validation(formatV4 + 1), kindValidation, fmt.Sprintf("format version %d", formatV4+1)},
		{"version 1 with the current block size", func(b []byte) []byte {
			binary.LittleEndian.PutUint16(b[8:], formatV1)
			binary.LittleEndian.PutUint32(b[28:], record.Checksum(b[:28]))
			return b
		}, kindTraining, "block size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := decodeHeader(tt.damage(bytes.Clone(good)), tt.kind)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("decodeHeader: %v, want no error", err)
			case tt.wantErr == "" && h.id != 0x0123456789abcdef:
				t.Fatalf("id %x, want 0123456789abcdef", h.id)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("decodeHeader error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestTrainingCodec(t *testing.T) {
	entries := []statstore.TrainingIterationStats{
		{Iteration: 0, Loss: math.NaN(), Time: math.Inf(-1)},
		{Iteration: 7, Loss: math.Float64frombits(0x7ff8000000000bad), Time: math.Copysign(0, -1)},
		{Iteration: math.MaxInt64, Loss: math.SmallestNonzeroFloat64, Time: math.MaxFloat64},
	}
	p := encodeTraining(41, entries)
	if len(p) != trainingHeadSize+trainingEntrySize*len(entries) {
		t.Fatalf("payload of %d bytes, want %d", len(p), trainingHeadSize+trainingEntrySize*len(entries))
	}
	got, err := decodeTrainingRecord(p, 41, -1)
	if err != nil {
		t.Fatal(err)
	}
	if !sameHistory(got, entries) {
		t.Fatalf("decoded %v, want %v (bit-exact)", got, entries)
	}
	bad := []struct {
		name  string
		p     []byte
		count int
		prev  int
	}{
		{"wrong count before", p, 40, -1},
		{"not after the previous iteration", p, 41, 0},
		{"cut entry", p[:len(p)-1], 41, -1},
		{"head only", p[:trainingHeadSize], 41, -1},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := decodeTrainingRecord(tt.p, tt.count, tt.prev); err == nil {
				t.Fatal("decodeTrainingRecord accepted a bad record")
			}
		})
	}
}

func TestValidationCodec(t *testing.T) {
	meta := storetest.Metadata()
	in := storetest.Scores(meta, 0, 10, 20).Scores
	in[1].Scores[0][0][0] = math.NaN()
	p := encodeScores(meta.Shape(), in)
	got, err := decodeScores(p, meta.Shape())
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if !got[i].Equal(in[i]) {
			t.Fatalf("entry %d: got %v, want %v", i, got[i], in[i])
		}
	}
	mp, err := encodeMetadata(meta)
	if err != nil {
		t.Fatal(err)
	}
	m, err := decodeMetadata(mp)
	if err != nil || !m.Equal(meta) {
		t.Fatalf("metadata round trip: got %v (%v), want %v", m, err, meta)
	}
	sh := meta.Shape()
	bad := []struct {
		name  string
		p     []byte
		shape [3]int
	}{
		{"other shape", p, [3]int{sh[0], sh[1], sh[2] + 1}},
		{"cut", p[:len(p)-3], sh},
		{"metadata kind", mp, sh},
		{"empty", nil, sh},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := decodeScores(tt.p, tt.shape); err == nil {
				t.Fatal("decodeScores accepted a bad record")
			}
		})
	}
}

// TestChunksHoldWholeEntries checks the property seeking relies on: every
// block of a training file starts with a chunk whose entry bytes start with
// a whole entry, the one the reader finds first in the block.
func TestChunksHoldWholeEntries(t *testing.T) {
	dir := t.TempDir()
	s := mustOpenDir(t, dir, Options{NoSync: true})
	storeHistory(t, s, "r", history(0, 3, 20_000), 777)
	file, err := os.ReadFile(trainingFile(dir, "r"))
	if err != nil {
		t.Fatal(err)
	}
	tr, _, release, err := s.openTrainingForRead(t.Context(), "r")
	if err != nil {
		t.Fatal(err)
	}
	defer release(&err)
	if tr.nb < 10 {
		t.Fatalf("history spans %d blocks, want at least 10", tr.nb)
	}
	for b := range tr.nb {
		off := tr.l.BlockOff(b)
		typ := record.ChunkType(file[off+6])
		entry := off + record.HeaderSize
		if typ == record.Full || typ == record.First {
			entry += trainingHeadSize
		}
		raw := int(binary.LittleEndian.Uint64(file[entry:]))
		first, err := tr.first(b)
		if err != nil {
			t.Fatal(err)
		}
		if first != raw || raw%3 != 0 {
			t.Fatalf("block %d (%s chunk first) starts with iteration %d, the reader says %d", b, typ, raw, first)
		}
	}
}
