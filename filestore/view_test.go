package filestore

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/fsutil"
)

// spanFile records the reads made through it.
type spanFile struct {
	fsutil.File
	reads   int
	readEnd int64 // the furthest byte any read asked for, exclusive
}

func (f *spanFile) ReadAt(p []byte, off int64) (int, error) {
	f.reads++
	f.readEnd = max(f.readEnd, off+int64(len(p)))
	return f.File.ReadAt(p, off)
}

// viewFile writes size random bytes to a new file and opens it.
func viewFile(t *testing.T, rng *rand.Rand, size int) ([]byte, *spanFile) {
	t.Helper()
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := fsutil.OS{}.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return data, &spanFile{File: f}
}

// TestReadAheadWindows checks the read-ahead of a readView: every call of
// at returns the file's bytes; the bytes one slot holds stay unchanged
// while the other slot reads (also when that read needs a new window);
// nothing past the committed end is read; a forward walk block by block
// reads once per window.
func TestReadAheadWindows(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	const size, end, ahead = 300_000, 290_000, 16 << 10
	data, f := viewFile(t, rng, size)
	v := &readView{f: f}
	v.readAhead(ahead, end)
	var held [2][]byte // what each slot returned last
	var want [2][]byte // a copy of it
	for step := range 5000 {
		slot := rng.IntN(2)
		n := int64(1 + rng.IntN(5000))
		off := rng.Int64N(end - n + 1)
		if rng.IntN(10) == 0 {
			off = int64(rng.IntN(size)) // sometimes past the committed end
			n = min(n, int64(size)-off)
		}
		got, err := v.at(off, n, slot)
		if err != nil {
			t.Fatalf("step %d: at(%d, %d, %d): %v", step, off, n, slot, err)
		}
		if !bytes.Equal(got, data[off:off+n]) {
			t.Fatalf("step %d: at(%d, %d, %d) returned other bytes than the file's", step, off, n, slot)
		}
		held[slot], want[slot] = got, bytes.Clone(got)
		if o := 1 - slot; held[o] != nil && !bytes.Equal(held[o], want[o]) {
			t.Fatalf("step %d: reading %d bytes at %d into slot %d changed the bytes slot %d holds", step, n, off, slot, o)
		}
		if off+n <= end && f.readEnd > end {
			t.Fatalf("step %d: a read reached byte %d, past the committed end %d", step, f.readEnd, end)
		}
		f.readEnd = 0
	}

	f.reads = 0
	v.readAhead(ahead, end)
	for off := int64(0); off+4096 <= end; off += 4096 {
		if _, err := v.at(off, 4096, int(off/4096)%2); err != nil {
			t.Fatal(err)
		}
	}
	if want := (end + ahead - 1) / ahead; f.reads > want {
		t.Fatalf("a forward walk over %d bytes made %d reads, want at most %d (one per %d-byte window)", end, f.reads, want, ahead)
	}
}

// TestReadAheadTruncated checks that a file cut below the committed end a
// reader saw is corruption under read-ahead too, named by file and offset.
func TestReadAheadTruncated(t *testing.T) {
	_, f := viewFile(t, rand.New(rand.NewPCG(1, 2)), 100_000)
	v := &readView{f: f}
	v.readAhead(64<<10, 200_000) // the reader saw 200,000 committed bytes
	_, err := v.at(90_000, 4096, 0)
	var ce *statstore.CorruptError
	if !errors.As(err, &ce) || ce.Offset != 100_000 || ce.Path != f.Name() {
		t.Fatalf("at past a truncation: got %v, want a CorruptError at offset 100000 of %s", err, f.Name())
	}
}

// TestAppendTrainingStatsOnDamage checks that AppendTrainingStats of a
// damaged history fails with a CorruptError and returns the caller's
// slice as it was, its entries untouched.
func TestAppendTrainingStatsOnDamage(t *testing.T) {
	dir := t.TempDir()
	open := func(opts Options) *Store { // not mustOpenDir: its Verify would fail on the damage
		t.Helper()
		s, err := Open(dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	storeHistory(t, open(Options{NoSync: true}), "r", history(0, 1, 5000), 1000)
	flipByte(t, trainingFile(dir, "r"), fileSize(t, trainingFile(dir, "r"))/2)
	mine := make([]statstore.TrainingIterationStats, 1, 10_000)
	mine[0] = statstore.TrainingIterationStats{Iteration: -1, Loss: 3, Time: 4}
	for _, s := range []*Store{open(Options{ReadOnly: true}), open(Options{ReadOnly: true, fs: &countingFS{}})} {
		got, err := s.AppendTrainingStats(t.Context(), "r", mine)
		if !errors.Is(err, statstore.ErrCorrupt) {
			t.Fatalf("AppendTrainingStats of a damaged file: %v, want a CorruptError", err)
		}
		if len(got) != 1 || got[0] != mine[0] || &got[0] != &mine[0] {
			t.Fatalf("AppendTrainingStats failed and returned %d entries %v, want the caller's slice as it was", len(got), got[:min(len(got), 3)])
		}
	}
}
