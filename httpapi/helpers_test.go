package httpapi

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
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
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: reading the answer: %v", req.Method, req.URL, err)
	}
	return resp.StatusCode, string(b)
}

// request builds a raw request to path (kept as written: escapes are not
// normalised) with body ("" for none) and, when token is set, the bearer token.
func (ts *testServer) request(tb testing.TB, method, path, body, token string) *http.Request {
	tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.http.URL+path, rd)
	if err != nil {
		tb.Fatalf("NewRequest(%s %s): %v", method, path, err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json") // what every proper client sends
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

// errorCodeOf returns the code of an error body, or "" when body is not one.
func errorCodeOf(body string) string {
	var eb errorBody
	if json.Unmarshal([]byte(body), &eb) != nil {
		return ""
	}
	return eb.Error.Code
}

// mustTraining builds training stats from iterations with loss = iteration/10.
func mustTraining(tb testing.TB, iters ...int) *statstore.TrainingStats {
	tb.Helper()
	t := &statstore.TrainingStats{}
	for _, it := range iters {
		if err := t.AddIterationStats(statstore.TrainingIterationStats{Iteration: it, Loss: float64(it) / 10, Time: 0.5}); err != nil {
			tb.Fatalf("AddIterationStats(%d): %v", it, err)
		}
	}
	return t
}

// mustRequest builds a request for routing checks.
func mustRequest(tb testing.TB, method, path string) *http.Request {
	tb.Helper()
	req, err := http.NewRequest(method, "http://127.0.0.1"+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return req
}
