package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/dacapo"
	"github.com/statstore/statstore/internal/bytesize"
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
	case isMissingDatabase(err):
		return msg, "the database must exist before statstore uses it (statstore creates its tables, not the database): create it with createdb NAME, e.g. sudo -u postgres createdb -O \"$USER\" statstore; see PostgreSQL in the README", exitError
	case errors.Is(err, statstore.ErrCorrupt):
		return msg, "run statstore fsck to see the damage and statstore repair to keep every entry that still verifies (it makes a backup first)", exitCorrupt
	case budgetHint(err) != "":
		return msg, budgetHint(err), exitError
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

// budgetHint says how to read a DaCapo pickle over the memory budget, ""
// when err holds none.
func budgetHint(err error) string {
	var be *dacapo.BudgetError
	if !errors.As(err, &be) {
		return ""
	}
	unit := bytesize.GiB
	if be.Need < bytesize.GiB {
		unit = bytesize.MiB
	}
	need := bytesize.Format((be.Need + unit - 1) / unit * unit)
	return fmt.Sprintf("raise the memory budget (%s now) with --memory-budget %s, or set %s=%s for every command",
		bytesize.Format(be.Budget), strings.ReplaceAll(need, " ", ""), envMemoryBudget, strings.ReplaceAll(need, " ", ""))
}

// isMissingDatabase reports whether err is PostgreSQL's answer for a
// database that does not exist (SQLSTATE 3D000, invalid_catalog_name).
func isMissingDatabase(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "3D000"
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

// maxSuggestions is how many run names a "did you mean" hint offers.
const maxSuggestions = 3

// suggestRuns returns up to maxSuggestions names among runs that look like
// a mistyped name: the same name in another case, those that the name is a
// prefix of (or that are a prefix of it), and those within a few edits of
// it (editDistance up to a third of the name's length, at least 1, at most
// 4), closest first.
func suggestRuns(name string, runs []string) []string {
	type candidate struct {
		run  string
		dist int
	}
	limit := min(max(len([]rune(name))/3, 1), 4)
	lower := strings.ToLower(name)
	var cands []candidate
	for _, r := range runs {
		if r == name {
			continue
		}
		lr := strings.ToLower(r)
		switch d := editDistance(lower, lr); {
		case lr == lower:
			cands = append(cands, candidate{r, 0})
		case strings.HasPrefix(lr, lower) || strings.HasPrefix(lower, lr):
			cands = append(cands, candidate{r, min(d, limit)})
		case d <= limit:
			cands = append(cands, candidate{r, d})
		}
	}
	slices.SortStableFunc(cands, func(a, b candidate) int {
		if a.dist != b.dist {
			return a.dist - b.dist
		}
		return strings.Compare(a.run, b.run)
	})
	out := make([]string, 0, maxSuggestions)
	for _, c := range cands[:min(len(cands), maxSuggestions)] {
		out = append(out, c.run)
	}
	return out
}

// editDistance is the edit distance between a and b in runes: insertions,
// deletions, substitutions and transpositions of neighbours ("othre" for
// "other") count one each (the optimal string alignment distance).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// withRunSuggestions adds to err, when it says that something was not
// found, a "did you mean" hint for each of the named runs the store does
// not list, with the names it lists that look alike. Any other error, or
// one where no name looks alike, is returned as it is.
func withRunSuggestions(ctx context.Context, s statstore.StatsStore, err error, named []string) error {
	if err == nil || !errors.Is(err, statstore.ErrNotFound) || len(named) == 0 {
		return err
	}
	infos, lerr := s.ListRuns(ctx)
	if lerr != nil {
		return err
	}
	runs := make([]string, len(infos))
	listed := make(map[string]bool, len(infos))
	for i, info := range infos {
		runs[i] = info.Run
		listed[info.Run] = true
	}
	var hints []string
	for _, name := range named {
		if listed[name] {
			continue
		}
		sug := suggestRuns(name, runs)
		switch {
		case len(sug) == 0:
		case len(named) == 1:
			hints = append(hints, fmt.Sprintf("did you mean %s?", orList(sug)))
		default:
			hints = append(hints, fmt.Sprintf("for %q, did you mean %s?", name, orList(sug)))
		}
	}
	if len(hints) == 0 {
		return err
	}
	msg, hint, code := explain(err)
	if hint != "" {
		hints = append(hints, "Otherwise "+hint)
	}
	return &userError{msg: msg, hint: strings.Join(hints, " "), code: code, err: err}
}

// orList joins quoted names as "a", "b" or "c".
func orList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}
