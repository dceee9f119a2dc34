package postgres

import (
	"bytes"
	"math"
	"testing"

	"github.com/statstore/statstore"
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

// FuzzDecodeChunk: the block decoder never panics, and a block it accepts
// (with its checksum or without, as migration 0008 leaves them) holds
// entries that pack back into the same block: header, data and checksum.
func FuzzDecodeChunk(f *testing.F) {
	good := makeChunk([]statstore.TrainingIterationStats{{Iteration: 3, Loss: math.NaN(), Time: 1}, {Iteration: 5, Loss: 0.5}, {Iteration: 7}})
	f.Add(good.First, good.Last, good.Entries, good.Step, good.Data, *good.CRC, true)
	f.Add(int64(0), int64(0), int64(1), int64(0), make([]byte, chunkEntrySize), int64(0), false)
	f.Fuzz(func(t *testing.T, first, last, entries, step int64, data []byte, crc int64, withCRC bool) {
		c := chunk{First: first, Last: last, Entries: entries, Step: step, Data: data}
		if withCRC {
			c.CRC = &crc
		}
		got, err := c.decode("run", nil)
		if err != nil {
			return
		}
		again := makeChunk(got)
		if again.First != first || again.Last != last || again.Entries != entries || again.Step != step || !bytes.Equal(again.Data, data) ||
			withCRC && *again.CRC != crc {
			t.Fatalf("accepted block %+v packs back as %+v", c, again)
		}
	})
}
