// Package pgtest starts throwaway PostgreSQL 15 servers for tests.
//
// A server lives in a fresh directory under the system temporary directory
// (not under t.TempDir, which the postgres OS user may not be able to
// enter). Its cluster is created with initdb (--encoding=UTF8
// --locale=C.UTF-8, trust authentication, superuser "postgres") and the
// postgres binary is started directly, listening only on a Unix socket in
// that directory (listen_addresses is empty: no TCP port is opened). When
// the test runs as root, initdb and postgres run as the postgres OS user,
// since PostgreSQL refuses to run as root.
//
// The binaries are those of Debian's postgresql-15 package (found with
// `dpkg -L postgresql-15`, usually /usr/lib/postgresql/15/bin). When they
// are missing, the test fails with a message saying what to install: CI
// installs the package, and these tests are never skipped.
//
// Start gives one test its own server and a database on it. To share one
// server between the tests of a package, create it in TestMain with
// NewServer and hand out a fresh database per test with Server.Database:
//
//	func TestMain(m *testing.M) {
//		srv, err := pgtest.NewServer(context.Background(), pgtest.Options{})
//		if err != nil { fmt.Fprintln(os.Stderr, err); os.Exit(1) }
//		testServer = srv
//		code := m.Run()
//		srv.Close()
//		os.Exit(code)
//	}
//
// Server.Kill and Server.Restart simulate a crash of the database server.
package pgtest
