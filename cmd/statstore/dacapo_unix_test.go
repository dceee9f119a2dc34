//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hangLimit is how long a command may take before it is taken for hung:
// far beyond what reading a few small files takes, even on a loaded
// machine; only a hang reaches it.
const hangLimit = 60 * time.Second

// runNoHang runs args like run, failing the test when the command has not
// returned after hangLimit; release then unblocks it so no goroutine leaks.
func runNoHang(t *testing.T, release func(), args ...string) result {
	t.Helper()
	done := make(chan result, 1)
	go func() { done <- run(t, args...) }()
	select {
	case r := <-done:
		return r
	case <-time.After(hangLimit):
		t.Errorf("statstore %s hung (no answer after %v)", strings.Join(args, " "), hangLimit)
		release()
		return <-done
	}
}

// TestDaCapoFIFO: a FIFO among DaCapo pickles is one bad run named as a
// FIFO; no command waits for a writer that never comes (issue 10, C1: runs
// hung forever).
func TestDaCapoFIFO(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dacapo")
	copyDir(t, filepath.Join("..", "..", "dacapo", "testdata", "proto4"), dir)
	fifo := filepath.Join(dir, "training_stats", "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	// release opens the FIFO for writing and closes it: a reader blocked
	// in open or read returns.
	release := func() {
		for range 100 {
			if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				f.Close()
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	r := runNoHang(t, release, "--store", dir, "runs")
	if r.code != exitCorrupt || !strings.Contains(r.stdout, "plain_run") || !strings.Contains(r.stdout, "pipe") || !strings.Contains(r.stderr, fifo) || !strings.Contains(r.stderr, "FIFO") {
		t.Errorf("runs: exit %d, stdout %q, stderr %q; want exit %d, the other runs listed and the FIFO %s with its error", r.code, r.stdout, r.stderr, exitCorrupt, fifo)
	}
	r = runNoHang(t, release, "--store", dir, "show", "pipe")
	if r.code != exitCorrupt || !strings.Contains(r.stderr, fifo) || !strings.Contains(r.stderr, "FIFO") {
		t.Errorf("show pipe: exit %d, stderr %q; want exit %d naming the FIFO %s", r.code, r.stderr, exitCorrupt, fifo)
	}
	for _, cmd := range []string{"fsck", "repair"} {
		r = runNoHang(t, release, "--store", dir, cmd)
		if r.code != exitUsage || !strings.Contains(r.stderr, "is a DaCapo directory") {
			t.Errorf("%s: exit %d, stderr %q; want exit %d: a DaCapo directory", cmd, r.code, r.stderr, exitUsage)
		}
	}
	store := filepath.Join(t.TempDir(), "stats")
	r = runNoHang(t, release, "--store", store, "import", "dacapo", dir)
	if r.code != exitCorrupt || !strings.Contains(r.stderr, fifo) || !strings.Contains(r.stdout, "imported 3 run(s)") {
		t.Errorf("import: exit %d, stdout %q, stderr %q; want 3 runs imported and exit %d naming the FIFO", r.code, r.stdout, r.stderr, exitCorrupt)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was changed: %v, %v", fi, err)
	}
}
