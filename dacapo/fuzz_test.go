package dacapo

import (
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
