package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// main runs one command. SIGINT and SIGTERM cancel the command's context
// (it stops within about a second and exits with 128 + the signal's
// number); a second signal exits at once.
func main() {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, stop := handleSignals(context.Background(), sigs, os.Stderr, os.Exit)
	code := NewApp().Run(ctx, os.Args[1:])
	signal.Stop(sigs)
	stop()
	os.Exit(code)
}
