package postgres

import (
	"math"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/storetest"
)

// TestSummaryDocumentRoundTrip encodes summaries and decodes them back
// equal, NaN and ±Inf included; a damaged document is a corrupt error.
func TestSummaryDocumentRoundTrip(t *testing.T) {
	m := storetest.Metadata()
	tr := storetest.Training(0, 1, 2)
	tr.IterationStats[1].Loss = math.Inf(-1)
	for _, want := range []statstore.RunSummary{
		statstore.Summarize("", nil, nil),
		statstore.Summarize("", tr, storetest.Scores(m, 0, 2)),
	} {
		doc := encodeSummary(want)
		got, err := decodeSummary("run", doc, crc32c(doc), map[string]string{})
		if err != nil {
			t.Fatal(err)
		}
		got.RunInfo = want.RunInfo
		if !statstore.EqualSummaries(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
		doc[len(doc)-1] ^= 1
		if _, err := decodeSummary("run", doc, crc32c(doc[:len(doc)-1]), nil); err == nil {
			t.Errorf("a flipped bit: no error")
		}
		if _, err := decodeSummary("run", doc[:len(doc)-1], crc32c(doc[:len(doc)-1]), nil); err == nil {
			t.Errorf("a truncated document with a matching checksum: no error")
		}
	}
}

// FuzzSummaryDocument decodes arbitrary documents (with a matching
// checksum): an error or a summary that encodes back to the same bytes,
// never a panic.
func FuzzSummaryDocument(f *testing.F) {
	f.Add(encodeSummary(statstore.Summarize("", storetest.Training(0, 1), storetest.Scores(storetest.Metadata(), 0, 1))))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, doc []byte) {
		sum, err := decodeSummary("run", doc, crc32c(doc), map[string]string{})
		if err != nil {
			return
		}
		if again := encodeSummary(sum); string(again) != string(doc) {
			// Varints have one shortest form; a longer one decodes too.
			if _, err := decodeSummary("run", again, crc32c(again), nil); err != nil {
				t.Fatalf("re-encoded document does not decode: %v", err)
			}
		}
	})
}
