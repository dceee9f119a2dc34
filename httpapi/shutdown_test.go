package httpapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/memstore"
)

// gatedStore holds StoreTrainingStats until released, and says when a call
// has started.
type gatedStore struct {
	statstore.StatsStore
	started chan struct{}
	release chan struct{}
}

func (g *gatedStore) StoreTrainingStats(ctx context.Context, run string, stats *statstore.TrainingStats) error {
	g.started <- struct{}{}
	<-g.release
	return g.StatsStore.StoreTrainingStats(ctx, run, stats)
}

// TestGracefulShutdown checks that Shutdown of NewHTTPServer's server lets a
// write in flight finish and be acknowledged, and ends event streams rather
// than waiting for them.
func TestGracefulShutdown(t *testing.T) {
	mem := memstore.New(nil)
	defer mem.Close()
	gate := &gatedStore{StatsStore: mem, started: make(chan struct{}), release: make(chan struct{})}
	s := NewServer(gate, ServerOptions{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewHTTPServer(ln.Addr().String(), s)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	url := "http://" + ln.Addr().String()

	// A follower, whose stream must not hold the shutdown.
	stream, err := http.Get(url + "/api/v1/runs/other/events")
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()

	c, err := NewClient(url, ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	wrote := make(chan error, 1)
	go func() { wrote <- c.StoreTrainingStats(context.Background(), "r", mustTraining(t, 0, 1, 2)) }()
	<-gate.started // the write is in the store

	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(context.Background()) }()
	// Shutdown closes the listener first: new connections are refused.
	for {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			break
		}
		conn.Close()
	}
	close(gate.release)
	if err := <-wrote; err != nil {
		t.Errorf("the write in flight during shutdown failed: %v", err)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve returned %v, want http.ErrServerClosed", err)
	}
	got, err := mem.RetrieveTrainingStats(context.Background(), "r")
	if err != nil || got.Len() != 3 {
		t.Errorf("after shutdown the store holds %v (err %v), want the 3 acknowledged entries", got, err)
	}
}

// TestNewHTTPServerTimeouts checks that the server has every timeout against
// slow clients.
func TestNewHTTPServerTimeouts(t *testing.T) {
	srv := NewHTTPServer("127.0.0.1:0", http.NotFoundHandler())
	for name, d := range map[string]int64{
		"ReadHeaderTimeout": int64(srv.ReadHeaderTimeout), "ReadTimeout": int64(srv.ReadTimeout),
		"WriteTimeout": int64(srv.WriteTimeout), "IdleTimeout": int64(srv.IdleTimeout), "MaxHeaderBytes": int64(srv.MaxHeaderBytes),
	} {
		if d <= 0 {
			t.Errorf("%s is not set", name)
		}
	}
	if srv.Addr != "127.0.0.1:0" {
		t.Errorf("Addr = %q, want the given one", srv.Addr)
	}
}
