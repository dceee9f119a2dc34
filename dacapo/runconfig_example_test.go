package dacapo_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/statstore/statstore/dacapo"
)

// DaCapo keeps each run's RunConfig beside the stats directory, in
// <runs_base_dir>/configs/runs/<run>; a Store serves it as the run's
// configuration, and import stores it with the run.
func ExampleStore_RetrieveRunMeta() {
	base, err := os.MkdirTemp("", "dacapo")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(base)
	_ = os.MkdirAll(filepath.Join(base, "stats", "training_stats"), 0o755)
	_ = os.MkdirAll(filepath.Join(base, "configs", "runs"), 0o755)
	config, _ := os.ReadFile(filepath.Join("testdata", "runconfig", "nan_run.p4"))
	_ = os.WriteFile(filepath.Join(base, "configs", "runs", "nan_run"), config, 0o644)
	plain, _ := os.ReadFile(filepath.Join("testdata", "runconfig", "plain_run.p4"))
	_ = os.WriteFile(filepath.Join(base, "configs", "runs", "plain_run"), plain, 0o644)

	s, err := dacapo.Open(filepath.Join(base, "stats"), dacapo.Options{})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	m, err := s.RetrieveRunMeta(context.Background(), "plain_run")
	fmt.Println(len(m.Config) > 0, err)
	_, err = s.RetrieveRunMeta(context.Background(), "nan_run")
	fmt.Println(err != nil)
	// Output:
	// true <nil>
	// true
}
