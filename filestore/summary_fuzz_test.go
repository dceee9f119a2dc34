package filestore

import (
	"encoding/json"
	"testing"

	"github.com/statstore/statstore"
)

// FuzzDecodeSummaryFile checks that any summary file decodes or is
// refused without panicking, and that what decodes (version 1 or 2)
// encodes back to a version 2 file that decodes the same.
func FuzzDecodeSummaryFile(f *testing.F) {
	sum := statstore.Summarize("run", nil, nil)
	sum.Run = "run"
	good, err := encodeSummaryFile(summaryFile{Version: summaryVersion, runStamps: runStamps{Training: &fileStamp{Size: 10, MTime: 5, Inode: 7}}, Summary: sum})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)-1])
	v1, err := json.Marshal(summaryFile{Version: 1, runStamps: runStamps{Validation: &fileStamp{Size: 3}}, Summary: sum})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(v1)
	f.Add([]byte(`{"version":1,"training":null,"validation":{"size":-1},"summary":{"run":"run"}}`))
	f.Add([]byte(`{"version":2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sf, err := decodeSummaryFile(data, "run")
		if err != nil {
			return
		}
		sf.Version = summaryVersion // what a writer writes
		again, err := encodeSummaryFile(sf)
		if err != nil {
			t.Fatalf("encoding a decoded summary file: %v", err)
		}
		back, err := decodeSummaryFile(again, "run")
		if err != nil {
			t.Fatalf("decode of %s (what encodeSummaryFile wrote): %v", again, err)
		}
		if !back.runStamps.equal(sf.runStamps) || !statstore.EqualSummaries(back.Summary, sf.Summary) {
			t.Fatalf("round trip: got %+v, want %+v", back, sf)
		}
	})
}
