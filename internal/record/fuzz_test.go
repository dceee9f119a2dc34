package record

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode checks that Tail, Scan and Check never panic on arbitrary
// bytes and agree with one another: Check's valid prefix scans cleanly and
// Tail's end never lies beyond the file.
func FuzzDecode(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.bin"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(0))
	}
	small, _ := build(f, training, [][]byte{append(make([]byte, 8), entries(0, 3)...)})
	f.Add(small, uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, kind uint8) {
		l := training
		if kind%2 == 1 {
			l = Layout{Base: 32, Unit: 1}
		}
		r := memFile(data)
		size := int64(len(data))
		tail, err := l.Tail(r, size)
		if err != nil {
			t.Fatal(err)
		}
		if tail.End > max(size, l.Base) {
			t.Fatalf("tail end %d beyond size %d", tail.End, size)
		}
		res, err := l.Check(r, size, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.ValidEnd > max(size, l.Base) {
			t.Fatalf("valid end %d beyond size %d", res.ValidEnd, size)
		}
		n := 0
		if err := l.Scan(r, l.Base, res.ValidEnd, func(Record) error { n++; return nil }); err != nil {
			t.Fatalf("valid prefix does not scan: %v", err)
		}
		if n != res.Records {
			t.Fatalf("valid prefix holds %d records, Check counted %d", n, res.Records)
		}
		checkSalvage(t, l, data)
		// A reader may resume at any block start inside the valid prefix.
		for b := range l.NumBlocks(res.ValidEnd) {
			sc := l.NewResumeScanner(l.BlockOff(b), res.ValidEnd)
			if err := sc.Feed(data[l.BlockOff(b):res.ValidEnd], func(c Chunk) error {
				_, err := CheckChunk(data[c.Off:res.ValidEnd], c.Off)
				return err
			}); err != nil {
				t.Fatalf("resuming at block %d of the valid prefix: %v", b, err)
			}
		}
	})
}

// checkSalvage checks what Salvage hands out for data: chunks and damaged
// spans in file order, back to back or separated by padding only, inside
// the data region; every chunk verifies and no span crosses a block.
func checkSalvage(t *testing.T, l Layout, data []byte) {
	t.Helper()
	pos := l.Base
	gap := func(to int64) {
		if to < pos {
			t.Fatalf("salvage went back from %d to %d", pos, to)
		}
		if !allZero(data[pos:to]) {
			t.Fatalf("salvage skipped non-zero bytes %d to %d", pos, to)
		}
	}
	l.Salvage(data, func(c Chunk) {
		gap(c.Off)
		if _, err := CheckChunk(data[c.Off:min(int64(len(data)), l.blockStart(c.Off)+l.BlockLen())], c.Off); err != nil {
			t.Fatalf("salvaged chunk at %d: %v", c.Off, err)
		}
		pos = c.End()
	}, func(s Span) {
		gap(s.Off)
		if s.End <= s.Off || s.End > int64(len(data)) || l.BlockOf(s.Off) != l.BlockOf(s.End-1) {
			t.Fatalf("span %d to %d: empty, past the end (%d) or across a block", s.Off, s.End, len(data))
		}
		pos = s.End
	})
	if pos < int64(len(data)) {
		gap(int64(len(data)))
	}
}
