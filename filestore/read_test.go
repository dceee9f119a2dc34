package filestore

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/fsutil"
	"github.com/statstore/statstore/internal/record"
)

// TestFormatV1 checks that files of format version 1 (32 KiB blocks,
// chunks filling them) still read, seek and verify, and that appends to
// them keep their version and layout.
func TestFormatV1(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []struct{ seed, path string }{
		{"training-v1.seed", trainingFile(dir, "r")},
		{"validation-v1.seed", validationFile(dir, "r")},
	} {
		b, err := os.ReadFile(filepath.Join("testdata", f.seed))
		if err != nil {
			t.Fatal(err)
		}
		if v := binary.LittleEndian.Uint16(b[8:]); v != formatV1 {
			t.Fatalf("%s is format version %d, want %d", f.seed, v, formatV1)
		}
		if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f.path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The seeds hold what TestSeedFiles stores.
	ref := mustOpen(t, Options{NoSync: true})
	storeHistory(t, ref, "r", history(0, 3, 1400), 700)
	for _, sc := range []*statstore.ValidationScores{scores(0, 10), scores(0, 5, 10, 20)} {
		if err := ref.StoreValidationIterationScores(t.Context(), "r", sc); err != nil {
			t.Fatal(err)
		}
	}
	want, err := ref.RetrieveValidationIterationScores(t.Context(), "r")
	if err != nil {
		t.Fatal(err)
	}
	s := mustOpenDir(t, dir, Options{NoSync: true})
	for round := range 3 { // pread, then memory map
		got, err := s.RetrieveTrainingStats(t.Context(), "r")
		if err != nil || !sameHistory(got.IterationStats, history(0, 3, 1400)) {
			t.Fatalf("round %d: %d entries (%v), want history(0, 3, 1400)", round, got.Len(), err)
		}
		opts := statstore.SubsampleOptions{MaxPoints: 100}
		pts, err := s.SubsampleTraining(t.Context(), "r", opts)
		wantPts, _ := statstore.Subsample(history(0, 3, 1400), opts)
		if err != nil || !sameHistory(pts, wantPts) {
			t.Fatalf("round %d: subsample %d points (%v), want %d", round, len(pts), err, len(wantPts))
		}
		val, err := s.RetrieveValidationIterationScores(t.Context(), "r")
		if err != nil || !slices.EqualFunc(val, want, statstore.ValidationIterationScores.Equal) {
			t.Fatalf("round %d: %d validation entries (%v), want %d equal to a version 2 store's", round, len(val), err, len(want))
		}
	}
	storeHistory(t, s, "r", history(0, 3, 3000), 3000)
	if err := s.StoreValidationIterationScores(t.Context(), "r", scores(0, 5, 10, 20, 30)); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{trainingFile(dir, "r"), validationFile(dir, "r")} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if v := binary.LittleEndian.Uint16(b[8:]); v != formatV1 {
			t.Fatalf("after appends %s is format version %d, want %d", path, v, formatV1)
		}
	}
	got, err := mustOpenDir(t, dir, Options{ReadOnly: true}).RetrieveTrainingStats(t.Context(), "r")
	if err != nil || !sameHistory(got.IterationStats, history(0, 3, 3000)) {
		t.Fatalf("after an append: %d entries (%v), want history(0, 3, 3000)", got.Len(), err)
	}
}

// TestSeekVerifiesChunks checks what a seek verifies: the chunks it takes
// entries from. A damaged chunk fails every read that takes an entry from
// it, with the file and the chunk's offset, and no other seek.
func TestSeekVerifiesChunks(t *testing.T) {
	dir := t.TempDir()
	w, err := Open(dir, Options{NoSync: true}) // not mustOpen: the file will not verify
	if err != nil {
		t.Fatal(err)
	}
	storeHistory(t, w, "r", history(0, 1, 20_000), 1000)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := trainingFile(dir, "r")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Damage the loss of iteration 10,000 (the iterations are unique 8-byte
	// values, so the search finds the entry).
	var key [8]byte
	binary.LittleEndian.PutUint64(key[:], 10_000)
	at := -1
	for i := headerSize; i+8 <= len(b); i++ {
		if string(b[i:i+8]) == string(key[:]) {
			at = i
			break
		}
	}
	if at < 0 {
		t.Fatal("iteration 10000 not found in the file")
	}
	b[at+8] ^= 0x40
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		read    func(s *Store) error
		corrupt bool
	}{
		{"range over it", func(s *Store) error {
			_, err := s.RetrieveTrainingRange(t.Context(), "r", statstore.IterationRange{From: 9_990, To: 10_010})
			return err
		}, true},
		{"subsample through it", func(s *Store) error {
			_, err := s.SubsampleTraining(t.Context(), "r", statstore.SubsampleOptions{MaxPoints: 20_000})
			return err
		}, true},
		{"whole history", func(s *Store) error {
			_, err := s.RetrieveTrainingStats(t.Context(), "r")
			return err
		}, true},
		{"range elsewhere", func(s *Store) error {
			_, err := s.RetrieveTrainingRange(t.Context(), "r", statstore.IterationRange{From: 100, To: 200})
			return err
		}, false},
		{"subsample of other points", func(s *Store) error {
			_, err := s.SubsampleTraining(t.Context(), "r", statstore.SubsampleOptions{MaxPoints: 3})
			return err
		}, false},
	}
	for _, tt := range tests {
		for _, rd := range []struct {
			name string
			opts Options
		}{{"mapped", Options{ReadOnly: true}}, {"unmapped", Options{ReadOnly: true, fs: &countingFS{}}}} {
			t.Run(rd.name+"/"+tt.name, func(t *testing.T) {
				s, err := Open(dir, rd.opts)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				for range 2 { // a first read (pread) and a second (mapped when it can be)
					err := tt.read(s)
					var ce *statstore.CorruptError
					switch {
					case !tt.corrupt && err != nil:
						t.Fatalf("read: %v, want no error", err)
					case tt.corrupt && !errors.As(err, &ce):
						t.Fatalf("read: %v, want a CorruptError", err)
					case tt.corrupt && (ce.Path != path || ce.Offset > int64(at) || int64(at)-ce.Offset > record.BlockSize):
						t.Fatalf("CorruptError at %s:%d, want %s at the chunk holding offset %d", ce.Path, ce.Offset, path, at)
					}
				}
			})
		}
	}
}

// TestCatchFault checks that a memory fault reading a map of a file that
// shrank becomes a CorruptError instead of killing the process.
func TestCatchFault(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, make([]byte, 3*4096), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := fsutil.OS{}.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := fsutil.Map(f, 3*4096)
	if errors.Is(err, fsutil.ErrNoMap) {
		t.Skip("no memory maps on this platform")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := os.Truncate(path, 100); err != nil {
		t.Fatal(err)
	}
	read := func() (sum int, err error) {
		defer catchFault(path, &err)()
		for _, c := range m.Bytes() {
			sum += int(c)
		}
		return sum, nil
	}
	_, err = read()
	var ce *statstore.CorruptError
	if !errors.As(err, &ce) || !errors.Is(err, errFault) || ce.Path != path {
		t.Fatalf("read past the end of a shrunk file: %v, want a CorruptError for %s caused by a memory fault", err, path)
	}
}
