package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DaCapo's validation list after "dacapo validate RUN 800" (re-validated)
// and "dacapo validate RUN 0" (late), stored with put: merged by iteration.
func Example_putValidation() {
	dir, err := os.MkdirTemp("", "statstore-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	meta := filepath.Join(dir, "meta.json")
	if err := os.WriteFile(meta, []byte(`{"datasets": ["crop_a"], "parameters": [{"id": 0, "values": {"threshold": 0.5}}], "criteria": "dummy"}`), 0o644); err != nil {
		panic(err)
	}
	put := func(docs ...string) {
		app := &App{Stdin: strings.NewReader(strings.Join(docs, "\n")), Stdout: os.Stdout, Stderr: os.Stdout, Getenv: func(string) string { return "" }}
		app.Run(context.Background(), []string{"--store", filepath.Join(dir, "stats"), "--meta", meta, "--log-level", "error", "put", "validation", "my_run"})
	}
	doc := func(it int, v float64) string {
		return fmt.Sprintf(`{"iteration": %d, "scores": [[[%v, %v]]]}`, it, v, 1-v)
	}
	put(doc(400, 0.5), doc(800, 0.6), doc(1200, 0.7))
	put(doc(400, 0.5), doc(800, 0.6), doc(1200, 0.7), doc(800, 0.65), doc(0, 0.1))
	// Output:
	// my_run validation: merged by iteration: 3 inserted, 0 replaced, 0 unchanged; validated until 1201 (was 0)
	// my_run validation: merged by iteration: 1 inserted, 1 replaced, 2 unchanged; validated until 1201 (was 1201); re-validated iterations [800] replace their stored scores
}
