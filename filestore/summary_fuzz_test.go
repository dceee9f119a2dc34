package filestore

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/record"
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
	trained := statstore.Summarize("run", &statstore.TrainingStats{IterationStats: history(0, 1, 3)}, nil)
	covered, err := encodeSummaryFile(summaryFile{Version: summaryVersion, runStamps: runStamps{Training: &fileStamp{Size: 200, MTime: 5, Inode: 7}},
		Cover: &trainCover{ID: 1 << 63, End: 150, Count: 3, MarkOff: 40, Mark: strings.Repeat("0a", record.HeaderSize)}, Summary: trained})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(covered)
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
		if !back.runStamps.equal(sf.runStamps) || !statstore.EqualSummaries(back.Summary, sf.Summary) || !reflect.DeepEqual(back.Cover, sf.Cover) {
			t.Fatalf("round trip: got %+v, want %+v", back, sf)
		}
	})
}
