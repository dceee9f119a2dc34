package memstore_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/statstore/statstore/memstore"
)

// A trainer records its configuration and tags before its first
// iteration: the run is then listed, with no statistics.
func ExampleStore_SetRunTags() {
	ctx := context.Background()
	s := memstore.New(nil)
	defer s.Close()
	_ = s.SetRunConfig(ctx, "unet__1", json.RawMessage(`{"trainer": {"lr": 1e-4}, "architecture": "unet"}`))
	_ = s.SetRunTags(ctx, "unet__1", map[string]string{"task": "mito", "seed": "1"}, nil)
	_ = s.SetRunTags(ctx, "unet__1", map[string]string{"seed": "2"}, []string{"task"})
	m, _ := s.RetrieveRunMeta(ctx, "unet__1")
	fmt.Println(string(m.Config), m.Tags)
	runs, _ := s.ListRuns(ctx)
	fmt.Println(runs[0].Run, runs[0].TrainingIterations)
	// Output:
	// {"architecture":"unet","trainer":{"lr":1e-4}} map[seed:2]
	// unet__1 0
}
