package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// App is one invocation of the statstore command: where it reads and
// writes, its environment and how it opens stores. Tests build one per
// command line and call Run in-process.
type App struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv looks up environment variables ($STATSTORE); nil means none
	// are set.
	Getenv func(string) string
	// Progress enables progress bars on Stderr (set when Stderr is a
	// terminal).
	Progress bool

	// Interactive says that Stdin is a terminal a person answers prompts
	// on (delete asks before it deletes).
	Interactive bool

	// Set while a command runs, from the global flags.
	global globalFlags
	logger *slog.Logger
	// runArgs are the run names given as arguments to the command (for
	// "did you mean" hints).
	runArgs []string
	// watch is serve's --watch: how a file store follows other
	// processes' writes ("" is auto).
	watch string
	// bar is the command's progress bar, nil until one starts.
	bar *progress
	// now is the clock of progress bars; nil means time.Now.
	now func() time.Time
	// onDecode, when set, is called as package dacapo decodes a pickle
	// (its Options.OnDecode), besides the progress bar.
	onDecode func(path string, done, size int64)
}

// NewApp returns an App wired to the process: os.Stdin, os.Stdout,
// os.Stderr, os.Getenv, progress bars when stderr is a terminal and
// prompts when stdin is one.
func NewApp() *App {
	return &App{
		Stdin:       os.Stdin,
		Stdout:      os.Stdout,
		Stderr:      os.Stderr,
		Getenv:      os.Getenv,
		Progress:    term.IsTerminal(int(os.Stderr.Fd())),
		Interactive: term.IsTerminal(int(os.Stdin.Fd())),
	}
}

// Run executes the command line args (without the program name) and
// returns the exit status. Errors are printed to Stderr as a message and a
// hint, never as a stack trace.
func (a *App) Run(ctx context.Context, args []string) int {
	if a.Progress {
		// Output clears the progress bar first; so does the end.
		stdout := a.Stdout
		a.Stdout = clearingWriter{w: stdout, app: a}
		defer func() { a.Stdout = stdout }()
	}
	defer func() { a.bar.done() }()
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetIn(a.stdin())
	root.SetOut(a.Stdout)
	root.SetErr(a.Stderr)
	err := root.ExecuteContext(ctx)
	a.bar.done() // before any error is printed
	if err == nil {
		return exitOK
	}
	var sig interrupted
	if cause := context.Cause(ctx); errors.As(cause, &sig) && !errors.As(err, &sig) {
		// The command failed because the signal cancelled what it was
		// doing: say so first.
		err = fmt.Errorf("%w: %w", sig, err)
	}
	return a.report(err)
}

// report prints err for a user and returns its exit status.
func (a *App) report(err error) int {
	msg, hint, code := explain(err)
	paths := pathsIn(err)
	if spec := a.storeSpec(); !strings.Contains(spec, "://") {
		paths = append(paths, spec)
	}
	if a.global.meta != "" {
		paths = append(paths, a.global.meta)
	}
	msg = namePathsOnce(msg, paths)
	fmt.Fprintf(a.Stderr, "statstore: %s\n", msg)
	if hint != "" {
		fmt.Fprintf(a.Stderr, "hint: %s\n", hint)
	}
	return code
}

func (a *App) getenv(key string) string {
	if a.Getenv == nil {
		return ""
	}
	return a.Getenv(key)
}

func (a *App) stdin() io.Reader {
	if a.Stdin == nil {
		return eofReader{}
	}
	return a.Stdin
}

// log returns the logger configured by --log-level (discarding before the
// flags are parsed).
func (a *App) log() *slog.Logger {
	if a.logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return a.logger
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
