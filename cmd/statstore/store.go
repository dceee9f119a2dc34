package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/dacapo"
	"github.com/statstore/statstore/filestore"
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
)

// classify tells what spec names: a postgres URL, a DaCapo stats directory
// or (anything else) a statstore file store directory.
func classify(spec string) storeKind {
	switch {
	case strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		return kindPostgres
	case dacapo.IsStatsDir(spec):
		return kindDaCapo
	}
	return kindFile
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
	s, err := filestore.Open(spec, filestore.Options{Logger: a.log(), ReadOnly: acc == readOnly})
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", spec, err)
	}
	return s, nil
}

// withStore opens the current store, runs f and closes the store, keeping
// the first error.
func (a *App) withStore(ctx context.Context, acc access, f func(statstore.StatsStore) error) (err error) {
	s, err := a.openStore(ctx, a.storeSpec(), acc)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := s.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close store: %w", cerr)
		}
	}()
	return f(s)
}

// dacapoOptions builds the options for reading a DaCapo directory from the
// metadata flags.
func (a *App) dacapoOptions() (dacapo.Options, error) {
	opts := dacapo.Options{Logger: a.log(), Preset: a.global.preset, Datasets: a.global.datasets}
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
