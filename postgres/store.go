package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/statstore/statstore"
)

// maxAttempts bounds how often a call is tried when it failed before
// anything reached the server (a pooled connection to a server that has
// restarted since).
const maxAttempts = 3

// Options configure Open.
type Options struct {
	// Logger receives the extend and overwrite decisions; nil discards them.
	Logger *slog.Logger
	// MaxConns bounds the connection pool; 0 means pgx's default (the
	// larger of 4 and the number of CPUs), or pool_max_conns in the URL.
	MaxConns int32
}

// Store is a statstore.StatsStore kept in a PostgreSQL database. It is safe
// for concurrent use, also by many processes sharing one database.
type Store struct {
	pool   *pgxpool.Pool
	log    *slog.Logger
	closed atomic.Bool
}

var _ statstore.StatsStore = (*Store)(nil)

// Open connects to the database at url (a PostgreSQL URL or key=value
// connection string as pgx accepts, e.g.
// postgres://user@host/db?sslmode=disable) and brings its schema up to date
// by applying the embedded migrations. Close releases the connections.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: connection URL: %v (want postgres://user@host:port/database?options): %w", err, statstore.ErrInvalidArgument)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	migrations, err := loadMigrations(migrationFS)
	if err != nil {
		return nil, fmt.Errorf("postgres: embedded migrations: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{pool: pool, log: logger}
	var version int
	err = s.tx(ctx, "open: migrate the schema", pgx.TxOptions{}, func(tx pgx.Tx) error {
		var err error
		version, err = migrate(ctx, tx, migrations)
		return err
	})
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.log.Debug("postgres store open", "schema_version", version)
	return s, nil
}

// Close closes the connection pool, waiting for calls in progress. Later
// calls fail with statstore.ErrClosed.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.pool.Close()
	return nil
}

// do runs fn on a pooled connection. A call that failed before anything
// reached the server is retried on another connection; a connection that
// broke makes the pool drop all its connections, so that the next call
// reconnects (after a server restart, every pooled connection is dead).
func (s *Store) do(ctx context.Context, what string, fn func(*pgxConn) error) error {
	if s.closed.Load() {
		return fmt.Errorf("postgres: %s: %w", what, statstore.ErrClosed)
	}
	var err error
	for attempt := 1; ; attempt++ {
		var c *pgxpool.Conn
		c, err = s.pool.Acquire(ctx)
		if err != nil {
			if s.closed.Load() {
				return fmt.Errorf("postgres: %s: %w", what, statstore.ErrClosed)
			}
			if ctx.Err() != nil {
				return wrapError(what, err)
			}
			return fmt.Errorf("postgres: %s: cannot connect to PostgreSQL (is the server running and reachable?): %w", what, err)
		}
		err = fn(c)
		broken := c.Conn().IsClosed()
		c.Release()
		if err == nil {
			return nil
		}
		if !broken || ctx.Err() != nil {
			break // a server error, bad input, or the caller gave up
		}
		s.pool.Reset()
		if !pgconn.SafeToRetry(err) || attempt == maxAttempts {
			return fmt.Errorf("postgres: %s: lost the connection to PostgreSQL (the server stopped or restarted; "+
				"the call may not have completed, the next call reconnects): %w", what, err)
		}
	}
	return wrapError(what, err)
}

// tx runs fn in a transaction on a pooled connection (see do): fn's changes
// are committed together, or not at all.
func (s *Store) tx(ctx context.Context, what string, opts pgx.TxOptions, fn func(pgx.Tx) error) error {
	return s.do(ctx, what, func(c *pgxConn) error {
		return pgx.BeginTxFunc(ctx, c, opts, fn)
	})
}

// readTx runs fn in a read-only repeatable-read transaction: its queries
// see one snapshot, never part of a concurrent write.
func (s *Store) readTx(ctx context.Context, what string, fn func(pgx.Tx) error) error {
	return s.tx(ctx, what, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

// wrapError prefixes err with the package and the call.
func wrapError(what string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return fmt.Errorf("postgres: %s: server error: %w", what, err)
	}
	return fmt.Errorf("postgres: %s: %w", what, err)
}

// checkRun reports an invalid run name.
func checkRun(what, run string) error {
	if err := statstore.ValidateRunName(run); err != nil {
		return fmt.Errorf("postgres: %s: %w", what, err)
	}
	return nil
}

// pgxConn is a connection borrowed from the pool.
type pgxConn = pgxpool.Conn
