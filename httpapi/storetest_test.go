package httpapi

import (
	"testing"
	"time"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/memstore"
	"github.com/statstore/statstore/storetest"
)

// TestConformance runs the store conformance suite through the Go client
// against a real server on 127.0.0.1 backed by a memstore.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) statstore.StatsStore {
		ts := startServer(t, ServerOptions{})
		c, err := NewClient(ts.http.URL, ClientOptions{})
		if err != nil {
			t.Fatalf("NewClient: %v", err)
		}
		return c
	})
}

// TestTrashConformance runs the trash suite through the Go client against
// a server over a memstore with the suite's clock.
func TestTrashConformance(t *testing.T) {
	storetest.RunTrash(t, func(t *testing.T, now func() time.Time) statstore.StatsStore {
		ts := startServerOver(t, memstore.NewWithClock(nil, now), ServerOptions{})
		c, err := NewClient(ts.http.URL, ClientOptions{})
		if err != nil {
			t.Fatalf("NewClient: %v", err)
		}
		return c
	})
}

// TestRunMetaConformance runs the metadata suite through the Go client
// against a server over a memstore.
func TestRunMetaConformance(t *testing.T) {
	storetest.RunMeta(t, func(t *testing.T) statstore.StatsStore {
		ts := startServer(t, ServerOptions{})
		c, err := NewClient(ts.http.URL, ClientOptions{})
		if err != nil {
			t.Fatalf("NewClient: %v", err)
		}
		return c
	})
}
