package filestore

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/pyramid"
)

// FuzzDecodeBucketSidecar checks that any bucket sidecar meta or record
// decodes or is refused (wrapping errBadSidecar) without panicking, and
// that what decodes encodes back to the same bytes.
func FuzzDecodeBucketSidecar(f *testing.F) {
	m := pyramid.NewMem()
	m.Add([]statstore.TrainingIterationStats{{Iteration: 3, Loss: 1, Time: 1}, {Iteration: 70, Loss: math.NaN()}, {Iteration: 200, Loss: math.Inf(-1), Time: 2}})
	meta := &bucketMeta{gen: 9, stamp: bucketStamp{id: 1, inode: 2, end: 4096, count: 3, last: m.Open[0].Last}, open: m.Open}
	meta.closed[0] = 2
	f.Add(encodeBucketMeta(meta), uint8(0))
	f.Add(pyramid.AppendRecord(nil, m.Done[0][0]), uint8(0))
	f.Add(pyramid.AppendRecord(nil, m.Open[1]), uint8(1))
	f.Add(pyramid.AppendRecord(nil, statstore.TrainingBucket{}), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, level uint8) {
		if m, err := decodeBucketMeta(data); err == nil {
			if again := encodeBucketMeta(m); !bytes.Equal(again, data) {
				t.Fatalf("meta round trip: got %x, want %x", again, data)
			}
		} else if !errorsIsBad(err) {
			t.Fatalf("decodeBucketMeta: error %v does not wrap errBadSidecar", err)
		}
		l := int(level) % pyramid.Levels
		b, err := decodeBucketRecord(data, l, true)
		if err != nil {
			if !errorsIsBad(err) {
				t.Fatalf("decodeBucketRecord: error %v does not wrap errBadSidecar", err)
			}
			return
		}
		if again := pyramid.AppendRecord(nil, b); !bytes.Equal(again, data) {
			t.Fatalf("record round trip: got %x, want %x", again, data)
		}
	})
}

func errorsIsBad(err error) bool { return errors.Is(err, errBadSidecar) }
