package pyramid_test

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/pyramid"
)

// TestRecordRoundTrip encodes the blocks of a history with NaN payloads,
// -0 and ±Inf and decodes them bit for bit; a flipped bit anywhere is
// refused.
func TestRecordRoundTrip(t *testing.T) {
	m := pyramid.NewMem()
	var h []statstore.TrainingIterationStats
	for it := range 5000 {
		l := float64(it%37) - 18
		switch it % 11 {
		case 3:
			l = math.Float64frombits(0x7ff8000000000abc)
		case 5:
			l = math.Copysign(0, -1)
		case 7:
			l = math.Inf(1 - 2*(it%2))
		}
		h = append(h, statstore.TrainingIterationStats{Iteration: 3 * it, Loss: l, Time: float64(it)})
	}
	m.Add(h)
	n := 0
	for l := range pyramid.Levels {
		for _, b := range m.Blocks(l, 0, math.MaxInt/2) {
			rec := pyramid.AppendRecord(nil, b)
			got, err := pyramid.DecodeRecord(rec, l, false)
			if err != nil {
				t.Fatalf("level %d block %d: %v", l, b.From, err)
			}
			if !bytes.Equal(pyramid.AppendRecord(nil, got), rec) || got.From != b.From || got.To != b.To || got.Count != b.Count {
				t.Fatalf("level %d block %d: decoded %+v, want %+v", l, b.From, got, b)
			}
			bad := bytes.Clone(rec)
			bad[n%len(bad)] ^= 1 << (n % 8)
			if _, err := pyramid.DecodeRecord(bad, l, false); !errors.Is(err, pyramid.ErrBadRecord) {
				t.Fatalf("level %d block %d with byte %d flipped: got %v, want ErrBadRecord", l, b.From, n%len(bad), err)
			}
			n++
		}
	}
	if n < 100 {
		t.Fatalf("only %d blocks checked", n)
	}
	if _, err := pyramid.DecodeRecord(pyramid.AppendRecord(nil, statstore.TrainingBucket{}), 0, false); !errors.Is(err, pyramid.ErrBadRecord) {
		t.Fatalf("the empty record where a block is wanted: got %v, want ErrBadRecord", err)
	}
}

// FuzzDecodeRecord checks that any bytes decode as a record or are refused
// with ErrBadRecord, never a panic, and that what decodes encodes back to
// the same bytes.
func FuzzDecodeRecord(f *testing.F) {
	m := pyramid.NewMem()
	m.Add([]statstore.TrainingIterationStats{{Iteration: 3, Loss: 1, Time: 1}, {Iteration: 70, Loss: math.NaN()}, {Iteration: 200, Loss: math.Inf(-1), Time: 2}})
	f.Add(pyramid.AppendRecord(nil, m.Done[0][0]), uint8(0))
	f.Add(pyramid.AppendRecord(nil, m.Open[1]), uint8(1))
	f.Add(pyramid.AppendRecord(nil, statstore.TrainingBucket{}), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, level uint8) {
		l := int(level) % (pyramid.Levels + 1) // one level too many, refused
		b, err := pyramid.DecodeRecord(data, l, true)
		if err != nil {
			if !errors.Is(err, pyramid.ErrBadRecord) {
				t.Fatalf("error %v does not wrap ErrBadRecord", err)
			}
			return
		}
		if l >= pyramid.Levels {
			t.Fatalf("level %d decoded", l)
		}
		if again := pyramid.AppendRecord(nil, b); !bytes.Equal(again, data) {
			t.Fatalf("round trip: got %x, want %x", again, data)
		}
	})
}
