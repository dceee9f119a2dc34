package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDamagedFilesNeverReadShort reproduces the D1, D4 and D5 on
// the command line: one flipped bit near the start of a file (a chunk
// header, with no later block to show that records follow) or in its last
// block must not read as a shorter store. fsck, every reading command and
// the next put must all report the file and the offset, and the file must
// be left as it was.
func TestDamagedFilesNeverReadShort(t *testing.T) {
	tests := []struct {
		name string
		kind string // training_stats or validation_scores
		at   func(size int) int
		bit  byte
		read []string // a command that must fail
		put  []string
		in   string
	}{
		{"D1: training chunk type near the start", "training_stats", func(int) int { return 32 + 6 }, 1,
			[]string{"show", "demo_unet"}, []string{"put", "training", "demo_unet"}, `{"iteration": 100000, "loss": 0.1, "time": 0.1}` + "\n"},
		{"D1: validation metadata chunk length", "validation_scores", func(int) int { return 32 + 4 }, 0x10,
			[]string{"best", "demo_unet"}, []string{"put", "validation", "demo_unet"}, ""},
		{"D4: validation last block", "validation_scores", func(size int) int { return size - 10 }, 0x04,
			[]string{"best", "demo_unet"}, []string{"put", "validation", "demo_unet"}, ""},
		{"D4/D5: training last byte", "training_stats", func(size int) int { return size - 1 }, 0x80,
			[]string{"export", "demo_unet", "--format", "csv"}, []string{"put", "training", "demo_unet"}, `{"iteration": 100000, "loss": 0.1, "time": 0.1}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := demoStore(t)
			put := append([]string{"--store", dir}, tt.put...)
			if tt.kind == "validation_scores" {
				// Validation of a run with put's metadata.
				dir = filepath.Join(t.TempDir(), "stats")
				meta := validationMeta(t)
				mustRunIn(t, validationDocs(0.1, 100, 200, 300), "--store", dir, "--meta", meta, "put", "validation", "demo_unet")
				put = []string{"--store", dir, "--meta", meta, "put", "validation", "demo_unet"}
				tt.in = validationDocs(0.2, 400)
			}
			path := filepath.Join(dir, tt.kind, "demo_unet")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			data[tt.at(len(data))] ^= tt.bit
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			check := func(what string, r result) {
				t.Helper()
				if r.code != exitCorrupt || !strings.Contains(r.stderr, path) || !strings.Contains(r.stderr, "byte offset") {
					t.Errorf("%s: exit %d, stderr %q; want %d naming %s and a byte offset", what, r.code, r.stderr, exitCorrupt, path)
				}
			}
			check("fsck", run(t, "--store", dir, "fsck"))
			check(strings.Join(tt.read, " "), run(t, append([]string{"--store", dir}, tt.read...)...))
			check("runs", run(t, "--store", dir, "runs"))
			if tt.put != nil {
				check(strings.Join(tt.put, " "), runIn(t, tt.in, put...))
			}
			if now, _ := os.ReadFile(path); !bytes.Equal(now, data) {
				t.Fatal("the damaged file was changed")
			}
		})
	}
}
