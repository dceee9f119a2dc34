package main

import (
	"strings"
	"testing"

	"github.com/statstore/statstore/internal/pgtest"
)

// TestPostgresStore runs commands against a postgres:// store: a copy of
// the demo answers exactly as the file store does, put writes to it, and
// fsck explains that it checks file stores only.
func TestPostgresStore(t *testing.T) {
	dir := demoStore(t)
	url := pgtest.Start(t)
	mustRun(t, "copy", "--from", dir, "--to", url)
	for _, args := range [][]string{
		{"runs", "--json"},
		{"show", "demo_unet", "--json"},
		{"best", "demo_unet", "--json", "--over-datasets"},
		{"compare", "demo_unet", "demo_unet_small", "--json"},
		{"export", "demo_unet", "--format", "jsonl"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			want := mustRun(t, append([]string{"--store", dir}, args...)...).stdout
			got := mustRun(t, append([]string{"--store", url}, args...)...).stdout
			if got != want {
				t.Errorf("postgres answers\n%.500s\nfile store answers\n%.500s", got, want)
			}
		})
	}
	mustRunIn(t, trainingDocs(iterations(0, 1, 2)...), "--store", url, "put", "training", "fresh")
	var d runDetails
	decodeJSON(t, mustRun(t, "--store", url, "show", "fresh", "--json"), &d)
	if d.TrainedUntil != 3 {
		t.Errorf("put into postgres: trained until %d, want 3", d.TrainedUntil)
	}
	if r := run(t, "--store", url, "fsck"); r.code != exitUsage || !strings.Contains(r.stderr, "file store") {
		t.Errorf("fsck on postgres: exit %d, stderr %q", r.code, r.stderr)
	}
}
