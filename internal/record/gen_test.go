package record

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the fuzz seed files under testdata/")

// TestSeeds writes the fuzz seeds with -update and otherwise checks that
// they still decode to the records they were built from.
func TestSeeds(t *testing.T) {
	seeds := map[string][][]byte{
		"two-records.bin":   {append(make([]byte, 8), entries(0, 2)...), append(make([]byte, 8), entries(2, 1)...)},
		"cross-block.bin":   {append(make([]byte, 8), entries(0, 1500)...)},
		"bytes-records.bin": {[]byte("metadata"), []byte("scores")},
	}
	for name, payloads := range seeds {
		t.Run(name, func(t *testing.T) {
			l := training
			if name == "bytes-records.bin" {
				l = Layout{Base: 32, Unit: 1}
			}
			file, ends := build(t, l, payloads)
			path := filepath.Join("testdata", name)
			if *update {
				if err := os.WriteFile(path, file, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create the seeds)", err)
			}
			if n := len(scanAll(t, l, got, ends[len(ends)-1])); n != len(payloads) {
				t.Fatalf("seed holds %d records, want %d", n, len(payloads))
			}
		})
	}
}
