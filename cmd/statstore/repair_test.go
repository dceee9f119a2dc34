package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRepairSalvagesOneLargeRecord is issue 16's case on the command
// line: a history put in one call (one record), one flipped byte. repair
// asks first (or needs --yes), then keeps every entry but those of the
// damaged chunk and says what it kept, what it lost and where the backup
// is, in its table and in --json.
func TestRepairSalvagesOneLargeRecord(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "stats")
	mustRunIn(t, trainingDocs(iterations(span(0, 5000, 1)...)...), "--store", dir, "put", "training", "big")
	path := filepath.Join(dir, "training_stats", "big")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x08
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	unchanged := func(what string) {
		t.Helper()
		if now, _ := os.ReadFile(path); !bytes.Equal(now, data) {
			t.Fatalf("%s changed the damaged file", what)
		}
	}
	if r := run(t, "--store", dir, "repair"); r.code != exitUsage || !strings.Contains(r.stderr, "--yes") {
		t.Errorf("repair without a terminal or --yes: exit %d, stderr %q; want %d naming --yes", r.code, r.stderr, exitUsage)
	}
	unchanged("repair without --yes")
	r := invoke(t, invocation{args: []string{"--store", dir, "repair"}, stdin: "n\n", interactive: true})
	if r.code != 0 || !strings.Contains(r.stderr, path) || !strings.Contains(r.stderr, "WOULD KEEP") || !strings.Contains(r.stderr, "[y/N]") {
		t.Errorf("repair answered no: exit %d, stderr %q; want 0 after saying what it would keep of %s and asking", r.code, r.stderr, path)
	}
	unchanged("repair answered no")
	var plan checkReport
	decodeJSON(t, mustRun(t, "--store", dir, "repair", "--dry-run", "--json"), &plan)
	unchanged("repair --dry-run")

	var rep checkReport
	decodeJSON(t, mustRun(t, "--store", dir, "repair", "--yes", "--json"), &rep)
	if len(plan.Files) != 1 || plan.Files[0].Kept == nil || rep.Files[0].Kept == nil || *plan.Files[0].Kept != *rep.Files[0].Kept ||
		len(plan.Files[0].Lost) != len(rep.Files[0].Lost) || plan.Files[0].Backup != "" {
		t.Errorf("--dry-run said %+v, repair did %+v; want the same kept and lost, and no backup", plan.Files, rep.Files)
	}
	if len(rep.Files) != 1 || rep.Files[0].Kept == nil || len(rep.Files[0].Lost) != 1 {
		t.Fatalf("repair --json: %+v, want one file with kept and one lost range", rep)
	}
	f, lost := rep.Files[0], rep.Files[0].Lost[0]
	if *f.Kept < 5000-21 || lost.Entries == nil || *lost.Entries != 5000-*f.Kept || lost.After == nil || lost.Before == nil ||
		*lost.Before-*lost.After-1 != *lost.Entries {
		t.Errorf("kept %d, lost %+v; want at most one chunk's entries (21) lost, counted, between the kept iterations", *f.Kept, lost)
	}
	if b, err := os.ReadFile(f.Backup); err != nil || !bytes.Equal(b, data) {
		t.Errorf("backup %q: %v; want the damaged file", f.Backup, err)
	}
	if got := storedTraining(t, dir, "big"); len(got) != *f.Kept {
		t.Errorf("after repair the run holds %d entries, the report says %d", len(got), *f.Kept)
	}

	// The table says it too (a second damage, answered yes on a terminal):
	// byte 200 is in the first chunk, whose 488-byte payload holds the
	// 8-byte head and 20 entries (docs/format.md).
	data, _ = os.ReadFile(path)
	data[200] ^= 0x01
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r = invoke(t, invocation{args: []string{"--store", dir, "repair"}, stdin: "y\n", interactive: true})
	if r.code != 0 || !strings.Contains(r.stdout, "REPAIRED: kept ") || !strings.Contains(r.stdout, "lost ") ||
		!strings.Contains(r.stdout, filepath.Join(dir, ".backup", "training_stats", "big.")) || !strings.Contains(r.stdout, "lost 20 entries before iteration 20") {
		t.Errorf("repair on a terminal: exit %d, stdout:\n%s\nwant what was kept, lost and the backup's path", r.code, r.stdout)
	}
}
