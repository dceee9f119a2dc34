//go:build unix

package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// hangDetector bounds how long a signalled process may take to exit: far
// more than it needs (it should stop within a second), so that a slow
// shared machine cannot fail the test; only a process that ignores the
// signal reaches it.
const hangDetector = 10 * time.Second

// lineWatcher copies what a process writes to a pipe into a buffer and
// tells when a line containing a given text has appeared.
type lineWatcher struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	found chan struct{}
	done  chan struct{}
}

// watchLines reads r until EOF, closing found when a line contains want.
func watchLines(r io.Reader, want string) *lineWatcher {
	w := &lineWatcher{found: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		sc := bufio.NewScanner(r)
		seen := false
		for sc.Scan() {
			w.mu.Lock()
			w.buf.WriteString(sc.Text() + "\n")
			w.mu.Unlock()
			if !seen && strings.Contains(sc.Text(), want) {
				seen = true
				close(w.found)
			}
		}
		_, _ = io.Copy(io.Discard, r)
	}()
	return w
}

func (w *lineWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestSignalsStopCommands: a command that would block forever (put reading
// a stdin pipe that is never closed, serve) stops on SIGTERM or SIGINT:
// the process exits with 128+signal and says it was interrupted, and put
// stores nothing. Issue 10 (C1): the process ignored SIGTERM/SIGINT while
// blocked in a read.
func TestSignalsStopCommands(t *testing.T) {
	bin := buildBinary(t)
	tests := []struct {
		name string
		args []string
		// ready is printed once the command runs (with its signal
		// handler installed) and is waiting.
		ready string
		// wantCode is the exit status wanted per signal; 0 for serve,
		// whose normal way to stop is a signal.
		wantCode map[syscall.Signal]int
		wantErr  string
	}{
		{
			name:     "put training reading a pipe",
			args:     []string{"--log-level", "debug", "put", "training", "r"},
			ready:    "reading stdin",
			wantCode: map[syscall.Signal]int{syscall.SIGTERM: 143, syscall.SIGINT: 130},
			wantErr:  "interrupted",
		},
		{
			name:     "put validation reading a pipe",
			args:     []string{"--log-level", "debug", "put", "validation", "r", "--preset", "dummy", "--datasets", "a", "--parameters", "threshold=0.5"},
			ready:    "reading stdin",
			wantCode: map[syscall.Signal]int{syscall.SIGTERM: 143, syscall.SIGINT: 130},
			wantErr:  "interrupted",
		},
		{
			name:     "serve",
			args:     []string{"serve", "--demo", "--addr", "127.0.0.1:0"},
			ready:    "Press Ctrl+C to stop",
			wantCode: map[syscall.Signal]int{syscall.SIGTERM: 0, syscall.SIGINT: 0},
			wantErr:  "shutting down",
		},
	}
	for _, tc := range tests {
		for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
			t.Run(tc.name+"/"+sig.String(), func(t *testing.T) {
				store := filepath.Join(t.TempDir(), "stats")
				args := append([]string{"--store", store}, tc.args...)
				if tc.args[0] == "serve" {
					args = tc.args // --demo serves a store of its own
				}
				cmd := exec.Command(bin, args...)
				cmd.Env = append(os.Environ(), "STATSTORE=")
				// A stdin pipe that is never closed: the command would
				// wait for more input forever. One complete line is
				// written, so that put has something it could store.
				stdinR, stdinW, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				defer stdinW.Close()
				cmd.Stdin = stdinR
				outR, outW := io.Pipe()
				errR, errW := io.Pipe()
				cmd.Stdout, cmd.Stderr = outW, errW
				stdout := watchLines(outR, tc.ready)
				stderr := watchLines(errR, tc.ready)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				stdinR.Close()
				if _, err := io.WriteString(stdinW, `{"iteration": 0, "loss": 1, "time": 1, "scores": [[[1]]]}`+"\n"); err != nil {
					t.Fatal(err)
				}
				exited := make(chan error, 1)
				go func() {
					err := cmd.Wait()
					outW.Close()
					errW.Close()
					exited <- err
				}()
				select {
				case <-stdout.found:
				case <-stderr.found:
				case err := <-exited:
					t.Fatalf("exited before it was ready (%v)\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
				case <-time.After(time.Minute):
					_ = cmd.Process.Kill()
					t.Fatalf("did not print %q within a minute\nstdout:\n%s\nstderr:\n%s", tc.ready, stdout, stderr)
				}
				if err := cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
				var waitErr error
				select {
				case waitErr = <-exited:
				case <-time.After(hangDetector):
					_ = cmd.Process.Kill()
					<-exited
					t.Fatalf("still running %v after %v\nstdout:\n%s\nstderr:\n%s", sig, hangDetector, stdout, stderr)
				}
				<-stdout.done
				<-stderr.done
				code := 0
				var exitErr *exec.ExitError
				if errors.As(waitErr, &exitErr) {
					code = exitErr.ExitCode()
					if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
						t.Fatalf("killed by %v instead of exiting with a message\nstderr:\n%s", ws.Signal(), stderr)
					}
				} else if waitErr != nil {
					t.Fatal(waitErr)
				}
				if want := tc.wantCode[sig]; code != want {
					t.Errorf("exit status %d, want %d\nstderr:\n%s", code, want, stderr)
				}
				if !strings.Contains(stderr.String(), tc.wantErr) {
					t.Errorf("stderr does not say %q:\n%s", tc.wantErr, stderr)
				}
				if strings.Contains(stderr.String(), "goroutine ") {
					t.Errorf("printed a stack trace:\n%s", stderr)
				}
				if slices.Contains(tc.args, "put") {
					out, _ := exec.Command(bin, "--store", store, "runs", "--json").Output()
					if bytes.Contains(out, []byte(`"r"`)) {
						t.Errorf("an interrupted put stored run r: runs --json gives\n%s", out)
					}
				}
			})
		}
	}
}
