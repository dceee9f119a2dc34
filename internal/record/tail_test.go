package record

import (
	"bytes"
	"fmt"
	"testing"
)

// sweepFiles returns files of both layouts whose records fill one block,
// two blocks and many blocks, with the end of each record.
func sweepFiles(t *testing.T) map[string]struct {
	l    Layout
	file []byte
	ends []int64
} {
	t.Helper()
	val := Layout{Base: 32, Unit: 1}
	train := training
	out := map[string]struct {
		l    Layout
		file []byte
		ends []int64
	}{}
	add := func(name string, l Layout, payloads [][]byte) {
		file, ends := build(t, l, payloads)
		out[name] = struct {
			l    Layout
			file []byte
			ends []int64
		}{l, file, ends}
	}
	var tp [][]byte
	for i := range 4 {
		tp = append(tp, append(make([]byte, 8), entries(i*10, 10)...))
	}
	add("training/one-block", train, tp)
	add("training/two-blocks", train, [][]byte{append(make([]byte, 8), entries(0, 150)...), append(make([]byte, 8), entries(150, 20)...)})
	add("training/many-blocks", train, [][]byte{append(make([]byte, 8), entries(0, 900)...), append(make([]byte, 8), entries(900, 30)...)})
	add("validation/one-block", val, [][]byte{[]byte("metadata record"), bytes.Repeat([]byte{7}, 300), bytes.Repeat([]byte{9}, 120)})
	add("validation/two-blocks", val, [][]byte{bytes.Repeat([]byte{1}, 200), bytes.Repeat([]byte{7}, 5000)})
	return out
}

// TestDamageIsNeverATornTail flips every bit of files whose records are
// all committed, and zeros every aligned range of 8 to 4096 bytes: Check
// must find the damage (or the file must read the same, as when a flip
// hits nothing that is read). A shorter valid prefix with a "torn tail"
// would be a silent loss of committed records.
func TestDamageIsNeverATornTail(t *testing.T) {
	for name, f := range sweepFiles(t) {
		t.Run(name, func(t *testing.T) {
			want := len(f.ends)
			check := func(what string, damaged []byte) {
				res, err := f.l.Check(memFile(damaged), int64(len(damaged)), nil)
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				switch {
				case res.Torn:
					t.Fatalf("%s: classified as a torn tail after %d of %d records (valid end %d)", what, res.Records, want, res.ValidEnd)
				case res.Err == nil && (res.Records != want || res.ValidEnd != int64(len(damaged))):
					t.Fatalf("%s: no error but %d of %d records, valid end %d of %d", what, res.Records, want, res.ValidEnd, len(damaged))
				case res.Err != nil && res.Err.Offset > int64(len(damaged)):
					t.Fatalf("%s: error offset %d beyond the file", what, res.Err.Offset)
				}
			}
			flips, zeros := 0, 0
			for off := f.l.Base; off < int64(len(f.file)); off++ {
				for bit := range 8 {
					d := bytes.Clone(f.file)
					d[off] ^= 1 << bit
					check(fmt.Sprintf("bit %d of byte %d flipped", bit, off), d)
					flips++
				}
			}
			for size := int64(8); size <= 4096; size *= 8 {
				for off := f.l.Base / size * size; off < int64(len(f.file)); off += size {
					lo := max(off, f.l.Base)
					hi := min(off+size, int64(len(f.file)))
					d := bytes.Clone(f.file)
					if bytes.Equal(d[lo:hi], make([]byte, hi-lo)) {
						continue
					}
					clear(d[lo:hi])
					check(fmt.Sprintf("bytes %d..%d zeroed", lo, hi), d)
					zeros++
				}
			}
			t.Logf("%d flips, %d zeroed ranges: all detected or harmless", flips, zeros)
		})
	}
}

// TestCutIsATornTail cuts every file after its last committed record at
// every byte of the next record: always a torn tail, never corruption.
func TestCutIsATornTail(t *testing.T) {
	for name, f := range sweepFiles(t) {
		t.Run(name, func(t *testing.T) {
			last := f.ends[len(f.ends)-2]
			for cut := last + 1; cut < int64(len(f.file)); cut++ {
				res, err := f.l.Check(memFile(f.file[:cut]), cut, nil)
				if err != nil {
					t.Fatal(err)
				}
				if res.Err != nil || !res.Torn || res.ValidEnd != last || res.Records != len(f.ends)-1 {
					t.Fatalf("cut at %d: %+v, want a torn tail after %d records ending at %d", cut, res, len(f.ends)-1, last)
				}
			}
		})
	}
}

// TestCheckTailDamagedLength: a last chunk whose length field was made
// longer than the file is a complete chunk with a damaged length, not an
// interrupted write.
func TestCheckTailDamagedLength(t *testing.T) {
	l := Layout{Base: 32, Unit: 1}
	file, ends := build(t, l, [][]byte{[]byte("first"), []byte("second record")})
	d := bytes.Clone(file)
	d[ends[0]+5] ^= 0x01 // high byte of the length: 13 + 256
	e, err := l.CheckTail(memFile(d), ends[0], int64(len(d)))
	if err != nil {
		t.Fatal(err)
	}
	if e == nil || e.Offset != ends[0] {
		t.Fatalf("CheckTail = %v, want damage at %d", e, ends[0])
	}
	// The same chunk cut short is torn.
	if e, err := l.CheckTail(memFile(file[:len(file)-1]), ends[0], int64(len(file)-1)); err != nil || e != nil {
		t.Fatalf("cut chunk: CheckTail = %v, %v, want a torn tail", e, err)
	}
}
