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
