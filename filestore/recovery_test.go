package filestore

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/record"
)

// TestTornTail cuts or extends the training file after an append, as a
// killed writer can leave it, and checks that readers see the store as it
// was before the append and that the next writer truncates with a warning.
func TestTornTail(t *testing.T) {
	entries := history(0, 1, 3000)
	tests := []struct {
		name   string
		damage func(f []byte, before int64) []byte
	}{
		{"cut inside the last record's first chunk", func(f []byte, before int64) []byte { return f[:before+20] }},
		{"cut inside the chunk header", func(f []byte, before int64) []byte { return f[:before+3] }},
		{"cut one byte short", func(f []byte, before int64) []byte { return f[:len(f)-1] }},
		{"cut at a block boundary", func(f []byte, before int64) []byte {
			return f[:headerSize+((before-headerSize)/record.BlockSize+1)*record.BlockSize]
		}},
		{"cut inside the padding before a block", func(f []byte, before int64) []byte {
			// The first chunk ends where the writer padded the block.
			for off := before; off < int64(len(f)); {
				n := int64(f[off+4]) | int64(f[off+5])<<8
				next := off + record.HeaderSize + n
				blockEnd := headerSize + ((off-headerSize)/record.BlockSize+1)*record.BlockSize
				if next < blockEnd && blockEnd-next < record.HeaderSize+trainingEntrySize {
					return f[:next+1]
				}
				off = next
				if next == blockEnd || blockEnd-next < record.HeaderSize+trainingEntrySize {
					off = blockEnd
				}
			}
			t.Fatal("setup: the record has no padding")
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := mustOpenDir(t, dir, Options{NoSync: true})
			storeHistory(t, s, "r", entries[:1000], 1000)
			path := trainingFile(dir, "r")
			before := fileSize(t, path)
			storeHistory(t, s, "r", entries[:3000], 3000) // one record spanning blocks
			f, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, tt.damage(f, before), 0o644); err != nil {
				t.Fatal(err)
			}
			log, buf := logBuffer()
			r := mustOpenDir(t, dir, Options{Logger: log})
			got, err := r.RetrieveTrainingStats(t.Context(), "r")
			if err != nil {
				t.Fatalf("RetrieveTrainingStats: %v", err)
			}
			if !sameHistory(got.IterationStats, entries[:1000]) {
				t.Fatalf("read %d entries, want the 1000 before the torn append", got.Len())
			}
			sub, err := r.SubsampleTraining(t.Context(), "r", statstore.SubsampleOptions{MaxPoints: 10})
			if err != nil || sub[len(sub)-1].Iteration != 999 {
				t.Fatalf("subsample ends at %v (%v), want iteration 999", sub, err)
			}
			rep, err := Verify(t.Context(), dir)
			if err != nil || !rep.OK() || !rep.Files[0].TornTail {
				t.Fatalf("Verify = %+v, %v; want OK with a torn tail", rep, err)
			}
			if !strings.Contains(buf.String(), "level=WARN") || !strings.Contains(buf.String(), "ignoring a torn tail") {
				t.Fatalf("log %q, want the reader's warning about the torn tail", buf.String())
			}
			damaged := tt.damage(f, before)
			storeHistory(t, r, "r", entries[:2000], 2000)
			if !strings.Contains(buf.String(), "truncating the torn tail") {
				t.Fatalf("log %q, want a warning about truncating the torn tail", buf.String())
			}
			backups, _ := filepath.Glob(filepath.Join(dir, ".backup", kindTraining.dirName(), "r.*.torn"))
			if len(backups) != 1 {
				t.Fatalf("backups of the torn tail: %v, want one", backups)
			}
			if b, _ := os.ReadFile(backups[0]); !bytes.Equal(b, damaged[before:]) {
				t.Fatalf("the backup holds %d bytes, want the %d torn ones", len(b), len(damaged)-int(before))
			}
			got, err = r.RetrieveTrainingStats(t.Context(), "r")
			if err != nil || !sameHistory(got.IterationStats, entries[:2000]) {
				t.Fatalf("after the next append: %d entries (%v), want 2000", got.Len(), err)
			}
		})
	}
}

// TestUnwrittenTailIsDamage: bytes after the last committed record that
// are not a prefix of one record (a zeroed or garbled last record, zeros or
// garbage after it) cannot be told from damage to committed data, so every
// reader reports them with the file and offset, the writer refuses to
// append, fsck fails, and only Repair (after a backup) removes them.
func TestUnwrittenTailIsDamage(t *testing.T) {
	entries := history(0, 1, 3001)
	tests := []struct {
		name   string
		damage func(f []byte, before int64) []byte
		// wantAt is the offset the error must name.
		wantAt func(f []byte, before int64) int64
		// from is where the damage starts; counted: the report can
		// count the entries lost.
		from    func(f []byte, before int64) int64
		counted bool
	}{
		{"last chunk zeroed", func(f []byte, before int64) []byte {
			clear(f[len(f)-50:])
			return f
		}, nil, func(f []byte, _ int64) int64 { return int64(len(f) - 50) }, true},
		{"last byte flipped", func(f []byte, before int64) []byte {
			f[len(f)-1] ^= 0xff
			return f
		}, nil, func(f []byte, _ int64) int64 { return int64(len(f) - 1) }, true},
		{"whole last record zeroed", func(f []byte, before int64) []byte {
			clear(f[before:])
			return f
		}, func(f []byte, before int64) int64 { return before }, func(_ []byte, before int64) int64 { return before }, false},
		{"garbage after the last record", func(f []byte, before int64) []byte {
			return append(f[:before], bytes.Repeat([]byte{0xa5}, 100)...)
		}, func(f []byte, before int64) int64 { return before }, func(_ []byte, before int64) int64 { return before }, false},
		{"zeros after the last record", func(f []byte, before int64) []byte {
			return append(f[:before], make([]byte, 100)...)
		}, func(f []byte, before int64) int64 { return before }, func(_ []byte, before int64) int64 { return before }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(dir, Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			storeHistory(t, s, "r", entries[:1000], 1000)
			path := trainingFile(dir, "r")
			before := fileSize(t, path)
			storeHistory(t, s, "r", entries[:3000], 3000)
			f, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f0 := slices.Clone(f)
			damaged := tt.damage(f, before)
			if err := os.WriteFile(path, damaged, 0o644); err != nil {
				t.Fatal(err)
			}
			isCorrupt := func(what string, err error) {
				t.Helper()
				var ce *statstore.CorruptError
				if !errors.As(err, &ce) || ce.Path != path || ce.Offset < before {
					t.Fatalf("%s: error %v, want a CorruptError naming %s at an offset from %d on", what, err, path, before)
				}
				if tt.wantAt != nil && ce.Offset != tt.wantAt(damaged, before) {
					t.Fatalf("%s: offset %d, want %d", what, ce.Offset, tt.wantAt(damaged, before))
				}
			}
			r := mustOpenDir(t, dir, Options{ReadOnly: true})
			_, err = r.RetrieveTrainingStats(t.Context(), "r")
			isCorrupt("RetrieveTrainingStats", err)
			_, err = r.SubsampleTraining(t.Context(), "r", statstore.SubsampleOptions{MaxPoints: 10})
			isCorrupt("SubsampleTraining", err)
			_, err = r.RetrieveTrainingRange(t.Context(), "r", statstore.IterationRange{From: 0, To: 10})
			isCorrupt("RetrieveTrainingRange", err)
			_, err = r.ListRuns(t.Context())
			isCorrupt("ListRuns", err)
			rep, err := Verify(t.Context(), dir)
			if err != nil || rep.OK() || rep.Files[0].TornTail {
				t.Fatalf("Verify = %+v, %v; want corruption, no torn tail", rep, err)
			}
			isCorrupt("Verify", rep.Files[0].Err)
			w := mustOpenDir(t, dir, Options{NoSync: true})
			err = w.StoreTrainingStats(t.Context(), "r", &statstore.TrainingStats{IterationStats: entries[:3001]})
			isCorrupt("StoreTrainingStats", err)
			if got, _ := os.ReadFile(path); !bytes.Equal(got, damaged) {
				t.Fatal("the refused append changed the file")
			}
			// Repair keeps every chunk the damage missed.
			checkRepaired(t, dir, f0, damaged, []span{{tt.from(f0, before), int64(len(f0))}}, tt.counted)
		})
	}
}

// TestCorruption damages a committed part of a file and checks that reads
// fail with a CorruptError naming the file and the offset, that writers
// refuse to append after damage, and that Repair keeps every chunk the
// damage missed, after a backup.
func TestCorruption(t *testing.T) {
	entries := history(0, 2, 6000)
	tests := []struct {
		name string
		// damage changes the file and returns the damaged bytes; ends[k]
		// is the end of the first k records.
		damage func(f []byte, ends []int64) []span
		// counted: the report can count the entries lost.
		counted bool
	}{
		{"bit flip in the first record", func(f []byte, ends []int64) []span {
			f[headerSize+100] ^= 0x10
			return []span{{headerSize + 100, headerSize + 101}}
		}, true},
		{"bit flip in a middle record", func(f []byte, ends []int64) []span {
			f[ends[2]+40] ^= 1
			return []span{{ends[2] + 40, ends[2] + 41}}
		}, true},
		{"zeroed block in the middle", func(f []byte, ends []int64) []span {
			off := int64(headerSize + 2*record.BlockSize)
			copy(f[off:off+record.BlockSize], make([]byte, record.BlockSize))
			return []span{{off, off + record.BlockSize}}
		}, false},
		{"record count rewritten", func(f []byte, ends []int64) []span {
			// A record whose checksum is valid but whose head lies.
			p := f[ends[3]+record.HeaderSize : ends[3]+record.HeaderSize+8]
			p[0] ^= 1
			fixChecksum(f, ends[3])
			return []span{{ends[3], ends[3] + record.HeaderSize + 8}}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(dir, Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			var ends []int64
			for i := 1000; i <= len(entries); i += 1000 {
				storeHistory(t, s, "r", entries[:i], i)
				ends = append(ends, fileSize(t, trainingFile(dir, "r")))
			}
			ends = append([]int64{headerSize}, ends...)
			path := trainingFile(dir, "r")
			f, _ := os.ReadFile(path)
			undamaged := slices.Clone(f)
			spans := tt.damage(f, ends)
			if err := os.WriteFile(path, f, 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.RetrieveTrainingStats(t.Context(), "r")
			var ce *statstore.CorruptError
			if !errors.As(err, &ce) || ce.Path != path || ce.Offset < headerSize || !errors.Is(err, statstore.ErrCorrupt) {
				t.Fatalf("RetrieveTrainingStats error %v, want a CorruptError naming %s and an offset", err, path)
			}
			rep, err := Verify(t.Context(), dir)
			if err != nil || rep.OK() || len(rep.Files) != 1 {
				t.Fatalf("Verify = %+v, %v; want one corrupt file", rep, err)
			}
			if !errors.As(rep.Files[0].Err, &ce) || ce.Offset < headerSize {
				t.Fatalf("Verify error %v, want a CorruptError with an offset", rep.Files[0].Err)
			}
			checkRepaired(t, dir, undamaged, f, spans, tt.counted)
			backups, _ := filepath.Glob(filepath.Join(dir, ".backup", kindTraining.dirName(), "r.*"))
			if len(backups) != 1 {
				t.Fatalf("found backups %v, want one", backups)
			}
		})
	}
}

// fixChecksum recomputes the checksum of the chunk at off.
func fixChecksum(f []byte, off int64) {
	n := int(f[off+4]) | int(f[off+5])<<8
	sum := record.Checksum(f[off+4 : off+record.HeaderSize+int64(n)])
	f[off], f[off+1], f[off+2], f[off+3] = byte(sum), byte(sum>>8), byte(sum>>16), byte(sum>>24)
}

// TestAppendAfterDamageRefused checks that a writer does not append after
// invalid bytes that are followed by committed records: they are not a torn
// tail, and truncating them would lose committed calls.
func TestAppendAfterDamageRefused(t *testing.T) {
	dir := t.TempDir()
	s := mustOpenDir(t, dir, Options{NoSync: true})
	for _, n := range []int{10, 20, 30} {
		storeHistory(t, s, "r", history(0, 1, n), n)
	}
	path := trainingFile(dir, "r")
	f, _ := os.ReadFile(path)
	good := bytes.Clone(f)
	f[len(f)-260] ^= 0xff // inside the second of three records in one block
	if err := os.WriteFile(path, f, 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	err = w.StoreTrainingStats(t.Context(), "r", &statstore.TrainingStats{IterationStats: history(0, 1, 40)})
	var ce *statstore.CorruptError
	if !errors.As(err, &ce) || ce.Offset != int64(len(f))-2*(record.HeaderSize+trainingHeadSize+10*trainingEntrySize) {
		t.Fatalf("append error %v, want a CorruptError at the damaged record", err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, f) {
		t.Fatal("the refused append changed the file")
	}
	if err := os.WriteFile(path, good, 0o644); err != nil { // let the cleanup's Verify pass
		t.Fatal(err)
	}
}

// TestRepairTornValidation repairs a validation file with a torn tail.
func TestRepairTornValidation(t *testing.T) {
	dir := t.TempDir()
	s := mustOpenDir(t, dir, Options{NoSync: true})
	ctx := context.Background()
	if err := s.StoreValidationIterationScores(ctx, "r", scores(0, 10)); err != nil {
		t.Fatal(err)
	}
	path := validationFile(dir, "r")
	f, _ := os.ReadFile(path)
	if err := os.WriteFile(path, append(f, 2, 0, 0, 9, 9), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := Repair(ctx, dir, nil)
	if err != nil || !rep.OK() || !rep.Files[0].TornTail || rep.Files[0].ValidBytes != int64(len(f)) {
		t.Fatalf("Repair = %+v, %v; want a torn tail after %d valid bytes", rep, err, len(f))
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, f) {
		t.Fatalf("repaired file has %d bytes, want the %d valid ones", len(got), len(f))
	}
}
