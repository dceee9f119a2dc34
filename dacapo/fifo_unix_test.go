//go:build unix

package dacapo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/statstore/statstore"
)

// TestFIFO: a FIFO where a pickle is expected is refused by name, without
// waiting for a writer (issue 10, C1). A hung read is released after a
// minute, far beyond what reading a few small files takes, so the test
// fails instead of hanging.
func TestFIFO(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/proto4")); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, TrainingDir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	s := mustOpen(t, dir, Options{})
	ctx := context.Background()
	type answer struct {
		d   Detection
		err error
	}
	done := make(chan answer, 1)
	go func() {
		d, err := Detect(ctx, dir)
		if err == nil {
			_, err = s.RetrieveTrainingStats(ctx, "pipe")
		}
		done <- answer{d, err}
	}()
	var a answer
	select {
	case a = <-done:
	case <-time.After(time.Minute):
		t.Error("reading a FIFO hung")
		for range 100 { // release the blocked reader
			if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				f.Close()
			}
			time.Sleep(10 * time.Millisecond)
		}
		a = <-done
	}
	if a.d.Kind != DirDaCapo {
		t.Errorf("Detect: %v, want a DaCapo directory", a.d.Kind)
	}
	var ce *statstore.CorruptError
	if !errors.As(a.err, &ce) || ce.Path != fifo || !strings.Contains(a.err.Error(), "FIFO") {
		t.Errorf("RetrieveTrainingStats of a FIFO: got %v, want a corrupt error naming the FIFO %s", a.err, fifo)
	}
}
