package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestHandleSignals: the first signal cancels the context with the signal
// as its cause and does not exit; the second exits at once with 128 + its
// number and a message.
func TestHandleSignals(t *testing.T) {
	for _, tc := range []struct {
		first, second os.Signal
		wantExit      int
	}{
		{syscall.SIGTERM, syscall.SIGTERM, 143},
		{os.Interrupt, os.Interrupt, 130},
		{syscall.SIGTERM, os.Interrupt, 130},
	} {
		t.Run(signalName(tc.first)+"+"+signalName(tc.second), func(t *testing.T) {
			sigs := make(chan os.Signal)
			var mu sync.Mutex
			var stderr bytes.Buffer
			exits := make(chan int, 2)
			ctx, stop := handleSignals(context.Background(), sigs, lockedWriter{&mu, &stderr}, func(code int) { exits <- code })
			defer stop()
			sigs <- tc.first
			select {
			case <-ctx.Done():
			case <-time.After(hangDetector):
				t.Fatalf("context not cancelled %v after %v", hangDetector, signalName(tc.first))
			}
			var sig interrupted
			if cause := context.Cause(ctx); !errors.As(cause, &sig) || sig.sig != tc.first {
				t.Errorf("context.Cause = %v, want interrupted by %v", cause, signalName(tc.first))
			}
			select {
			case code := <-exits:
				t.Fatalf("the first signal exited (status %d), want the command to stop by itself", code)
			default:
			}
			sigs <- tc.second
			select {
			case code := <-exits:
				if code != tc.wantExit {
					t.Errorf("second signal: exit status %d, want %d", code, tc.wantExit)
				}
			case <-time.After(hangDetector):
				t.Fatalf("no exit %v after the second signal", hangDetector)
			}
			mu.Lock()
			defer mu.Unlock()
			if !strings.Contains(stderr.String(), signalName(tc.second)) {
				t.Errorf("stderr %q does not name %v", stderr.String(), signalName(tc.second))
			}
		})
	}
}

// TestHandleSignalsStop: stop returns without a signal, and the context is
// then done without an interrupted cause.
func TestHandleSignalsStop(t *testing.T) {
	ctx, stop := handleSignals(context.Background(), make(chan os.Signal), io.Discard, func(code int) { t.Errorf("exit(%d) without a signal", code) })
	stop()
	var sig interrupted
	if ctx.Err() == nil || errors.As(context.Cause(ctx), &sig) {
		t.Errorf("after stop: ctx.Err() = %v, cause %v; want cancelled, not interrupted", ctx.Err(), context.Cause(ctx))
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestInterruptedPutInProcess: a put whose context is cancelled by a
// signal reports the interruption, exits 128+signal and stores nothing.
func TestInterruptedPutInProcess(t *testing.T) {
	dir := t.TempDir() + "/stats"
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(interrupted{syscall.SIGTERM})
	var stdout, stderr bytes.Buffer
	app := &App{Stdin: strings.NewReader(trainingDocs(iterations(0, 1, 2)...)), Stdout: &stdout, Stderr: &stderr}
	code := app.Run(ctx, []string{"--store", dir, "put", "training", "r"})
	if code != 143 || !strings.Contains(stderr.String(), "interrupted by SIGTERM") || !strings.Contains(stderr.String(), "nothing was stored") {
		t.Errorf("exit %d, stderr %q; want 143 and interrupted by SIGTERM, nothing was stored", code, stderr.String())
	}
	if r := run(t, "--store", dir, "runs", "--json"); strings.Contains(r.stdout, `"r"`) {
		t.Errorf("the interrupted put stored run r:\n%s", r.stdout)
	}
}
