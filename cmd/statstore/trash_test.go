package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/filestore"
	"github.com/statstore/statstore/storetest"
)

// trashList returns what statstore trash list --json prints.
func trashList(t *testing.T, dir string) []statstore.TrashEntry {
	t.Helper()
	var entries []statstore.TrashEntry
	decodeJSON(t, mustRun(t, "--store", dir, "trash", "list", "--json"), &entries)
	return entries
}

// TestDeleteTrashesAndRestores: delete moves a run to the trash and says
// how to restore it; the run is gone from runs and show, its name is free;
// restore refuses to overwrite a live run and restores under --as.
func TestDeleteTrashesAndRestores(t *testing.T) {
	dir := smallStore(t)
	r := mustRun(t, "--store", dir, "delete", "r", "--yes")
	entries := trashList(t, dir)
	if len(entries) != 1 || entries[0].Run != "r" || entries[0].TrainingIterations != 3 || entries[0].ValidationIterations != 1 {
		t.Fatalf("trash list after delete r: %+v, want one entry of run r with 3 training iterations and 1 validation", entries)
	}
	id := entries[0].ID
	if !strings.Contains(r.stdout, "moved run r to the trash (id "+id+")") || !strings.Contains(r.stdout, "statstore trash restore "+id) {
		t.Errorf("delete stdout %q: want where the run went and how to restore it", r.stdout)
	}
	if got := storedRuns(t, dir); !slices.Equal(got, []string{"other"}) {
		t.Errorf("runs after delete: %v, want [other]", got)
	}
	if r := run(t, "--store", dir, "show", "r"); r.code != exitError {
		t.Errorf("show of a trashed run: exit %d, want 1", r.code)
	}
	if out := mustRun(t, "--store", dir, "trash", "list").stdout; !strings.Contains(out, id) || !strings.Contains(out, "RUN") {
		t.Errorf("trash list: %q, want a table naming %s", out, id)
	}
	// The name is free: a new run r, then restoring the old one over it is refused.
	mustRunIn(t, trainingDocs(iterations(0)...), "--store", dir, "put", "training", "r")
	r = run(t, "--store", dir, "trash", "restore", id)
	if r.code != exitError || !strings.Contains(r.stderr, "a live run has its name") || !strings.Contains(r.stderr, "--as NEW_NAME") {
		t.Errorf("restore over a live run: exit %d, stderr %q; want 1 and the hint --as", r.code, r.stderr)
	}
	r = mustRun(t, "--store", dir, "trash", "restore", id, "--as", "r_old")
	if !strings.Contains(r.stdout, "restored run r_old") {
		t.Errorf("restore --as stdout %q", r.stdout)
	}
	if got := storedRuns(t, dir); !slices.Equal(got, []string{"other", "r", "r_old"}) {
		t.Errorf("runs after restore: %v, want [other r r_old]", got)
	}
	var d runDetails
	decodeJSON(t, mustRun(t, "--store", dir, "show", "r_old", "--json"), &d)
	if d.TrainingIterations != 3 || d.ValidationIterations != 1 {
		t.Errorf("restored run: %d training and %d validation entries, want 3 and 1", d.TrainingIterations, d.ValidationIterations)
	}
	if entries := trashList(t, dir); len(entries) != 0 {
		t.Errorf("trash after restore: %+v, want empty", entries)
	}
	if r := run(t, "--store", dir, "trash", "restore", id); r.code != exitError || !strings.Contains(r.stderr, "no entry") {
		t.Errorf("restore of a restored entry: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestDeleteSeveralAndPermanent: delete takes several runs, all or none
// (an unknown one deletes nothing); --permanent leaves nothing in the
// trash.
func TestDeleteSeveralAndPermanent(t *testing.T) {
	dir := smallStore(t)
	if r := run(t, "--store", dir, "delete", "r", "nope", "--yes"); r.code != exitError {
		t.Errorf("delete r nope: exit %d, want 1", r.code)
	}
	if got := storedRuns(t, dir); !slices.Equal(got, []string{"other", "r"}) {
		t.Fatalf("runs after a refused delete: %v, want [other r]", got)
	}
	r := mustRun(t, "--store", dir, "delete", "r", "--permanent", "--yes")
	if !strings.Contains(r.stdout, "deleted the training stats and validation scores of r") {
		t.Errorf("delete --permanent stdout %q", r.stdout)
	}
	if entries := trashList(t, dir); len(entries) != 0 {
		t.Errorf("trash after delete --permanent: %+v, want empty", entries)
	}
	mustRunIn(t, trainingDocs(iterations(0)...), "--store", dir, "put", "training", "r")
	mustRun(t, "--store", dir, "delete", "r", "other", "--yes")
	if got := storedRuns(t, dir); len(got) != 0 {
		t.Errorf("runs after delete r other: %v, want none", got)
	}
	if entries := trashList(t, dir); len(entries) != 2 {
		t.Errorf("trash after delete r other: %+v, want 2 entries", entries)
	}
}

// TestTrashPurge: purge deletes for good only what is older than the
// retention period (30 days unless --older-than), or the named entries,
// or all; it asks like delete, and --dry-run purges nothing.
func TestTrashPurge(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "stats")
	ctx := context.Background()
	now := time.Now()
	var ids []string
	for i, age := range []time.Duration{40 * 24 * time.Hour, 10 * 24 * time.Hour, time.Hour} {
		s, err := filestore.Open(dir, filestore.Options{Now: func() time.Time { return now.Add(-age) }})
		if err != nil {
			t.Fatal(err)
		}
		run := []string{"old", "mid", "new"}[i]
		if err := s.StoreTrainingStats(ctx, run, storetest.Training(0, 1)); err != nil {
			t.Fatal(err)
		}
		e, err := s.TrashRun(ctx, run)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	r := mustRun(t, "--store", dir, "trash", "purge", "--dry-run")
	if !strings.Contains(r.stdout, "would permanently delete 1 trash entry (run old, id "+ids[0]+")") {
		t.Errorf("purge --dry-run stdout %q", r.stdout)
	}
	if r := run(t, "--store", dir, "trash", "purge"); r.code != exitUsage || !strings.Contains(r.stderr, "--yes") {
		t.Errorf("purge without a terminal or --yes: exit %d, stderr %q; want 2 naming --yes", r.code, r.stderr)
	}
	if r := invoke(t, invocation{args: []string{"--store", dir, "trash", "purge"}, stdin: "n\n", interactive: true}); r.code != exitOK || !strings.Contains(r.stdout, "nothing purged") || !strings.Contains(r.stderr, "cannot be undone") {
		t.Errorf("purge answered no: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if got := len(trashList(t, dir)); got != 3 {
		t.Fatalf("trash after a dry run and a no: %d entries, want 3", got)
	}
	mustRun(t, "--store", dir, "trash", "purge", "--yes")
	want := func(ids ...string) {
		t.Helper()
		var got []string
		for _, e := range trashList(t, dir) {
			got = append(got, e.ID)
		}
		if !slices.Equal(got, ids) {
			t.Errorf("trash: %v, want %v", got, ids)
		}
	}
	want(ids[1], ids[2])
	mustRun(t, "--store", dir, "trash", "purge", "--older-than", "2h", "-y")
	want(ids[2])
	for _, bad := range [][]string{{"--all", "--older-than", "1d"}, {ids[2], "--all"}, {"--older-than", "soon"}, {"../x"}} {
		if r := run(t, append([]string{"--store", dir, "trash", "purge", "--yes"}, bad...)...); r.code != exitUsage {
			t.Errorf("purge %v: exit %d, want 2; stderr %q", bad, r.code, r.stderr)
		}
	}
	if r := run(t, "--store", dir, "trash", "purge", "20200101-000000-00000000", "--yes"); r.code != exitError || !strings.Contains(r.stderr, "nothing purged") {
		t.Errorf("purge of an unknown id: exit %d, stderr %q", r.code, r.stderr)
	}
	want(ids[2])
	mustRun(t, "--store", dir, "trash", "purge", ids[2], "--yes")
	want()
	if r := mustRun(t, "--store", dir, "trash", "purge", "--all", "--yes"); !strings.Contains(r.stdout, "the trash is empty") {
		t.Errorf("purge --all of an empty trash: %q", r.stdout)
	}
}

// TestParseAge: --older-than takes days and weeks as well as Go
// durations.
func TestParseAge(t *testing.T) {
	for in, want := range map[string]time.Duration{"30d": 30 * 24 * time.Hour, "2w": 14 * 24 * time.Hour, "1.5d": 36 * time.Hour, "90m": 90 * time.Minute, "0s": 0} {
		if got, err := parseAge(in); err != nil || got != want {
			t.Errorf("parseAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "-1d", "soon", "1e9d", "-5m"} {
		if _, err := parseAge(in); err == nil {
			t.Errorf("parseAge(%q): got no error", in)
		}
	}
}

// TestDeleteRefusedOnDaCapo: a DaCapo directory is read in place and
// never written: delete (soft or permanent) refuses, and trash list says
// it keeps no trash.
func TestDeleteRefusedOnDaCapo(t *testing.T) {
	dirs := dacapoTestdataDirs(t)
	if len(dirs) == 0 {
		t.Fatal("no DaCapo sample directories in dacapo/testdata")
	}
	dir := filepath.Join(t.TempDir(), "dacapo")
	copyDir(t, dirs[0], dir)
	names := dacapoRuns(t, dir)
	if len(names) == 0 {
		t.Fatalf("no runs in %s", dir)
	}
	for _, extra := range [][]string{nil, {"--permanent"}} {
		r := run(t, append([]string{"--store", dir, "delete", names[0], "--yes"}, extra...)...)
		if r.code != exitError || !strings.Contains(r.stderr, "never writes") {
			t.Errorf("delete %v in a DaCapo directory: exit %d, stderr %q; want 1, never writes", extra, r.code, r.stderr)
		}
	}
	if r := run(t, "--store", dir, "trash", "list"); r.code != exitError || !strings.Contains(r.stderr, "keeps no trash") {
		t.Errorf("trash list of a DaCapo directory: exit %d, stderr %q", r.code, r.stderr)
	}
	if got := dacapoRuns(t, dir); !slices.Equal(got, names) {
		t.Errorf("runs after the refused deletes: %v, want %v", got, names)
	}
}

// TestTrashVerify: fsck leaves the trash alone; trash verify checks the
// trashed files and exits 3 on damage, naming the file.
func TestTrashVerify(t *testing.T) {
	dir := smallStore(t)
	mustRun(t, "--store", dir, "delete", "r", "--yes")
	mustRun(t, "--store", dir, "fsck")
	if out := mustRun(t, "--store", dir, "trash", "verify").stdout; !strings.Contains(out, "ok") {
		t.Errorf("trash verify of a sound trash: %q", out)
	}
	id := trashList(t, dir)[0].ID
	path := filepath.Join(dir, ".trash", id, "training_stats")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-5] ^= 0x40
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "--store", dir, "fsck")
	if r := run(t, "--store", dir, "trash", "verify"); r.code != exitCorrupt || !strings.Contains(r.stderr, path) {
		t.Errorf("trash verify of a damaged trashed file: exit %d, stderr %q; want 3 naming %s", r.code, r.stderr, path)
	}
}
