package pgtest

import (
	"context"
	"testing"
)

// Start starts a server for this test alone and returns the URL of an empty
// database on it. The server is stopped and its directory removed when the
// test ends. When PostgreSQL 15 is not installed, the test fails with a
// message saying to install Debian's postgresql-15 package.
func Start(tb testing.TB) string {
	tb.Helper()
	return StartServer(tb).Database(tb)
}

// StartServer starts a server for this test and stops it (removing its
// directory) when the test ends. Use it when the test must stop, kill or
// restart the server; otherwise prefer Start.
func StartServer(tb testing.TB) *Server {
	tb.Helper()
	s, err := NewServer(context.Background(), Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("pgtest: %v", err)
		}
	})
	return s
}

// Database creates a fresh, empty database on the server for this test and
// returns its URL. Tests sharing one server each get their own database.
func (s *Server) Database(tb testing.TB) string {
	tb.Helper()
	u, err := s.CreateDatabase(context.Background(), s.uniqueName(tb.Name()))
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// Schema creates a fresh, empty schema for this test in a database the
// server's schemas share, and returns a URL whose connections work in it
// (search_path). It is much faster than Database; use it when the code
// under test uses unqualified table names and no database-wide state.
func (s *Server) Schema(tb testing.TB) string {
	tb.Helper()
	u, err := s.CreateSchema(context.Background(), s.uniqueName(tb.Name()))
	if err != nil {
		tb.Fatal(err)
	}
	return u
}
