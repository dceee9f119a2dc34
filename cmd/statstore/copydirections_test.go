package main

import (
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/statstore/statstore/httpapi"
	"github.com/statstore/statstore/internal/pgtest"
)

// TestCopyEveryDirection copies the demo store along a chain that takes
// every direction between the three kinds of store once: file store →
// PostgreSQL → server → file store → server → PostgreSQL → file store.
// Each copy answers show, best and runs (without each store's own
// last-write times) exactly as the source does.
func TestCopyEveryDirection(t *testing.T) {
	src := demoStore(t)
	pg := pgtest.StartServer(t)
	server := func() string {
		s := openFileStore(t, filepath.Join(t.TempDir(), "behind-server"))
		srv := httptest.NewServer(httpapi.NewServer(s, httpapi.ServerOptions{AllowedHosts: []string{"127.0.0.1"}}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	chain := []struct{ kind, store string }{
		{"file", src},
		{"postgres", pg.Database(t)},
		{"server", server()},
		{"file", filepath.Join(t.TempDir(), "f2")},
		{"server", server()},
		{"postgres", pg.Database(t)},
		{"file", filepath.Join(t.TempDir(), "f3")},
	}
	answers := func(store string) []string {
		var out []string
		for _, args := range [][]string{
			{"show", "demo_unet", "--json"},
			{"best", "demo_unet", "--json", "--over-datasets"},
			{"compare", "demo_unet", "demo_unet_small", "--json"},
		} {
			out = append(out, mustRun(t, append([]string{"--store", store}, args...)...).stdout)
		}
		return append(out, withoutLastWrite(t, mustRun(t, "--store", store, "runs", "--json").stdout))
	}
	want := answers(src)
	for i := 1; i < len(chain); i++ {
		from, to := chain[i-1], chain[i]
		t.Run(from.kind+" to "+to.kind, func(t *testing.T) {
			if out := mustRun(t, "copy", "--from", from.store, "--to", to.store).stdout; !strings.Contains(out, "copied 2 run(s)") || !strings.Contains(out, "2 copied whole") {
				t.Errorf("copy printed:\n%s", out)
			}
			for k, got := range answers(to.store) {
				if got != want[k] {
					t.Errorf("answer %d of the %s copy\n%.400s\nthe source's\n%.400s", k, to.kind, got, want[k])
				}
			}
		})
	}
}
