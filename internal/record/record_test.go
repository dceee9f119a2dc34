package record

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"
)

// memFile is an in-memory io.ReaderAt.
type memFile []byte

func (m memFile) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(m)) {
		return 0, io.EOF
	}
	n := copy(p, m[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// entries returns n 24-byte units numbered from first.
func entries(first, n int) []byte {
	out := make([]byte, 0, 24*n)
	for i := range n {
		var e [24]byte
		binary.LittleEndian.PutUint64(e[:], uint64(first+i))
		out = append(out, e[:]...)
	}
	return out
}

// build encodes the records after a base-byte header and returns the file
// and the end offset after each record.
func build(t testing.TB, l Layout, payloads [][]byte) ([]byte, []int64) {
	t.Helper()
	file := make([]byte, l.Base)
	end := l.Base
	var ends []int64
	for _, p := range payloads {
		var last int64
		file, end, last = l.Append(file, end, p)
		if c := ChunkType(file[last+6]); c != Full && c != Last {
			t.Fatalf("Append's last chunk at %d is a %s chunk", last, c)
		}
		if int64(len(file)) != end {
			t.Fatalf("Append returned end %d, file has %d bytes", end, len(file))
		}
		ends = append(ends, end)
	}
	return file, ends
}

func scanAll(t testing.TB, l Layout, file []byte, to int64) [][]byte {
	t.Helper()
	var got [][]byte
	err := l.Scan(memFile(file), l.Base, to, func(r Record) error {
		got = append(got, bytes.Clone(r.Payload))
		return nil
	})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return got
}

var training = Layout{Base: 32, Head: 8, Unit: 24}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		layout   Layout
		payloads [][]byte
	}{
		{"one small record", training, [][]byte{append(make([]byte, 8), entries(0, 3)...)}},
		{"record spanning many blocks", training, [][]byte{append(make([]byte, 8), entries(0, 5000)...)}},
		{"many records crossing blocks", training, func() [][]byte {
			var ps [][]byte
			for i := range 300 {
				ps = append(ps, append(make([]byte, 8), entries(i*1000, 1+i%70)...))
			}
			return ps
		}()},
		{"bytes layout", Layout{Base: 32, Unit: 1}, [][]byte{[]byte("x"), bytes.Repeat([]byte("ab"), 40000), {}, []byte("end")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file, ends := build(t, tt.layout, tt.payloads)
			got := scanAll(t, tt.layout, file, ends[len(ends)-1])
			if len(got) != len(tt.payloads) {
				t.Fatalf("got %d records, want %d", len(got), len(tt.payloads))
			}
			for i := range got {
				if !bytes.Equal(got[i], tt.payloads[i]) {
					t.Fatalf("record %d differs", i)
				}
			}
			tail, err := tt.layout.Tail(memFile(file), int64(len(file)))
			if err != nil {
				t.Fatal(err)
			}
			if c := ChunkType(file[tail.LastChunk+6]); c != Full && c != Last {
				t.Fatalf("Tail's last chunk at %d is a %s chunk", tail.LastChunk, c)
			}
			if tail.End != ends[len(ends)-1] || !bytes.Equal(tail.Last, tt.payloads[len(tt.payloads)-1]) {
				t.Fatalf("Tail end %d, want %d (last record equal: %v)", tail.End, ends[len(ends)-1], bytes.Equal(tail.Last, tt.payloads[len(tt.payloads)-1]))
			}
			if tt.layout.Unit == 24 {
				checkAlignment(t, tt.layout, file)
			}
		})
	}
}

// checkAlignment checks that every block starts with a chunk whose payload
// starts with a whole entry.
func checkAlignment(t *testing.T, l Layout, file []byte) {
	t.Helper()
	for off := l.Base; off < int64(len(file)); off += BlockSize {
		blk := l.parseBlock(file[off:min(int64(len(file)), off+BlockSize)], off, off+BlockSize)
		if len(blk.chunks) == 0 || blk.bad != nil {
			t.Fatalf("block at %d: no chunk at its start (bad: %v)", off, blk.bad)
		}
		for _, c := range blk.chunks {
			head := 0
			if c.Type.startsRecord() {
				head = l.Head
			}
			if (len(c.Payload)-head)%l.Unit != 0 || len(c.Payload)-head < l.Unit {
				t.Fatalf("chunk at %d (%s) holds %d bytes, want head %d + whole units", c.Off, c.Type, len(c.Payload), head)
			}
		}
	}
}

// TestTailAtEveryCut cuts a file at every offset inside the last record and
// checks that Tail reports the record before it, and that Check calls the
// rest a torn tail.
func TestTailAtEveryCut(t *testing.T) {
	l := Layout{Base: 32, Head: 8, Unit: 24}
	payloads := [][]byte{
		append(make([]byte, 8), entries(0, 100)...),
		append(make([]byte, 8), entries(100, 1400)...), // crosses a block boundary
		append(make([]byte, 8), entries(1500, 2000)...),
	}
	file, ends := build(t, l, payloads)
	for cut := ends[1]; cut < ends[2]; cut += 1 + cut%97 {
		tail, err := l.Tail(memFile(file[:cut]), cut)
		if err != nil {
			t.Fatal(err)
		}
		if tail.End != ends[1] {
			t.Fatalf("cut at %d: Tail end %d, want %d", cut, tail.End, ends[1])
		}
		res, err := l.Check(memFile(file[:cut]), cut, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Err != nil || res.Records != 2 || res.ValidEnd != ends[1] || res.Torn != (cut > ends[1]) {
			t.Fatalf("cut at %d: Check = %+v, want 2 records ending at %d, torn %v", cut, res, ends[1], cut > ends[1])
		}
	}
}

func TestCheckCorruption(t *testing.T) {
	l := Layout{Base: 32, Unit: 1}
	var payloads [][]byte
	for i := range 40 {
		payloads = append(payloads, bytes.Repeat([]byte{byte(i + 1)}, 3000+i))
	}
	file, ends := build(t, l, payloads)
	tests := []struct {
		name      string
		damage    func(f []byte) []byte
		wantErrAt int64 // -1: no corruption
		wantValid int64
		wantTorn  bool
	}{
		{"intact", func(f []byte) []byte { return f }, -1, ends[39], false},
		{"flipped payload bit mid-file", func(f []byte) []byte { f[ends[9]+20] ^= 1; return f }, ends[9], ends[9], false},
		{"flipped crc mid-file", func(f []byte) []byte { f[ends[20]] ^= 0x80; return f }, ends[20], ends[20], false},
		{"zeroed block mid-file", func(f []byte) []byte {
			copy(f[l.Base+BlockSize:l.Base+2*BlockSize], make([]byte, BlockSize))
			return f
		}, l.Base + BlockSize, -2, false},
		// Bytes no writer writes after the last record are not a torn
		// tail: a zeroed last record looks the same.
		{"garbage appended", func(f []byte) []byte { return append(f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10) }, ends[39], ends[39], false},
		{"zeros appended", func(f []byte) []byte { return append(f, make([]byte, 100)...) }, ends[39], ends[39], false},
		{"a few zeros appended: a cut chunk header", func(f []byte) []byte { return append(f, make([]byte, 6)...) }, -1, ends[39], true},
		{"bit flip in next to last record", func(f []byte) []byte { f[ends[38]-10] ^= 4; return f }, -3, ends[37], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.damage(bytes.Clone(file))
			res, err := l.Check(memFile(f), int64(len(f)), nil)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.wantErrAt == -1 && res.Err != nil:
				t.Fatalf("Check error %v, want none", res.Err)
			case tt.wantErrAt >= 0 && (res.Err == nil || res.Err.Offset != tt.wantErrAt):
				t.Fatalf("Check error %v, want one at offset %d", res.Err, tt.wantErrAt)
			case tt.wantErrAt == -3 && res.Err == nil:
				t.Fatalf("Check found no corruption, want some")
			}
			if tt.wantValid >= 0 && res.ValidEnd != tt.wantValid {
				t.Fatalf("valid end %d, want %d", res.ValidEnd, tt.wantValid)
			}
			if res.Torn != tt.wantTorn {
				t.Fatalf("torn %v, want %v", res.Torn, tt.wantTorn)
			}
		})
	}
}
