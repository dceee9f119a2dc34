package postgres

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/statstore/statstore/internal/pgtest"
)

// testServer is the PostgreSQL server shared by this package's tests,
// started and stopped by TestMain. Tests that stop or kill a server start
// their own.
var testServer *pgtest.Server

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChild())
	}
	flag.Parse()
	if fuzzingOnly() {
		os.Exit(m.Run())
	}
	srv, err := pgtest.NewServer(context.Background(), pgtest.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testServer = srv
	code := m.Run()
	if err := srv.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// fuzzingOnly reports whether this process only runs fuzz targets (go
// test -fuzz with -run '^$', and the engine's worker processes). This
// package's targets are decoders that need no server; started anyway, one
// per worker, the servers of workers the engine kills are left running.
func fuzzingOnly() bool {
	value := func(name string) string {
		if f := flag.Lookup(name); f != nil {
			return f.Value.String()
		}
		return ""
	}
	return value("test.fuzzworker") == "true" || value("test.fuzz") != "" && value("test.run") == "^$"
}

// openStore opens a store on a fresh database of the shared server and
// closes it when the test ends.
func openStore(tb testing.TB, opts Options) (*Store, string) {
	tb.Helper()
	url := testServer.Schema(tb)
	s, err := Open(context.Background(), url, opts)
	if err != nil {
		tb.Fatalf("open %s: %v", url, err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return s, url
}
