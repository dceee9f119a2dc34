package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/dacapo"
	"github.com/statstore/statstore/filestore"
	"github.com/statstore/statstore/httpapi"
	"github.com/statstore/statstore/internal/bytesize"
	"github.com/statstore/statstore/postgres"
)

// access says whether a command writes to the store.
type access int

const (
	readOnly access = iota
	readWrite
)

// storeKind is what a --store value names.
type storeKind int

const (
	kindFile storeKind = iota
	kindDaCapo
	kindPostgres
	kindMixed // a directory holding both DaCapo pickles and statstore files
	kindHTTP  // a statstore server: http(s)://host:port
)

// classifySample is how many pickles or statstore files classify reads per
// sub-directory: enough to tell, few enough to keep every command fast on
// directories of many runs. fsck and repair read every file (refuseCheck).
const classifySample = 64

// classify tells what spec names: a postgres URL, a DaCapo stats directory,
// a directory mixing DaCapo pickles and statstore files, or (anything else)
// a statstore file store directory. Directories are told apart file by file
// (dacapo.Detect): an empty, truncated or foreign file among DaCapo pickles
// is one bad run, not a reason to take the directory for a file store.
func classify(spec string) storeKind {
	if strings.HasPrefix(spec, "postgres://") || strings.HasPrefix(spec, "postgresql://") {
		return kindPostgres
	}
	if strings.HasPrefix(spec, "http://") || strings.HasPrefix(spec, "https://") {
		return kindHTTP
	}
	d, err := dacapo.DetectSample(context.Background(), spec, classifySample)
	if err != nil {
		return kindFile // unreadable: the file store reports why
	}
	switch d.Kind {
	case dacapo.DirDaCapo:
		return kindDaCapo
	case dacapo.DirMixed:
		return kindMixed
	}
	return kindFile
}

// mixedError is the error for a directory holding both DaCapo pickles and
// statstore files: statstore does not guess which of them to read or check.
func mixedError(spec string) error {
	d, _ := dacapo.Detect(context.Background(), spec)
	return &userError{
		msg: fmt.Sprintf("%s holds both statstore files (e.g. %s) and DaCapo pickles (e.g. %s): statstore will not guess which it is, nor check, repair or write it",
			spec, d.Native, d.Pickle),
		hint: "move the DaCapo pickles (training_stats/<run>, validation_scores/<run>) to a directory of their own, then read that with --store DIR or import it with statstore import dacapo DIR",
		code: exitUsage,
		err:  statstore.ErrInvalidArgument,
	}
}

// refuseCheck is fsck's and repair's answer for a directory that is not
// statstore's own file store: a DaCapo directory, or one mixing DaCapo
// pickles and statstore files. It returns nil for anything else. A DaCapo
// directory is read in place and never checked, changed or repaired: a
// repair there would move DaCapo's pickles aside as "corrupt".
func refuseCheck(spec string) error {
	d, err := dacapo.Detect(context.Background(), spec)
	if err != nil {
		return &userError{
			msg:  fmt.Sprintf("cannot tell whether %s is a statstore file store or a DaCapo directory, so it is left alone: %v", spec, err),
			hint: "make its training_stats/ and validation_scores/ readable, then try again",
			err:  err,
		}
	}
	switch d.Kind {
	case dacapo.DirDaCapo:
		return &userError{
			msg:  fmt.Sprintf("%s is a DaCapo directory; statstore reads it in place and never checks or repairs it (its pickles are DaCapo's, not statstore's)", spec),
			hint: fmt.Sprintf("import it with `statstore --store NEW_DIR import dacapo %s`; `statstore --store %s runs` lists its runs and names any pickle it cannot read", spec, spec),
			code: exitUsage,
		}
	case dacapo.DirMixed:
		return mixedError(spec)
	}
	return nil
}

// dacapoError adds to an error met reading a DaCapo directory the hint that
// fits it: the generic hint for corrupt data suggests fsck and repair,
// which never touch a DaCapo directory.
func dacapoError(spec string, err error) error {
	if err == nil || !errors.Is(err, statstore.ErrCorrupt) {
		return err
	}
	return &userError{
		msg:  err.Error(),
		hint: fmt.Sprintf("%s is a DaCapo directory, which statstore reads in place and never repairs: re-create the damaged pickle with DaCapo or move it out of the directory; `statstore --store %s runs` lists every run, and the error of each that cannot be read", spec, spec),
		code: exitCorrupt,
		err:  err,
	}
}

// openStore opens the store spec names. A DaCapo directory is opened
// read-only with the metadata flags; asking to write to one is an error
// that suggests importing it. Reading a file store that does not exist is
// an error that suggests how to create one.
func (a *App) openStore(ctx context.Context, spec string, acc access) (statstore.StatsStore, error) {
	switch classify(spec) {
	case kindPostgres:
		s, err := postgres.Open(ctx, spec, postgres.Options{Logger: a.log()})
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL store %s: %w", redactURL(spec), err)
		}
		return s, nil
	case kindHTTP:
		token, err := a.token()
		if err != nil {
			return nil, err
		}
		s, err := httpapi.NewClient(spec, httpapi.ClientOptions{Token: token})
		if err != nil {
			return nil, usageError{err}
		}
		return s, nil
	case kindMixed:
		return nil, mixedError(spec)
	case kindDaCapo:
		if acc == readWrite {
			return nil, &userError{
				msg:  fmt.Sprintf("%s is a directory written by DaCapo, which statstore reads in place but never writes", spec),
				hint: fmt.Sprintf("convert it first: statstore --store NEW_DIR import dacapo %s", spec),
				err:  statstore.ErrReadOnly,
			}
		}
		opts, err := a.dacapoOptions()
		if err != nil {
			return nil, err
		}
		s, err := dacapo.Open(spec, opts)
		if err != nil {
			return nil, fmt.Errorf("open DaCapo directory %s: %w", spec, err)
		}
		return s, nil
	}
	if acc == readOnly {
		if _, err := os.Stat(spec); errors.Is(err, fs.ErrNotExist) {
			return nil, &userError{
				msg:  fmt.Sprintf("no store at %s", spec),
				hint: "name one with --store DIR (or $" + envStore + "), or create a sample with: statstore --store " + spec + " demo",
				err:  statstore.ErrNotFound,
			}
		}
	}
	s, err := filestore.Open(spec, filestore.Options{Logger: a.log(), ReadOnly: acc == readOnly, Watch: a.watch})
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", spec, err)
	}
	return s, nil
}

// withStore opens the current store, runs f and closes the store, keeping
// the first error.
func (a *App) withStore(ctx context.Context, acc access, f func(statstore.StatsStore) error) (err error) {
	spec := a.storeSpec()
	s, err := a.openStore(ctx, spec, acc)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := s.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close store: %w", cerr)
		}
	}()
	err = withRunSuggestions(ctx, s, f(s), a.runArgs)
	if _, ok := s.(*dacapo.Store); ok {
		return dacapoError(spec, err)
	}
	return corruptHint(classify(spec), err)
}

// corruptHint gives damage found in a PostgreSQL database or behind a
// server the hint that fits it: the generic one suggests fsck and repair,
// which work on a file store directory only.
func corruptHint(kind storeKind, err error) error {
	if err == nil || !errors.Is(err, statstore.ErrCorrupt) {
		return err
	}
	var hint string
	switch kind {
	case kindPostgres:
		hint = "the rows named fail statstore's checks, and statstore never changes damaged rows by itself: restore them from a database backup (pg_dump or your PostgreSQL backups); `statstore copy` moves every run that still verifies to another store"
	case kindHTTP:
		hint = "the server found damage in its store: its operator sees it with statstore fsck (file store) or in the server's log, on the server's machine"
	default:
		return err
	}
	return &userError{msg: err.Error(), hint: hint, code: exitCorrupt, err: err}
}

// dacapoOptions builds the options for reading a DaCapo directory from the
// metadata flags.
func (a *App) dacapoOptions() (dacapo.Options, error) {
	opts := dacapo.Options{Logger: a.log(), Preset: a.global.preset, Datasets: a.global.datasets, OnDecode: a.decodeProgress}
	budget, err := a.memoryBudget()
	if err != nil {
		return opts, err
	}
	opts.MemoryBudget = budget
	if a.global.meta != "" {
		m, err := readMetadataFile(a.global.meta)
		if err != nil {
			return opts, err
		}
		opts.Metadata = m
	}
	if a.global.parameters != "" {
		p, err := dacapo.ParseParameters(a.global.parameters)
		if err != nil {
			return opts, usageError{fmt.Errorf("--parameters %q: %w", a.global.parameters, err)}
		}
		opts.Parameters = p
	}
	return opts, nil
}

// memoryBudget is the memory budget for reading a DaCapo pickle:
// --memory-budget, else $STATSTORE_MEMORY_BUDGET, else 0 (dacapo's
// default).
func (a *App) memoryBudget() (int64, error) {
	spec, from := a.global.memoryBudget, "--memory-budget"
	if strings.TrimSpace(spec) == "" {
		spec, from = a.getenv(envMemoryBudget), "$"+envMemoryBudget
	}
	if strings.TrimSpace(spec) == "" {
		return 0, nil
	}
	n, err := bytesize.Parse(spec)
	if err == nil && n == 0 {
		err = fmt.Errorf("%q: want more than 0 bytes", spec)
	}
	if err != nil {
		return 0, usageError{fmt.Errorf("%s %w", from, err)}
	}
	return n, nil
}

// decodeProgress is dacapo's Options.OnDecode: it feeds the command's
// bytes progress bar, starting one (whose total grows with each file met)
// when the command has none yet, and the test hook.
func (a *App) decodeProgress(path string, done, size int64) {
	if a.onDecode != nil {
		a.onDecode(path, done, size)
	}
	if a.bar == nil {
		a.newBytesProgress(0, "reading")
	}
	if a.bar.bytes { // else the command's own bar counts runs
		a.bar.decoded(path, done, size)
	}
}

// redactURL hides a password in a connection URL.
func redactURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok {
		return u
	}
	if user, _, hasPass := strings.Cut(userinfo, ":"); hasPass {
		return scheme + "://" + user + ":xxxxx@" + host
	}
	return u
}

// envToken names the environment variable holding the token for a
// statstore server (--store http(s)://...), unless --token-file is given.
const envToken = "STATSTORE_TOKEN"

// maxTokenFile bounds the size of a token file.
const maxTokenFile = 4 << 10

// token returns the token to send to a statstore server: the first line
// of --token-file, else $STATSTORE_TOKEN, else none.
func (a *App) token() (string, error) {
	if a.global.tokenFile == "" {
		return strings.TrimSpace(a.getenv(envToken)), nil
	}
	f, err := os.Open(a.global.tokenFile)
	if err != nil {
		return "", &userError{msg: fmt.Sprintf("token file: %v", err), hint: "pass the file serve's --token-file reads, or set $" + envToken, code: exitUsage, err: err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	if err != nil {
		return "", fmt.Errorf("read token file %s: %w", a.global.tokenFile, err)
	}
	if len(data) > maxTokenFile {
		return "", usageError{fmt.Errorf("token file %s is larger than %d bytes: want the token alone", a.global.tokenFile, maxTokenFile)}
	}
	line, _, _ := strings.Cut(string(data), "\n")
	if t := strings.TrimSpace(line); t != "" {
		return t, nil
	}
	return "", usageError{fmt.Errorf("token file %s is empty", a.global.tokenFile)}
}
