package filestore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/filestore"
)

// A run's configuration lives in DIR/run_meta/<run>, checksummed: a
// flipped bit is reported with the file and the offset of the payload.
func ExampleStore_SetRunConfig() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "stats")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	s, err := filestore.Open(dir, filestore.Options{NoSync: true})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	if err := s.SetRunConfig(ctx, "run", json.RawMessage(`{"architecture": "unet"}`)); err != nil {
		panic(err)
	}
	m, _ := s.RetrieveRunMeta(ctx, "run")
	fmt.Println(string(m.Config))

	path := filepath.Join(dir, "run_meta", "run")
	data, _ := os.ReadFile(path)
	data[len(data)-3] ^= 1
	_ = os.WriteFile(path, data, 0o644)
	_, err = s.RetrieveRunMeta(ctx, "run")
	var ce *statstore.CorruptError
	fmt.Println(errors.As(err, &ce), ce.Offset)
	// Output:
	// {"architecture":"unet"}
	// true 20
}
