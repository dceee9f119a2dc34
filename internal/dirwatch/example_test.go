package dirwatch_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/statstore/statstore/internal/dirwatch"
)

func Example() {
	dir, err := os.MkdirTemp("", "dirwatch")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := dirwatch.Start(ctx, []string{dir}, dirwatch.Options{Mode: dirwatch.Notify})
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "run_1"), []byte("x"), 0o644); err != nil {
		panic(err)
	}
	for t := range w.C {
		if t.Names["run_1"] {
			fmt.Println(w.Mode(), "run_1 changed")
			break
		}
	}
	// Output: notify run_1 changed
}
