package httpapi

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/memstore"
)

// testServer is a real server on 127.0.0.1 over a fresh memstore.
type testServer struct {
	store  statstore.StatsStore // the backing store, for checks that bypass HTTP
	server *Server
	http   *httptest.Server
}

// startServer starts a server over a fresh memstore with opts; it is closed
// by the test's cleanup.
func startServer(tb testing.TB, opts ServerOptions) *testServer {
	tb.Helper()
	return startServerOver(tb, memstore.New(nil), opts)
}

// startServerOver starts a server over store on 127.0.0.1.
func startServerOver(tb testing.TB, store statstore.StatsStore, opts ServerOptions) *testServer {
	tb.Helper()
	s := NewServer(store, opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen on 127.0.0.1: %v", err)
	}
	hs := &httptest.Server{Listener: ln, Config: NewHTTPServer("", s)}
	hs.Start()
	tb.Cleanup(func() {
		s.Close()
		hs.Close()
		store.Close()
	})
	return &testServer{store: store, server: s, http: hs}
}

// client returns a client of ts with opts; closed by the test's cleanup.
func (ts *testServer) client(tb testing.TB, opts ClientOptions) *Client {
	tb.Helper()
	c, err := NewClient(ts.http.URL, opts)
	if err != nil {
		tb.Fatalf("NewClient(%q): %v", ts.http.URL, err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// do sends a raw request and returns the answer's status and body.
func (ts *testServer) do(tb testing.TB, req *http.Request) (int, string) {
	tb.Helper()
	resp, err := ts.http.Client().Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	var b []byte
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b = append(b, buf[:n]...)
		if err != nil {
			break
		}
	}
	return resp.StatusCode, string(b)
}
