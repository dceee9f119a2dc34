//go:build unix

package fsutil_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/statstore/statstore/internal/fsutil"
)

// A named pipe where a data file must be is refused at once, with what it
// is: opening it the ordinary way would wait for a writer forever.
func ExampleOpenRegular() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	pipe := filepath.Join(dir, "run")
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		panic(err)
	}
	_, _, err = fsutil.OpenRegular(pipe)
	var nr *fsutil.NotRegularError
	fmt.Println(errors.As(err, &nr), fsutil.ModeName(nr.Mode))

	if err := os.WriteFile(filepath.Join(dir, "file"), []byte("data"), 0o644); err != nil {
		panic(err)
	}
	f, fi, err := fsutil.OpenRegular(filepath.Join(dir, "file"))
	fmt.Println(fi.Size(), err)
	f.Close()
	// Output:
	// true FIFO (named pipe)
	// 4 <nil>
}
