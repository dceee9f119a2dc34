package statstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	statstore "github.com/statstore/statstore"
	"github.com/statstore/statstore/memstore"
)

// TestCopyRunMeta: SyncRun and CopyRun carry the run's metadata, making
// the destination's equal to the source's (a tag the source no longer
// has is removed), also for a run with metadata only; a store without
// metadata is left alone.
func TestCopyRunMeta(t *testing.T) {
	ctx := t.Context()
	from, to := memstore.New(nil), memstore.New(nil)
	if err := from.SetRunConfig(ctx, "run", json.RawMessage(`{"lr": 0.1}`)); err != nil {
		t.Fatal(err)
	}
	if err := from.SetRunTags(ctx, "run", map[string]string{"a": "1"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := to.SetRunTags(ctx, "run", map[string]string{"stale": "x", "a": "0"}, nil); err != nil {
		t.Fatal(err)
	}
	runs, err := from.ListRuns(ctx)
	if err != nil || len(runs) != 1 {
		t.Fatalf("ListRuns of a metadata-only run: %v, %v", runs, err)
	}
	if _, err := statstore.SyncRun(ctx, from, to, "run", runs[0], nil); err != nil {
		t.Fatal(err)
	}
	want := statstore.RunMeta{Config: json.RawMessage(`{"lr":0.1}`), Tags: map[string]string{"a": "1"}}
	if got, err := to.RetrieveRunMeta(ctx, "run"); err != nil || !got.Equal(want) {
		t.Fatalf("destination after SyncRun: %+v, %v, want %+v", got, err, want)
	}
	if err := from.SetRunConfig(ctx, "run", nil); err != nil {
		t.Fatal(err)
	}
	if err := statstore.CopyRun(ctx, from, to, "run"); err != nil {
		t.Fatal(err)
	}
	if got, _ := to.RetrieveRunMeta(ctx, "run"); got.Config != nil || got.Tags["a"] != "1" {
		t.Fatalf("destination after CopyRun of a run without configuration: %+v", got)
	}
	// A source without metadata (fakeStore) changes nothing.
	if err := statstore.CopyRunMeta(ctx, &fakeStore{}, to, "run"); err != nil {
		t.Fatal(err)
	}
	if got, _ := to.RetrieveRunMeta(ctx, "run"); got.Tags["a"] != "1" {
		t.Fatalf("a copy from a store without metadata changed the destination: %+v", got)
	}
}

// statstore copy and sync carry a run's configuration and tags with its
// statistics; CopyRunMeta alone makes the destination's metadata equal.
func ExampleCopyRunMeta() {
	ctx := context.Background()
	from, to := memstore.New(nil), memstore.New(nil)
	_ = from.SetRunTags(ctx, "run", map[string]string{"architecture": "unet"}, nil)
	_ = to.SetRunTags(ctx, "run", map[string]string{"stale": "1"}, nil)
	_ = statstore.CopyRunMeta(ctx, from, to, "run")
	m, _ := to.RetrieveRunMeta(ctx, "run")
	fmt.Println(m.Tags)
	// Output:
	// map[architecture:unet]
}
