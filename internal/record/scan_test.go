package record

import (
	"bytes"
	"errors"
	"testing"
)

// TestScannerPieces checks that feeding a region in pieces of any number of
// whole blocks gives the chunks a whole-region scan gives, and that
// reassembling them gives the records.
func TestScannerPieces(t *testing.T) {
	var payloads [][]byte
	for i := range 40 {
		payloads = append(payloads, append(make([]byte, 8), entries(i*1000, 1+i*13%200)...))
	}
	for _, l := range []Layout{training, {Base: 32, Head: 8, Unit: 24, MaxPayload: 505}, {Base: 32, Head: 8, Unit: 24, Block: 32 * 1024}} {
		file, ends := build(t, l, payloads)
		end := ends[len(ends)-1]
		for _, blocks := range []int64{1, 2, 7, 1000} {
			var recs [][]byte
			var rec []byte
			sc := l.NewScanner(l.Base, end)
			for sc.Pos() < end {
				pos := sc.Pos()
				n := min(end, l.blockStart(pos)+blocks*l.BlockLen()) - pos
				err := sc.Feed(file[pos:pos+n], func(c Chunk) error {
					if c.Type.startsRecord() {
						rec = nil
					}
					rec = append(rec, c.Payload...)
					if c.Type.endsRecord() {
						recs = append(recs, rec)
					}
					return nil
				})
				if err != nil {
					t.Fatalf("block %d, max payload %d, pieces of %d blocks: %v", l.BlockLen(), l.MaxPayload, blocks, err)
				}
			}
			if err := sc.Finish(); err != nil {
				t.Fatal(err)
			}
			if len(recs) != len(payloads) {
				t.Fatalf("got %d records, want %d", len(recs), len(payloads))
			}
			for i := range recs {
				if !bytes.Equal(recs[i], payloads[i]) {
					t.Fatalf("record %d differs", i)
				}
			}
		}
	}
}

// TestMaxPayload checks that chunks respect the cap and still split only
// after whole units.
func TestMaxPayload(t *testing.T) {
	l := Layout{Base: 32, Head: 8, Unit: 24, MaxPayload: 505}
	if err := l.Validate(); err != nil {
		t.Fatal(err)
	}
	file, ends := build(t, l, [][]byte{append(make([]byte, 8), entries(0, 3000)...), append(make([]byte, 8), entries(3000, 7)...)})
	sc := l.NewScanner(l.Base, ends[1])
	chunks := 0
	if err := sc.Feed(file[l.Base:], func(c Chunk) error {
		chunks++
		if len(c.Payload) > l.MaxPayload {
			t.Errorf("chunk at %d holds %d bytes, cap %d", c.Off, len(c.Payload), l.MaxPayload)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := (3000*24 + 8) / 505; chunks < want {
		t.Fatalf("%d chunks, want at least %d", chunks, want)
	}
	if err := (Layout{Base: 32, Head: 8, Unit: 24, MaxPayload: 31}).Validate(); err == nil {
		t.Fatal("Validate accepted a cap below head + unit")
	}
}

// TestScannerErrors checks what a Scanner reports for bad input.
func TestScannerErrors(t *testing.T) {
	l := training
	p1, p2 := append(make([]byte, 8), entries(0, 300)...), append(make([]byte, 8), entries(300, 5)...)
	file, ends := build(t, l, [][]byte{p1, p2})
	second := ends[0] // the second record starts here
	tests := []struct {
		name   string
		scan   func() error
		wantAt int64
	}{
		{"short piece", func() error {
			sc := l.NewScanner(l.Base, ends[1])
			return sc.Feed(file[l.Base:l.Base+100], func(Chunk) error { return nil })
		}, l.Base},
		{"region not fed to its end", func() error {
			sc := l.NewScanner(l.Base, ends[1])
			if err := sc.Feed(file[l.Base:l.Base+l.BlockLen()], func(Chunk) error { return nil }); err != nil {
				return err
			}
			return sc.Finish()
		}, l.Base + l.BlockLen()},
		{"end inside a chunk", func() error {
			sc := l.NewScanner(second, ends[1]-3)
			return sc.Feed(file[second:ends[1]-3], func(Chunk) error { return nil })
		}, second},
		{"middle chunk without a first", func() error {
			b1 := l.BlockOff(1)
			sc := l.NewScanner(b1, ends[0])
			return sc.Feed(file[b1:ends[0]], func(Chunk) error { return nil })
		}, l.BlockOff(1)},
		{"flipped bit", func() error {
			f := bytes.Clone(file)
			f[second+20] ^= 1
			sc := l.NewScanner(l.Base, ends[1])
			return sc.Feed(f[l.Base:ends[1]], func(Chunk) error { return nil })
		}, second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e *Error
			if err := tt.scan(); !errors.As(err, &e) || e.Offset != tt.wantAt {
				t.Fatalf("got %v, want an *Error at %d", err, tt.wantAt)
			}
		})
	}
	t.Run("resume inside a record", func(t *testing.T) {
		b1 := l.BlockOff(1)
		sc := l.NewResumeScanner(b1, ends[1])
		n := 0
		if err := sc.Feed(file[b1:ends[1]], func(c Chunk) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		if err := sc.Finish(); err != nil || n < 2 {
			t.Fatalf("%d chunks, Finish: %v; want at least 2 and no error", n, err)
		}
	})
	t.Run("callback error", func(t *testing.T) {
		stop := errors.New("stop")
		sc := l.NewScanner(l.Base, ends[1])
		if err := sc.Feed(file[l.Base:ends[1]], func(Chunk) error { return stop }); !errors.Is(err, stop) {
			t.Fatalf("got %v, want the callback's error", err)
		}
	})
}

// TestCheckChunk checks the single-chunk check a seek uses.
func TestCheckChunk(t *testing.T) {
	file, _ := build(t, training, [][]byte{append(make([]byte, 8), entries(0, 3)...)})
	good := file[training.Base:]
	tests := []struct {
		name   string
		buf    []byte
		wantOK bool
	}{
		{"valid", good, true},
		{"short header", good[:5], false},
		{"cut payload", good[:20], false},
		{"flipped bit", func() []byte { b := bytes.Clone(good); b[30] ^= 2; return b }(), false},
		{"padding", make([]byte, 64), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := CheckChunk(tt.buf, training.Base)
			if (err == nil) != tt.wantOK {
				t.Fatalf("CheckChunk: %v, want ok %v", err, tt.wantOK)
			}
			if tt.wantOK && (c.Type != Full || len(c.Payload) != 8+3*24) {
				t.Fatalf("got a %s chunk of %d bytes, want a full one of %d", c.Type, len(c.Payload), 8+3*24)
			}
		})
	}
}
