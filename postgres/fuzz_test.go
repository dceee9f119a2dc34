package postgres

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
)

// FuzzDecodeMetadata: the metadata decoder never panics, and whatever it
// accepts re-encodes to a document that decodes to the same metadata (see
// TestMetadataRoundTrip for exact value equality).
func FuzzDecodeMetadata(f *testing.F) {
	f.Add([]byte(`{"version":1,"datasets":["a"],"parameters":[{"id":0,"name":"","values":[{"name":"t","value":{"float64":"0.5"}}]}],"criteria":[{"name":"c","higher_is_better":true,"lower":"0","upper":null,"store_best":false}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeMetadata(data)
		if err != nil {
			return
		}
		doc, err := encodeMetadata(m)
		if err != nil {
			t.Fatalf("re-encode decoded metadata: %v", err)
		}
		m2, err := decodeMetadata(doc)
		if err != nil {
			t.Fatalf("decode re-encoded %s: %v", doc, err)
		}
		// Compare documents, not values: a NaN bound is not equal to itself.
		doc2, err := encodeMetadata(m2)
		if err != nil || !bytes.Equal(doc, doc2) {
			t.Fatalf("round trip changed the metadata: %s, then %s (%v)", doc, doc2, err)
		}
	})
}

// FuzzDecodeTrainingRow: the binary row decoder never panics, rejects
// anything but three 8-byte values with a non-negative iteration, and keeps
// the floats' bits.
func FuzzDecodeTrainingRow(f *testing.F) {
	row := make([]byte, 24)
	binary.BigEndian.PutUint64(row[8:], math.Float64bits(math.NaN()))
	f.Add(row, uint8(8), uint8(8))
	f.Fuzz(func(t *testing.T, data []byte, a, b uint8) {
		i, j := min(int(a), len(data)), min(int(a)+int(b), len(data))
		vals := [][]byte{data[:i], data[i:j], data[j:]}
		e, err := decodeTrainingRow(vals)
		if err != nil {
			return
		}
		if len(data) != 24 || i != 8 || j != 16 {
			t.Fatalf("accepted values of %d, %d and %d bytes", i, j-i, len(data)-j)
		}
		if e.Iteration < 0 || math.Float64bits(e.Loss) != binary.BigEndian.Uint64(data[8:16]) || math.Float64bits(e.Time) != binary.BigEndian.Uint64(data[16:]) {
			t.Fatalf("decoded %+v from %x", e, data)
		}
	})
}
