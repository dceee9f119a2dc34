package filestore

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/storetest"
)

// mustOpen opens a store in a new temporary directory, closes it and
// verifies every file when the test ends.
func mustOpen(tb testing.TB, opts Options) *Store {
	tb.Helper()
	return mustOpenDir(tb, tb.TempDir(), opts)
}

func mustOpenDir(tb testing.TB, dir string, opts Options) *Store {
	tb.Helper()
	s, err := Open(dir, opts)
	if err != nil {
		tb.Fatalf("Open(%s): %v", dir, err)
	}
	tb.Cleanup(func() {
		_ = s.Close() // the suite may have closed it already
		rep, err := Verify(context.Background(), dir)
		if err != nil {
			tb.Errorf("Verify after test: %v", err)
			return
		}
		if !rep.OK() {
			tb.Errorf("Verify after test: %+v", rep.Files)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) statstore.StatsStore {
		return mustOpen(t, Options{})
	})
}

// logBuffer returns a logger writing text records into a buffer.
func logBuffer() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), &buf
}
