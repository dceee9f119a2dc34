package dacapo

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the pickle scanner, og-rek and both
// document decoders: nothing may panic, and whatever decodes must be
// DaCapo's documents. Seeds are every pickle under testdata.
func FuzzDecode(f *testing.F) {
	var seeds []string
	for _, pattern := range []string{"testdata/proto*/*/*", "testdata/hostile/*.pickle"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, m...)
	}
	if len(seeds) == 0 {
		f.Fatal("no seed pickles under testdata")
	}
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// The cases of issue 10: an empty file (DaCapo killed mid-dump), the
	// smallest protocol 0 and 1 lists, and memo bombs (one value memoized
	// again and again, a new value per MEMOIZE, BINPUT to indices out of
	// order).
	f.Add([]byte{})
	f.Add([]byte("(lp0\n."))
	f.Add([]byte("]q\x00."))
	f.Add([]byte("(lp0\n(dp1\nViteration\np2\nI3\nsVloss\np3\nFnan\nsVtime\np4\nL12L\nsa."))
	f.Add(append([]byte{opProto, 4, opEmptyList}, append(bytes.Repeat([]byte{opMemoize}, 64), opStop)...))
	f.Add(append([]byte{opProto, 4, opEmptyList, opMemoize}, append(bytes.Repeat([]byte{opNone, opMemoize, opAppend}, 64), opStop)...))
	f.Add([]byte{opProto, 2, opEmptyList, opBinput, 7, opNone, opBinput, 0, opAppend, opStop})
	f.Fuzz(func(t *testing.T, data []byte) {
		if docs, err := decodeTraining(context.Background(), data); err == nil {
			for i, d := range docs {
				if d.stats.Iteration < 0 {
					t.Fatalf("entry %d: negative iteration %d decoded", i, d.stats.Iteration)
				}
			}
		}
		if docs, err := decodeValidation(context.Background(), data); err == nil {
			for i, d := range docs {
				if d.scores.Iteration < 0 {
					t.Fatalf("entry %d: negative iteration %d decoded", i, d.scores.Iteration)
				}
			}
		}
	})
}
