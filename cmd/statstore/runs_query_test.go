package main

import (
	"strings"
	"testing"

	"github.com/statstore/statstore/filestore"
	"github.com/statstore/statstore/storetest"
)

func TestRunsQueryAndLeaderboard(t *testing.T) {
	dir := t.TempDir()
	fs, err := filestore.Open(dir, filestore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, run := range []string{"unet__1", "unet__2", "fcn__1"} {
		if err := fs.StoreTrainingStats(t.Context(), run, storetest.Training(0, 1, 2)); err != nil {
			t.Fatal(err)
		}
		if err := fs.StoreValidationIterationScores(t.Context(), run, storetest.ScoresVersion(storetest.Metadata(), i, 2)); err != nil {
			t.Fatal(err)
		}
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, "--store", dir, "runs", "--filter", "name~unet", "--sort", "-name", "--columns", "run,trained_until")
	lines := strings.Split(strings.TrimSpace(out.stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "RUN") || !strings.HasPrefix(lines[1], "unet__2") || !strings.HasPrefix(lines[2], "unet__1") {
		t.Errorf("runs --filter name~unet --sort -name:\n%s\nwant a header, then unet__2 and unet__1", out.stdout)
	}
	var page struct {
		Runs  []struct{ Run string } `json:"runs"`
		Total int                    `json:"total"`
	}
	decodeJSON(t, mustRun(t, "--store", dir, "runs", "--limit", "1", "--json"), &page)
	if page.Total != 3 || len(page.Runs) != 1 || page.Runs[0].Run != "fcn__1" {
		t.Errorf("runs --limit 1 --json: got %+v, want fcn__1 of 3", page)
	}
	if r := run(t, "--store", dir, "runs", "--filter", "bogus=1"); r.code != exitUsage || !strings.Contains(r.stderr, `unknown column "bogus"`) {
		t.Errorf("runs --filter bogus=1: got %d %q, want a usage error naming the column", r.code, r.stderr)
	}
	out = mustRun(t, "--store", dir, "leaderboard", "--json")
	if !strings.Contains(out.stdout, `"group": "unet"`) || !strings.Contains(out.stdout, `"count": 2`) {
		t.Errorf("leaderboard --json:\n%s\nwant the unet group of 2 repetitions", out.stdout)
	}
}
