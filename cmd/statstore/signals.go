package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"syscall"
)

// interrupted is the cause with which the first SIGINT or SIGTERM cancels
// a command's context (see context.Cause).
type interrupted struct{ sig os.Signal }

func (e interrupted) Error() string { return "interrupted by " + signalName(e.sig) }

// exitCode is the conventional status of a process stopped by the
// signal: 128 + its number (130 for SIGINT, 143 for SIGTERM).
func (e interrupted) exitCode() int {
	if s, ok := e.sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return exitError
}

// signalName names a signal as users know it.
func signalName(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}

// handleSignals returns a context that the first signal received on sigs
// cancels, with cause interrupted{sig}: commands stop what they are doing
// and return. A second signal means "now": handleSignals writes one line
// to stderr and calls exit with 128 + the signal's number, without waiting
// for the command. stop ends the goroutine watching sigs and waits for it;
// call it when the command has returned.
func handleSignals(parent context.Context, sigs <-chan os.Signal, stderr io.Writer, exit func(int)) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		first := true
		for {
			select {
			case sig := <-sigs:
				if first {
					first = false
					cancel(interrupted{sig})
					continue
				}
				fmt.Fprintf(stderr, "statstore: %s received again: exiting at once\n", signalName(sig))
				exit(interrupted{sig}.exitCode())
				return
			case <-done:
				return
			}
		}
	}()
	return ctx, func() {
		close(done)
		<-finished
		cancel(nil)
	}
}
