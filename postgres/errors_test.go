package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/pgtest"
	"github.com/statstore/statstore/storetest"
)

// TestServerErrorClasses checks how PostgreSQL's errors reach the user:
// the ones a client should retry wrap statstore.ErrUnavailable or
// ErrStorageFull, refused values wrap ErrInvalidArgument, and none of
// these shows a raw SQLSTATE (issue 10: "PostgreSQL refuses it with a raw
// SQLSTATE"). The original *pgconn.PgError stays reachable with errors.As.
func TestServerErrorClasses(t *testing.T) {
	tests := []struct {
		code, msg string
		want      error // nil: no sentinel
	}{
		{"57P01", "terminating connection due to administrator command", statstore.ErrUnavailable},
		{"57P02", "terminating connection because of crash of another server process", statstore.ErrUnavailable},
		{"57P03", "the database system is starting up", statstore.ErrUnavailable},
		{"53300", "sorry, too many clients already", statstore.ErrUnavailable},
		{"08006", "connection failure", statstore.ErrUnavailable},
		{"40001", "could not serialize access due to concurrent update", statstore.ErrUnavailable},
		{"53100", `could not extend file "base/16384/16390": No space left on device`, statstore.ErrStorageFull},
		{"22003", "bigint out of range", statstore.ErrInvalidArgument},
		{"23514", `new row for relation "statstore_runs" violates check constraint "statstore_runs_trained_until_check"`, statstore.ErrInvalidArgument},
		{"42P01", `relation "statstore_runs" does not exist`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			pgErr := &pgconn.PgError{Severity: "ERROR", Code: tc.code, Message: tc.msg}
			err := wrapError(`store training stats of run "r"`, fmt.Errorf("update the run: %w", pgErr))
			for _, s := range []error{statstore.ErrUnavailable, statstore.ErrStorageFull, statstore.ErrInvalidArgument} {
				if got := errors.Is(err, s); got != (s == tc.want) {
					t.Errorf("errors.Is(%v, %v) = %v, want %v", err, s, got, s == tc.want)
				}
			}
			var got *pgconn.PgError
			if !errors.As(err, &got) || got != pgErr {
				t.Errorf("errors.As(%v, *pgconn.PgError) does not give the server's error", err)
			}
			msg := err.Error()
			for _, s := range []string{`store training stats of run "r"`, tc.msg} {
				if !strings.Contains(msg, s) {
					t.Errorf("error %q does not mention %q", msg, s)
				}
			}
			if tc.want != nil && strings.Contains(msg, "SQLSTATE") {
				t.Errorf("error %q shows a raw SQLSTATE", msg)
			}
		})
	}
}

// TestLostConnectionIsUnavailable: a connection that broke, or a server
// that cannot be reached, wraps statstore.ErrUnavailable.
func TestLostConnectionIsUnavailable(t *testing.T) {
	for _, err := range []error{io.ErrUnexpectedEOF, &net.OpError{Op: "dial", Net: "unix", Err: syscall.ECONNREFUSED}} {
		if got := unavailableError("retrieve training stats", "lost the connection", err); !errors.Is(got, statstore.ErrUnavailable) || !errors.Is(got, err) {
			t.Errorf("unavailableError(%v) = %v, want it to wrap ErrUnavailable and the cause", err, got)
		}
	}
}

// TestServerDownIsUnavailable stops the server under an open store: every
// call fails with statstore.ErrUnavailable (so the HTTP API answers 503,
// and the CLI tells the user to retry), and works again after a restart.
func TestServerDownIsUnavailable(t *testing.T) {
	ctx := context.Background()
	srv := pgtest.StartServer(t)
	url := srv.Schema(t)
	s, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.StoreTrainingStats(ctx, "run", storetest.Training(0, 1, 2)); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	calls := []struct {
		name string
		do   func() error
	}{
		{"StoreTrainingStats", func() error { return s.StoreTrainingStats(ctx, "run", storetest.Training(0, 1, 2, 3)) }},
		{"RetrieveTrainingStats", func() error { _, err := s.RetrieveTrainingStats(ctx, "run"); return err }},
		{"ListRuns", func() error { _, err := s.ListRuns(ctx); return err }},
		{"Open", func() error {
			s2, err := Open(ctx, url+"&connect_timeout=5", Options{})
			if err == nil {
				s2.Close()
			}
			return err
		}},
	}
	for _, c := range calls {
		if err := c.do(); !errors.Is(err, statstore.ErrUnavailable) {
			t.Errorf("%s with the server stopped: got %v, want an error wrapping ErrUnavailable", c.name, err)
		}
	}
	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.StoreTrainingStats(ctx, "run", storetest.Training(0, 1, 2, 3)); err != nil {
		t.Errorf("StoreTrainingStats after the restart: %v", err)
	}
}

// TestMaxIterationFitsTheSchema: the bigint columns hold MaxIteration and
// trained-until MaxIteration+1; larger iterations are refused by the
// domain's check before anything reaches the server, with its message
// (no SQLSTATE).
func TestMaxIterationFitsTheSchema(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t, Options{})
	if err := s.StoreTrainingStats(ctx, "run", storetest.Training(0, statstore.MaxIteration)); err != nil {
		t.Fatalf("store up to MaxIteration: %v", err)
	}
	runs, err := s.ListRuns(ctx)
	if err != nil || len(runs) != 1 || runs[0].TrainedUntil != statstore.MaxIteration+1 {
		t.Fatalf("ListRuns = %+v, %v; want trained-until %d", runs, err, statstore.MaxIteration+1)
	}
	err = s.StoreTrainingStats(ctx, "run", storetest.Training(0, statstore.MaxIteration, 1<<63-1))
	if !errors.Is(err, statstore.ErrInvalidArgument) || strings.Contains(err.Error(), "SQLSTATE") {
		t.Errorf("store iteration 2^63-1: got %v, want ErrInvalidArgument without a SQLSTATE", err)
	}
}

// TestConnectErrorNamesSocketOnce: pgx's connect error names the socket
// twice ("P (dir): dial error: dial unix P: ...") and the user and
// database; the store's error names what failed once.
func TestConnectErrorNamesSocketOnce(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(context.Background(), "postgres://postgres@/postgres?host="+dir+"&connect_timeout=5", Options{})
	if !errors.Is(err, statstore.ErrUnavailable) {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
	socket := dir + "/.s.PGSQL.5432"
	if n := strings.Count(err.Error(), socket); n != 1 {
		t.Errorf("error names %s %d times, want once: %v", socket, n, err)
	}
}
