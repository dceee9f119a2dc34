package filestore

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/storetest"
)

func TestRunMetaConformance(t *testing.T) {
	storetest.RunMeta(t, func(t *testing.T) statstore.StatsStore {
		dir := t.TempDir()
		t.Cleanup(func() { checkTrash(t, dir) })
		return mustOpenDir(t, dir, Options{})
	})
}

// TestRunMetaFile: the file's bytes are the documented layout, and a
// payload written by hand in that layout reads back.
func TestRunMetaFile(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := mustOpenDir(t, dir, Options{})
	if err := s.SetRunConfig(ctx, "run", json.RawMessage(`{"b": 1, "a": "x"}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRunTags(ctx, "run", map[string]string{"k": "v"}, nil); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, metaDir, "run"))
	if err != nil {
		t.Fatal(err)
	}
	payload := `{"config":{"a":"x","b":1},"tags":{"k":"v"}}`
	want := append([]byte("STATMETA\x01\x00\x00\x00"), binary.LittleEndian.AppendUint32(nil, uint32(len(payload)))...)
	want = binary.LittleEndian.AppendUint32(want, 0x0) // checksum, compared apart
	want = append(want, payload...)
	if !bytes.Equal(data[:16], want[:16]) || string(data[20:]) != payload {
		t.Fatalf("metadata file:\ngot  %q\nwant %q (checksum apart)", data, want)
	}
	if len(data) != len(want) {
		t.Fatalf("metadata file of %d bytes, want %d", len(data), len(want))
	}
}

// TestRunMetaCorrupt: each kind of damage to a metadata file is a
// *statstore.CorruptError naming the file and the offset of the damaged
// field, for reads and for writes (which change nothing); Verify reports
// it and Repair, after a backup, removes the file.
func TestRunMetaCorrupt(t *testing.T) {
	cases := []struct {
		name   string
		damage func([]byte) []byte
		offset int64
	}{
		{"Magic", func(b []byte) []byte { b[2] ^= 1; return b }, 0},
		{"Short", func(b []byte) []byte { return b[:10] }, 0},
		{"Empty", func(b []byte) []byte { return nil }, 0},
		{"Version", func(b []byte) []byte { b[8] = 9; return b }, 8},
		{"Length", func(b []byte) []byte { b[12]++; return b }, 12},
		{"Truncated", func(b []byte) []byte { return b[:len(b)-1] }, 12},
		{"Appended", func(b []byte) []byte { return append(b, 0) }, 12},
		{"PayloadBit", func(b []byte) []byte { b[len(b)-3] ^= 0x10; return b }, metaHeaderSize},
		{"Checksum", func(b []byte) []byte { b[17] ^= 0x80; return b }, metaHeaderSize},
		{"InvalidTag", func(b []byte) []byte {
			return rebuildMeta(`{"tags":{"a b":"v"}}`)
		}, metaHeaderSize},
		{"NotAnObject", func(b []byte) []byte { return rebuildMeta(`{"config":[1]}`) }, metaHeaderSize},
		{"UnknownField", func(b []byte) []byte { return rebuildMeta(`{"configs":{}}`) }, metaHeaderSize},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			dir := t.TempDir()
			s, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.SetRunTags(ctx, "run", map[string]string{"k": "v"}, nil); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, metaDir, "run")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			damaged := tc.damage(data)
			if err := os.WriteFile(path, damaged, 0o644); err != nil {
				t.Fatal(err)
			}
			wantCorrupt := func(what string, err error) {
				t.Helper()
				var ce *statstore.CorruptError
				if !errors.As(err, &ce) || ce.Path != path || ce.Offset != tc.offset {
					t.Fatalf("%s: got %v, want a *CorruptError at %s offset %d", what, err, path, tc.offset)
				}
			}
			_, err = s.RetrieveRunMeta(ctx, "run")
			wantCorrupt("RetrieveRunMeta", err)
			wantCorrupt("SetRunTags", s.SetRunTags(ctx, "run", map[string]string{"x": "y"}, nil))
			wantCorrupt("SetRunConfig", s.SetRunConfig(ctx, "run", json.RawMessage(`{}`)))
			if now, _ := os.ReadFile(path); !bytes.Equal(now, damaged) {
				t.Fatal("a refused write changed the damaged file")
			}
			rep, err := Verify(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() || len(rep.Files) != 1 || rep.Files[0].Path != path {
				t.Fatalf("Verify: got %+v, want one damaged file %s", rep.Files, path)
			}
			rep, err = Repair(ctx, dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			fr := rep.Files[0]
			if !fr.Removed || fr.Backup == "" {
				t.Fatalf("Repair: got %+v, want the file removed after a backup", fr)
			}
			if b, err := os.ReadFile(fr.Backup); err != nil || !bytes.Equal(b, damaged) {
				t.Fatalf("Repair's backup %s: %v, holds %q, want %q", fr.Backup, err, b, damaged)
			}
			if m, err := s.RetrieveRunMeta(ctx, "run"); err != nil || !m.IsZero() {
				t.Fatalf("RetrieveRunMeta after Repair: got %+v, %v, want zero", m, err)
			}
			if rep, err := Verify(ctx, dir); err != nil || !rep.OK() {
				t.Fatalf("Verify after Repair: %+v, %v", rep, err)
			}
		})
	}
}

// rebuildMeta returns a metadata file with payload and a valid checksum.
func rebuildMeta(payload string) []byte {
	var m statstore.RunMeta
	b, _ := encodeRunMeta(m)
	b = b[:metaHeaderSize]
	binary.LittleEndian.PutUint32(b[12:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(b[16:], crc32c([]byte(payload)))
	return append(b, payload...)
}

// TestRunMetaInterruptedTrash: a trash move cut after the metadata file
// was moved is finished by the next writer, which brings the metadata
// back with the run.
func TestRunMetaInterruptedTrash(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := mustOpenDir(t, dir, Options{})
	if err := s.StoreTrainingStats(ctx, "run", storetest.Training(0, 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRunTags(ctx, "run", map[string]string{"k": "v"}, nil); err != nil {
		t.Fatal(err)
	}
	moving := filepath.Join(dir, trashDir, movingDir, "run")
	if err := os.MkdirAll(moving, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, metaDir, "run"), filepath.Join(moving, metaDir)); err != nil {
		t.Fatal(err)
	}
	if m, err := s.RetrieveRunMeta(ctx, "run"); err != nil || !m.IsZero() {
		t.Fatalf("RetrieveRunMeta mid-move: got %+v, %v, want the live part only (none)", m, err)
	}
	if err := s.SetRunTags(ctx, "run", map[string]string{"x": "y"}, nil); err != nil {
		t.Fatal(err)
	}
	m, err := s.RetrieveRunMeta(ctx, "run")
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Tags; len(got) != 2 || got["k"] != "v" || got["x"] != "y" {
		t.Fatalf("tags after the move was finished: got %v, want k=v and x=y", got)
	}
}

// TestRunMetaOldStore: a store made before run metadata (no run_meta
// directory) lists and reads as before, read-only too.
func TestRunMetaOldStore(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := mustOpenDir(t, dir, Options{})
	if err := s.StoreTrainingStats(ctx, "run", storetest.Training(0)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, metaDir)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("run_meta made before any metadata was set: %v", err)
	}
	ro := mustOpenDir(t, dir, Options{ReadOnly: true})
	if m, err := ro.RetrieveRunMeta(ctx, "run"); err != nil || !m.IsZero() {
		t.Fatalf("RetrieveRunMeta: %+v, %v", m, err)
	}
	err := ro.SetRunTags(ctx, "run", map[string]string{"k": "v"}, nil)
	if !errors.Is(err, statstore.ErrReadOnly) {
		t.Fatalf("SetRunTags on a read-only store: got %v, want ErrReadOnly", err)
	}
	if runs, err := ro.ListRuns(ctx); err != nil || len(runs) != 1 {
		t.Fatalf("ListRuns: %v, %v", runs, err)
	}
}

// FuzzDecodeRunMeta: no input panics the metadata decoder, and what it
// accepts is valid metadata that encodes back to the same bytes.
func FuzzDecodeRunMeta(f *testing.F) {
	good, _ := encodeRunMeta(statstore.RunMeta{Config: json.RawMessage(`{"a":[1,{"b":null}]}`), Tags: map[string]string{"k": "v", "ü": "x y"}})
	f.Add(good)
	f.Add(rebuildMeta(`{}`))
	f.Add([]byte("STATMETA"))
	f.Add([]byte(strings.Repeat("\x00", 24)))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeRunMeta("f", data)
		if err != nil {
			var ce *statstore.CorruptError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *CorruptError", err)
			}
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("decoded invalid metadata: %v", err)
		}
		if m.Config != nil {
			if _, err := statstore.CompactRunConfig(m.Config); err != nil {
				t.Fatal(err)
			}
		}
	})
}
