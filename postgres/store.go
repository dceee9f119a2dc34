package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

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
	// Now is the clock that dates trash entries; nil is time.Now.
	Now func() time.Time
}

// Store is a statstore.StatsStore kept in a PostgreSQL database. It is safe
// for concurrent use, also by many processes sharing one database.
type Store struct {
	pool   *pgxpool.Pool
	log    *slog.Logger
	clock  func() time.Time // nil: time.Now
	closed atomic.Bool
	listen listener // Watch's LISTEN connection
	rows   rowCache // the row each training write left, see fastappend.go
	// beforeLevelsWrite, when set (by tests), runs in extendLevels after
	// the entries are read and before their summaries are written.
	beforeLevelsWrite func()
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
	s := &Store{pool: pool, log: logger, clock: opts.Now}
	var version int
	err = s.tx(ctx, "open: migrate the schema", pgx.TxOptions{}, func(tx pgx.Tx) error {
		var err error
		if version, err = migrate(ctx, tx, migrations); err != nil {
			return err
		}
		filled, err := fillSummaries(ctx, tx)
		if filled > 0 {
			logger.Info("run summaries filled in from the histories", "runs", filled)
		}
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
	s.stopListening()
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
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) {
				if sentinel, _ := classifyServerError(pgErr); sentinel == nil {
					// The server answered and refused: a wrong password,
					// a database that does not exist. Retrying will not
					// help.
					return fmt.Errorf("postgres: %s: PostgreSQL refused the connection: %w", what, err)
				}
				return wrapError(what, err)
			}
			return unavailableError(what, "cannot connect to PostgreSQL (is the server running and reachable?)", err)
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
			return unavailableError(what, "lost the connection to PostgreSQL (the server stopped or restarted; "+
				"the call may not have completed, the next call reconnects)", err)
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

// wrapError prefixes err with the package and the call. A server error
// that a client should retry (the server is shutting down, starting up or
// out of connections; a serialization failure) wraps
// statstore.ErrUnavailable, a full disk statstore.ErrStorageFull and a
// value the database refuses statstore.ErrInvalidArgument; their messages
// are the server's words without the SQLSTATE code.
func wrapError(what string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if sentinel, msg := classifyServerError(pgErr); sentinel != nil {
			return &backendError{msg: fmt.Sprintf("postgres: %s: %s", what, msg), sentinel: sentinel, err: err}
		}
		return fmt.Errorf("postgres: %s: server error: %w", what, err)
	}
	return fmt.Errorf("postgres: %s: %w", what, err)
}

// SQLSTATE codes (PostgreSQL manual, appendix A) that wrapError classifies
// besides whole classes.
const (
	sqlstateDiskFull       = "53100"
	sqlstateCheckViolation = "23514"
)

// retryableSQLSTATE reports the codes of errors a client should retry
// later: admin_shutdown, crash_shutdown, cannot_connect_now,
// too_many_connections, out_of_memory, serialization_failure,
// deadlock_detected.
func retryableSQLSTATE(code string) bool {
	switch code {
	case "57P01", "57P02", "57P03", "53300", "53200", "40001", "40P01":
		return true
	}
	return false
}

// classifyServerError returns the sentinel a server error wraps (nil for
// none) and its message for the user.
func classifyServerError(e *pgconn.PgError) (error, string) {
	class := e.Code[:min(2, len(e.Code))]
	switch {
	case e.Code == sqlstateDiskFull:
		return statstore.ErrStorageFull, fmt.Sprintf("the database server's disk is full (%s); nothing was written, free space and retry", e.Message)
	case class == "08", retryableSQLSTATE(e.Code):
		return statstore.ErrUnavailable, fmt.Sprintf("PostgreSQL cannot take the call right now (%s); retry later", e.Message)
	case class == "22", // data exception: a value out of range, malformed
		e.Code == sqlstateCheckViolation:
		return statstore.ErrInvalidArgument, fmt.Sprintf("PostgreSQL refused a value (%s)", e.Message)
	}
	return nil, ""
}

// unavailableError reports that the server could not be reached or the
// connection broke: the call may succeed when retried. For a failed dial
// the message gives the network error alone ("dial unix P: connect: ...");
// pgx's own message names the address twice, and the user and database.
func unavailableError(what, msg string, err error) error {
	detail := err.Error()
	var opErr *net.OpError
	if errors.As(err, &opErr) && !strings.Contains(detail, "\n") {
		detail = opErr.Error()
	}
	return &backendError{msg: fmt.Sprintf("postgres: %s: %s: %s", what, msg, detail), sentinel: statstore.ErrUnavailable, err: err}
}

// backendError is an error whose message is written for the user; it
// wraps a root sentinel and the driver's error.
type backendError struct {
	msg      string
	sentinel error
	err      error
}

func (e *backendError) Error() string   { return e.msg + ": " + e.sentinel.Error() }
func (e *backendError) Unwrap() []error { return []error{e.sentinel, e.err} }

// checkRun reports an invalid run name.
func checkRun(what, run string) error {
	if err := statstore.ValidateRunName(run); err != nil {
		return fmt.Errorf("postgres: %s: %w", what, err)
	}
	return nil
}

// pgxConn is a connection borrowed from the pool.
type pgxConn = pgxpool.Conn
