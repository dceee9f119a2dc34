package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
)

// Exit statuses.
const (
	exitOK      = 0
	exitError   = 1
	exitUsage   = 2
	exitCorrupt = 3
)

// usageError is a bad command line: an unknown flag or command, a wrong
// number of arguments, a flag value that does not parse.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// userError is an error with a message and a hint written for the user.
type userError struct {
	msg  string
	hint string
	code int   // exit status; 0 means exitError
	err  error // wrapped sentinel, if any
}

func (e *userError) Error() string { return e.msg }
func (e *userError) Unwrap() error { return e.err }

// explain turns an error into the message, hint and exit status printed
// to the user: sentinel errors of package statstore get a hint on what to
// do next.
func explain(err error) (msg, hint string, code int) {
	var ue *userError
	if errors.As(err, &ue) {
		code = ue.code
		if code == 0 {
			code = exitError
		}
		return ue.msg, ue.hint, code
	}
	msg = err.Error()
	var usage usageError
	var sig interrupted
	switch {
	case errors.As(err, &sig):
		return msg, "", sig.exitCode()
	case errors.As(err, &usage), isCobraUsage(msg):
		return msg, "see statstore --help, or statstore COMMAND --help", exitUsage
	case errors.Is(err, statstore.ErrCorrupt):
		return msg, "run statstore fsck to see the damage and statstore repair to keep the longest valid prefix (it makes a backup first)", exitCorrupt
	case errors.Is(err, statstore.ErrReadOnly):
		return msg, "a DaCapo directory is read in place but never written: convert it with statstore --store NEW_DIR import dacapo DIR", exitError
	case errors.Is(err, statstore.ErrInvalidRunName):
		return msg, "a run name is any UTF-8 text of 1 to 200 bytes without /, \\ or control characters, and not . or ..", exitError
	case errors.Is(err, statstore.ErrMetadataMismatch):
		return msg, "the run already has validation scores with other datasets, parameter sets or criteria: pass the same metadata, or delete them first with statstore delete RUN --validation", exitError
	case errors.Is(err, statstore.ErrOutOfOrder), errors.Is(err, statstore.ErrDuplicateIteration):
		return msg, "iterations must be strictly increasing, one entry per iteration", exitError
	case errors.Is(err, statstore.ErrShapeMismatch):
		return msg, "every scores array is nested [dataset][parameter set][criterion] with the sizes of the metadata", exitError
	case errors.Is(err, statstore.ErrUnavailable):
		return msg, "the store cannot be reached right now (a database that is down or restarting?); the write either happened whole or not at all: run the command again when it is back", exitError
	case errors.Is(err, statstore.ErrStorageFull):
		return msg, "the disk (or database) is full and nothing was written: free space, then run the command again", exitError
	case errors.Is(err, statstore.ErrNotFound):
		return msg, "list what the store holds with statstore runs", exitError
	case errors.Is(err, context.Canceled):
		return "interrupted", "", exitError
	}
	return msg, "", exitError
}

// isCobraUsage recognises the usage errors cobra makes itself.
func isCobraUsage(msg string) bool {
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "requires at most", "flag needs an argument", "required flag", "if any flags in the group"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// usageArgs wraps a cobra argument check so that its errors are usage errors.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError{fmt.Errorf("%s: %w; usage: %s", cmd.CommandPath(), err, cmd.UseLine())}
		}
		return nil
	}
}

// namePathsOnce removes the repetitions of each path from msg: layers of
// wrapping each name the path they work on ("open store P: filestore:
// open P: mkdir P: not a directory"), which a user needs to read once
// ("open store P: filestore: open: mkdir: not a directory"). A path is
// matched as a whole word followed by a colon, so a path that only starts
// another one is left alone.
func namePathsOnce(msg string, paths []string) string {
	for _, p := range paths {
		if len(p) < 2 {
			continue // "/" or ".": too short to tell from other text
		}
		tok := " " + p + ":"
		first := strings.Index(msg, tok)
		if first < 0 {
			continue
		}
		end := first + len(tok)
		msg = msg[:end] + strings.ReplaceAll(msg[end:], tok, ":")
	}
	return msg
}

// pathsIn returns the paths of the *fs.PathError and *os.LinkError values
// in err's chain.
func pathsIn(err error) []string {
	var out []string
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
			return
		case *fs.PathError:
			out = append(out, e.Path)
		case *os.LinkError:
			out = append(out, e.Old, e.New)
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		}
	}
	walk(err)
	return out
}
