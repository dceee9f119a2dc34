package pgtest

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func exec1(t *testing.T, url, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func queryInt(t *testing.T, url, sql string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestServerLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := StartServer(t)
	a, b := srv.Database(t), srv.Database(t)
	if a == b {
		t.Fatalf("two databases got the same URL %s", a)
	}
	exec1(t, a, "CREATE TABLE x (v int); INSERT INTO x VALUES (1), (2)")
	exec1(t, b, "CREATE TABLE x (v int); INSERT INTO x VALUES (7)")
	if got := queryInt(t, a, "SELECT count(*) FROM x"); got != 2 {
		t.Fatalf("database a: got %d rows, want 2", got)
	}
	if got := queryInt(t, b, "SELECT count(*) FROM x"); got != 1 {
		t.Fatalf("database b: got %d rows, want 1 (databases must be separate)", got)
	}
	if got := queryInt(t, a, "SELECT setting::int FROM pg_settings WHERE name = 'server_version_num'") / 10000; got != 15 {
		t.Errorf("server major version %d, want 15", got)
	}
	if got := queryInt(t, a, "SELECT count(*) FROM pg_settings WHERE name = 'data_checksums' AND setting = 'on'"); got != 1 {
		t.Errorf("data_checksums is off: initdb must enable page checksums (a flipped bit in a stored float8 is PostgreSQL's to detect)")
	}
	if got := queryInt(t, a, "SELECT count(*) FROM pg_settings WHERE name = 'listen_addresses' AND setting = ''"); got != 1 {
		t.Errorf("listen_addresses is not empty: the server must listen on its Unix socket only")
	}

	steps := []struct {
		name string
		do   func() error
	}{
		{"kill", srv.Kill},
		{"kill again", srv.Kill},
		{"restart after kill", func() error { return srv.Restart(ctx) }},
		{"stop", func() error { return srv.Stop(ctx) }},
		{"restart after stop", func() error { return srv.Restart(ctx) }},
		{"restart while running", func() error { return srv.Restart(ctx) }},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		down := strings.HasPrefix(st.name, "kill") || st.name == "stop"
		conn, err := pgx.Connect(ctx, a)
		if down {
			if err == nil {
				conn.Close(ctx)
				t.Fatalf("after %s: connected, want the server down", st.name)
			}
			continue
		}
		if err != nil {
			t.Fatalf("after %s: connect: %v", st.name, err)
		}
		conn.Close(ctx)
		if got := queryInt(t, a, "SELECT count(*) FROM x"); got != 2 {
			t.Fatalf("after %s: got %d committed rows, want 2", st.name, got)
		}
	}
}

func TestStartAndClose(t *testing.T) {
	t.Parallel()
	srv, err := NewServer(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	u := srv.Database(t)
	exec1(t, u, "SELECT 1")
	if err := srv.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if _, err := os.Stat(srv.Dir()); !os.IsNotExist(err) {
		t.Errorf("after Close, %s still exists (stat error %v)", srv.Dir(), err)
	}
	if _, err := pgx.Connect(context.Background(), u); err == nil {
		t.Errorf("after Close, connecting to %s succeeded", u)
	}
}

func TestStart(t *testing.T) {
	t.Parallel()
	u := Start(t)
	if !strings.HasPrefix(u, "postgres://postgres@/") || !strings.Contains(u, "host=") {
		t.Errorf("Start returned %q, want postgres://postgres@/<db>?host=<dir>", u)
	}
	exec1(t, u, "CREATE TABLE y (v text)")
}

func TestMissingBinaries(t *testing.T) {
	t.Parallel()
	_, err := NewServer(context.Background(), Options{BinDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "install Debian's postgresql-15") {
		t.Fatalf("NewServer with an empty BinDir: got error %v, want one saying to install postgresql-15", err)
	}
	if _, err := FindBinDir(context.Background()); err != nil {
		t.Fatalf("FindBinDir: %v", err)
	}
}

func TestSchema(t *testing.T) {
	t.Parallel()
	srv := StartServer(t)
	a, b := srv.Schema(t), srv.Schema(t)
	exec1(t, a, "CREATE TABLE z (v int); INSERT INTO z VALUES (1)")
	exec1(t, b, "CREATE TABLE z (v int)")
	if got := queryInt(t, a, "SELECT count(*) FROM z"); got != 1 {
		t.Errorf("schema a: got %d rows, want 1", got)
	}
	if got := queryInt(t, b, "SELECT count(*) FROM z"); got != 0 {
		t.Errorf("schema b: got %d rows, want 0 (schemas must be separate)", got)
	}
}

// TestKillKillsBackends holds a connection open across Kill: its backend
// (a group leader of its own, out of reach of a signal to the
// postmaster's group) is dead when Kill returns, so the connection cannot
// answer another query, as after a crash of the whole server.
func TestKillKillsBackends(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := StartServer(t)
	conn, err := pgx.Connect(ctx, srv.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var pid int
	if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	if !exited(pid) {
		t.Fatalf("backend %d still running after Kill returned", pid)
	}
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&pid); err == nil {
		t.Fatal("a connection held across Kill answered a query")
	}
}
