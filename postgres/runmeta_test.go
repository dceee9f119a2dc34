package postgres

import (
	"encoding/json"
	"testing"
)

// TestRunMetaChecksum damages the stored metadata document so that it
// still decodes, to different metadata: reads and the next write report
// the damage (naming the table and run) instead of answering with it or
// building on it.
func TestRunMetaChecksum(t *testing.T) {
	ctx := t.Context()
	s, url := openStore(t, Options{})
	if err := s.SetRunConfig(ctx, "run", json.RawMessage(`{"architecture":"unet"}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRunTags(ctx, "run", map[string]string{"seed": "1"}, nil); err != nil {
		t.Fatal(err)
	}
	doc := queryString(t, url, "SELECT run_meta FROM statstore_runs")
	if want := `{"config":{"architecture":"unet"},"tags":{"seed":"1"}}`; doc != want {
		t.Fatalf("run_meta: got %s, want %s", doc, want)
	}
	execSQL(t, url, `UPDATE statstore_runs SET run_meta = replace(run_meta, 'unet', 'vnet')`)
	_, err := s.RetrieveRunMeta(ctx, "run")
	wantCorrupt(t, "RetrieveRunMeta", err, "statstore_runs", "run")
	wantCorrupt(t, "SetRunTags", s.SetRunTags(ctx, "run", map[string]string{"x": "y"}, nil), "statstore_runs", "run")
	if got := queryString(t, url, "SELECT run_meta FROM statstore_runs"); got != `{"config":{"architecture":"vnet"},"tags":{"seed":"1"}}` {
		t.Fatalf("a refused write changed run_meta: %s", got)
	}
	// Deleting the run is the way out, and takes the metadata.
	if err := s.DeleteRun(ctx, "run"); err != nil {
		t.Fatal(err)
	}
	if m, err := s.RetrieveRunMeta(ctx, "run"); err != nil || !m.IsZero() {
		t.Fatalf("RetrieveRunMeta after DeleteRun: %+v, %v", m, err)
	}
}
