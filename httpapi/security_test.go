package httpapi

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/statstore/statstore/memstore"

	"github.com/statstore/statstore"
)

const testToken = "s3cret-t0ken"

// TestAuth checks which requests need the token, with and without
// TokenForReads.
func TestAuth(t *testing.T) {
	const body = `{"iteration_stats": [{"iteration": 0, "loss": 1, "time": 1}]}`
	tests := []struct {
		name          string
		forReads      bool
		method, path  string
		token         string
		wantStatus    int
		wantChallenge bool
	}{
		{"write without token", false, "POST", "/api/v1/runs/r/training", "", 401, true},
		{"write with wrong token", false, "POST", "/api/v1/runs/r/training", "wrong", 401, true},
		{"write with token", false, "POST", "/api/v1/runs/r/training", testToken, 204, false},
		{"delete without token", false, "DELETE", "/api/v1/runs/r", "", 401, true},
		{"delete with token", false, "DELETE", "/api/v1/runs/r", testToken, 404, false}, // past the token: r is unknown
		{"read without token", false, "GET", "/api/v1/runs", "", 200, false},
		{"metrics without token", false, "GET", "/metrics", "", 200, false},
		{"read without token, token for reads", true, "GET", "/api/v1/runs", "", 401, true},
		{"read with wrong token, token for reads", true, "GET", "/api/v1/runs/r/training", "wrong", 401, true},
		{"read with token, token for reads", true, "GET", "/api/v1/runs", testToken, 200, false},
		{"read with query token, token for reads", true, "GET", "/api/v1/runs?access_token=" + testToken, "", 200, false},
		{"metrics without token, token for reads", true, "GET", "/metrics", "", 401, true},
		{"write with query token is refused", true, "POST", "/api/v1/runs/r/training?access_token=" + testToken, "", 401, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, ServerOptions{Token: testToken, TokenForReads: tt.forReads})
			b := ""
			if tt.method == "POST" {
				b = body
			}
			resp, err := ts.http.Client().Do(ts.request(t, tt.method, tt.path, b, tt.token))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("%s %s: got %d, want %d", tt.method, tt.path, resp.StatusCode, tt.wantStatus)
			}
			if got := resp.Header.Get("WWW-Authenticate") != ""; got != tt.wantChallenge {
				t.Errorf("WWW-Authenticate present = %v, want %v", got, tt.wantChallenge)
			}
			runs, _ := ts.store.ListRuns(context.Background())
			if stored := len(runs) > 0; stored != (tt.method == "POST" && tt.wantStatus == 204) {
				t.Errorf("store holds %v after the request", runs)
			}
		})
	}
}

// TestClientAuth checks that the client sends its token and maps 401 to
// ErrUnauthorized.
func TestClientAuth(t *testing.T) {
	ts := startServer(t, ServerOptions{Token: testToken, TokenForReads: true})
	ctx := context.Background()
	good := ts.client(t, ClientOptions{Token: testToken})
	if err := good.StoreTrainingStats(ctx, "r", mustTraining(t, 0, 1)); err != nil {
		t.Fatalf("with token: %v", err)
	}
	if runs, err := good.ListRuns(ctx); err != nil || len(runs) != 1 {
		t.Errorf("with token: ListRuns = %v, %v, want one run", runs, err)
	}
	bad := ts.client(t, ClientOptions{Token: "nope"})
	if err := bad.StoreTrainingStats(ctx, "r", mustTraining(t, 2)); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("with a wrong token: got %v, want ErrUnauthorized", err)
	}
	if _, err := bad.RetrieveTrainingStats(ctx, "r"); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("reading with a wrong token: got %v, want ErrUnauthorized", err)
	}
}

// TestBodyLimit checks that bodies over MaxBodyBytes are refused with 413
// and store nothing.
func TestBodyLimit(t *testing.T) {
	const limit = 1 << 10
	ts := startServer(t, ServerOptions{MaxBodyBytes: limit})
	entry := `{"iteration": 1, "loss": 1, "time": 1},`
	tests := []struct {
		name   string
		body   string
		status int
	}{
		{"under the limit", `{"iteration_stats": [` + strings.Repeat(entry, 5) + `{"iteration": 9, "loss": 1, "time": 1}]}`, 422}, // repeated iterations: out of order, but read
		{"over the limit", `{"iteration_stats": [` + strings.Repeat(entry, 100) + `]}`, 413},
		{"huge whitespace", strings.Repeat(" ", 4*limit), 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := ts.do(t, ts.request(t, "POST", "/api/v1/runs/r/training", tt.body, ""))
			if status != tt.status {
				t.Errorf("got %d %s, want %d", status, body, tt.status)
			}
			if status == 413 && errorCodeOf(body) != codeBodyTooLarge {
				t.Errorf("413 body %s, want code %s", body, codeBodyTooLarge)
			}
		})
	}
	t.Run("client", func(t *testing.T) {
		big := make([]int, 200)
		for i := range big {
			big[i] = i
		}
		err := ts.client(t, ClientOptions{}).StoreTrainingStats(context.Background(), "r", mustTraining(t, big...))
		var apiErr *Error
		if !errors.As(err, &apiErr) || apiErr.Status != 413 || !errors.Is(err, statstore.ErrInvalidArgument) {
			t.Errorf("got %v, want a 413 *Error matching ErrInvalidArgument", err)
		}
	})
	if runs, _ := ts.store.ListRuns(context.Background()); len(runs) != 0 {
		t.Errorf("store holds %v, want nothing", runs)
	}
}

// TestPathTraversal sends run names that try to leave their path segment:
// none may be answered with success or store anything.
func TestPathTraversal(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	body := `{"iteration_stats": [{"iteration": 0, "loss": 1, "time": 1}]}`
	tests := []struct {
		name, path string
		wantCode   string // "" when the mux answers before any handler (redirect)
	}{
		{"encoded dot-dot", "/api/v1/runs/%2e%2e/training", ""},
		{"encoded dot", "/api/v1/runs/%2e/training", ""},
		{"dot-dot", "/api/v1/runs/../training", ""},
		{"encoded slash", "/api/v1/runs/a%2Fb/training", codeInvalidRunName},
		{"encoded dot-dot slash", "/api/v1/runs/..%2F..%2Fetc/training", codeInvalidRunName},
		{"encoded backslash", "/api/v1/runs/..%5C..%5Cetc/training", codeInvalidRunName},
		{"encoded NUL", "/api/v1/runs/a%00b/training", codeInvalidRunName},
		{"encoded newline", "/api/v1/runs/a%0Ab/training", codeInvalidRunName},
		{"too long", "/api/v1/runs/" + strings.Repeat("x", statstore.MaxRunNameLen+1) + "/training", codeInvalidRunName},
	}
	client := *ts.http.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, method := range []string{"POST", "GET", "DELETE"} {
				b := ""
				if method == "POST" {
					b = body
				}
				req := ts.request(t, method, tt.path, b, "")
				resp, err := client.Do(req)
				if err != nil {
					t.Fatalf("%s %s: %v", method, tt.path, err)
				}
				var eb strings.Builder
				buf := make([]byte, 512)
				n, _ := resp.Body.Read(buf)
				eb.Write(buf[:n])
				resp.Body.Close()
				if resp.StatusCode < 300 {
					t.Errorf("%s %s: got %d, want a refusal", method, tt.path, resp.StatusCode)
				}
				if tt.wantCode != "" && (resp.StatusCode != 400 || errorCodeOf(eb.String()) != tt.wantCode) {
					t.Errorf("%s %s: got %d %s, want 400 %s", method, tt.path, resp.StatusCode, eb.String(), tt.wantCode)
				}
			}
		})
	}
	if runs, _ := ts.store.ListRuns(context.Background()); len(runs) != 0 {
		t.Errorf("store holds %v, want nothing", runs)
	}
	t.Run("client refuses before sending", func(t *testing.T) {
		c := ts.client(t, ClientOptions{})
		for _, run := range []string{"..", "a/b", "", "a\x00b"} {
			if err := c.StoreTrainingStats(context.Background(), run, mustTraining(t, 0)); !errors.Is(err, statstore.ErrInvalidRunName) {
				t.Errorf("StoreTrainingStats(%q): got %v, want ErrInvalidRunName", run, err)
			}
		}
	})
}

// TestOddRunNames checks that valid names needing escapes travel intact.
func TestOddRunNames(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	c := ts.client(t, ClientOptions{})
	ctx := context.Background()
	names := []string{"a b", "100%", "q?x=1", "hash#tag", "ünïcødé", "..a", "a..", "semi;colon", "plus+sign", "%2e%2e"}
	for _, run := range names {
		t.Run(run, func(t *testing.T) {
			if err := c.StoreTrainingStats(ctx, run, mustTraining(t, 0, 1)); err != nil {
				t.Fatalf("StoreTrainingStats(%q): %v", run, err)
			}
			got, err := ts.store.RetrieveTrainingStats(ctx, run)
			if err != nil || got.Len() != 2 {
				t.Errorf("the store holds %v (err %v) under %q, want 2 entries", got, err, run)
			}
		})
	}
}

// rawRequest builds a request to ts with the given body and headers; a
// "Host" entry replaces the Host header.
func (ts *testServer) rawRequest(tb testing.TB, method, path, body string, headers map[string]string) *http.Request {
	tb.Helper()
	req, err := http.NewRequest(method, ts.http.URL+path, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range headers {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	return req
}

// origin is the server's own origin, http://127.0.0.1:port.
func (ts *testServer) origin() string { return ts.http.URL }

// TestCrossSiteRequestsRefused sends what a foreign web page (or a DNS
// rebinding attack) can make a browser send: simple requests whose bodies are
// JSON in disguise, foreign origins and foreign Host names. None may write;
// the same requests from the server's own origin with application/json work.
func TestCrossSiteRequestsRefused(t *testing.T) {
	const body = `{"iteration_stats": [{"iteration": 0, "loss": 1, "time": 1}]}`
	const multipart = "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n" + body + "\r\n--b--\r\n"
	ts := startServer(t, ServerOptions{})
	port := strings.TrimPrefix(ts.http.URL, "http://127.0.0.1:")
	ctx := context.Background()
	if err := ts.store.StoreTrainingStats(ctx, "keep", mustTraining(t, 0, 1, 2)); err != nil {
		t.Fatal(err)
	}
	jsonCT := map[string]string{"Content-Type": "application/json"}
	with := func(extra map[string]string) map[string]string {
		h := map[string]string{"Content-Type": "application/json"}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	refused := []struct {
		name, method, path, body string
		headers                  map[string]string
		status                   int
		code                     string
	}{
		{"text/plain", "POST", "/api/v1/runs/r/training", body, map[string]string{"Content-Type": "text/plain"}, 415, codeUnsupportedMediaType},
		{"text/plain with origin", "POST", "/api/v1/runs/r/training", body, map[string]string{"Content-Type": "text/plain;charset=UTF-8", "Origin": "http://evil.example"}, 403, codeCrossOrigin},
		{"form", "POST", "/api/v1/runs/r/training", "a=" + body, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, codeUnsupportedMediaType},
		{"multipart", "POST", "/api/v1/runs/r/training", multipart, map[string]string{"Content-Type": "multipart/form-data; boundary=b"}, 415, codeUnsupportedMediaType},
		{"no content type", "POST", "/api/v1/runs/r/training", body, nil, 415, codeUnsupportedMediaType},
		{"json-like type", "POST", "/api/v1/runs/r/training", body, map[string]string{"Content-Type": "text/json"}, 415, codeUnsupportedMediaType},
		{"foreign origin", "POST", "/api/v1/runs/r/training", body, with(map[string]string{"Origin": "http://evil.example"}), 403, codeCrossOrigin},
		{"null origin", "POST", "/api/v1/runs/r/training", body, with(map[string]string{"Origin": "null"}), 403, codeCrossOrigin},
		{"other port same host", "POST", "/api/v1/runs/r/training", body, with(map[string]string{"Origin": "http://127.0.0.1:1"}), 403, codeCrossOrigin},
		{"cross-site fetch", "POST", "/api/v1/runs/r/training", body, with(map[string]string{"Sec-Fetch-Site": "cross-site"}), 403, codeCrossOrigin},
		{"same-site fetch", "POST", "/api/v1/runs/r/training", body, with(map[string]string{"Sec-Fetch-Site": "same-site"}), 403, codeCrossOrigin},
		{"foreign host", "POST", "/api/v1/runs/r/training", body, with(map[string]string{"Host": "evil.example:" + port}), 421, codeMisdirected},
		{"foreign host, own origin", "POST", "/api/v1/runs/r/training", body, with(map[string]string{"Host": "evil.example:" + port, "Origin": "http://evil.example:" + port}), 421, codeMisdirected},
		{"validation text/plain", "POST", "/api/v1/runs/r/validation", `{"datasets": ["a"], "parameters": [], "criteria": "dummy", "scores": []}`, map[string]string{"Content-Type": "text/plain"}, 415, codeUnsupportedMediaType},
		{"delete, foreign origin", "DELETE", "/api/v1/runs/keep", "", map[string]string{"Origin": "http://evil.example"}, 403, codeCrossOrigin},
		{"delete, cross-site", "DELETE", "/api/v1/runs/keep/training", "", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, codeCrossOrigin},
		{"delete, foreign host", "DELETE", "/api/v1/runs/keep", "", map[string]string{"Host": "evil.example"}, 421, codeMisdirected},
		{"read, foreign host (DNS rebinding)", "GET", "/api/v1/runs/keep/training", "", map[string]string{"Host": "evil.example:" + port}, 421, codeMisdirected},
		{"list, foreign host (DNS rebinding)", "GET", "/api/v1/runs", "", map[string]string{"Host": "rebind.evil.example"}, 421, codeMisdirected},
		{"metrics, foreign host", "GET", "/metrics", "", map[string]string{"Host": "evil.example"}, 421, codeMisdirected},
		{"events, foreign host", "GET", "/api/v1/runs/keep/events", "", map[string]string{"Host": "evil.example"}, 421, codeMisdirected},
		{"read, cross-site fetch", "GET", "/api/v1/runs/keep/training", "", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, codeCrossOrigin},
		{"read, foreign origin", "GET", "/api/v1/runs", "", map[string]string{"Origin": "http://evil.example"}, 403, codeCrossOrigin},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			req := ts.rawRequest(t, tt.method, tt.path, tt.body, tt.headers)
			status, got := ts.do(t, req)
			if status != tt.status || errorCodeOf(got) != tt.code {
				t.Errorf("%s %s: got %d %s, want %d %s", tt.method, tt.path, status, got, tt.status, tt.code)
			}
			runs, err := ts.store.ListRuns(ctx)
			if err != nil || len(runs) != 1 || runs[0].Run != "keep" || runs[0].TrainingIterations != 3 {
				t.Errorf("after the request the store holds %+v (err %v), want only run keep with 3 entries", runs, err)
			}
		})
	}
	accepted := []struct {
		name, method, path, body string
		headers                  map[string]string
		status                   int
	}{
		{"json", "POST", "/api/v1/runs/r/training", body, jsonCT, 204},
		{"json with charset", "POST", "/api/v1/runs/r2/training", body, map[string]string{"Content-Type": "application/json; charset=utf-8"}, 204},
		{"own origin", "POST", "/api/v1/runs/r3/training", body, with(map[string]string{"Origin": ts.origin(), "Sec-Fetch-Site": "same-origin"}), 204},
		{"localhost host and origin", "POST", "/api/v1/runs/r4/training", body, with(map[string]string{"Host": "localhost:" + port, "Origin": "http://localhost:" + port}), 204},
		{"ipv6 loopback host", "POST", "/api/v1/runs/r5/training", body, with(map[string]string{"Host": "[::1]:" + port}), 204},
		{"other loopback address", "GET", "/api/v1/runs", "", map[string]string{"Host": "127.0.0.2:" + port}, 200},
		{"read, same-site", "GET", "/api/v1/runs", "", map[string]string{"Sec-Fetch-Site": "same-site"}, 200},
		{"dashboard, cross-site navigation", "GET", "/", "", map[string]string{"Sec-Fetch-Site": "cross-site"}, 404}, // no UI in this server: 404, not 403
		{"delete, own origin", "DELETE", "/api/v1/runs/r", "", map[string]string{"Origin": ts.origin()}, 200},        // moved to the trash
	}
	for _, tt := range accepted {
		t.Run(tt.name, func(t *testing.T) {
			status, got := ts.do(t, ts.rawRequest(t, tt.method, tt.path, tt.body, tt.headers))
			if status != tt.status {
				t.Errorf("%s %s: got %d %s, want %d", tt.method, tt.path, status, got, tt.status)
			}
		})
	}
	runs, _ := ts.store.ListRuns(ctx)
	if len(runs) != 5 { // keep, r2, r3, r4, r5
		t.Errorf("store holds %+v, want keep, r2, r3, r4, r5", runs)
	}
}

// TestAllowedHosts checks the Host allow-list of a loopback server, and the
// default of a server reached on another address.
func TestAllowedHosts(t *testing.T) {
	ts := startServer(t, ServerOptions{AllowedHosts: []string{"stats.example", "*.lab.example"}})
	port := strings.TrimPrefix(ts.http.URL, "http://127.0.0.1:")
	for host, want := range map[string]int{
		"stats.example:" + port:      200,
		"stats.example":              200,
		"STATS.example":              200,
		"a.lab.example:" + port:      200,
		"lab.example":                421,
		"evil.example":               421,
		"stats.example.evil.example": 421,
		"10.0.0.1":                   421, // not loopback: a rebinding target
		"localhost":                  200,
		"127.0.0.1":                  200,
	} {
		t.Run(host, func(t *testing.T) {
			status, body := ts.do(t, ts.rawRequest(t, "GET", "/api/v1/runs", "", map[string]string{"Host": host}))
			if status != want {
				t.Errorf("Host %s: got %d %s, want %d", host, status, body, want)
			}
			if status == 421 && !strings.Contains(body, "allowed-hosts") {
				t.Errorf("Host %s: 421 body %s does not say how to allow it", host, body)
			}
		})
	}
	t.Run("non-loopback address", func(t *testing.T) {
		s := NewServer(memstore.New(nil), ServerOptions{AllowedHosts: []string{"stats.example"}})
		defer s.Close()
		local := &net.TCPAddr{IP: net.ParseIP("10.1.2.3"), Port: 8080}
		for host, want := range map[string]int{
			"10.1.2.3:8080":      200, // IP literals cannot be rebound
			"[fd00::1]:8080":     200,
			"stats.example:8080": 200,
			"localhost:8080":     200,
			"evil.example:8080":  421,
		} {
			req := httptest.NewRequest("GET", "/api/v1/runs", nil)
			req = req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey, net.Addr(local)))
			req.Host = host
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != want {
				t.Errorf("Host %s on %s: got %d %s, want %d", host, local, rec.Code, rec.Body, want)
			}
		}
	})
	t.Run("any host", func(t *testing.T) {
		ts := startServer(t, ServerOptions{AllowedHosts: []string{"*"}})
		if status, body := ts.do(t, ts.rawRequest(t, "GET", "/api/v1/runs", "", map[string]string{"Host": "whatever.example"})); status != 200 {
			t.Errorf("AllowedHosts *: got %d %s, want 200", status, body)
		}
	})
}

// TestAuthBeforeBody checks that a request without the token is answered 401
// at once: the server does not wait for (or read) a body it will not use.
// The client sends the headers of a 100 MB body and then nothing.
func TestAuthBeforeBody(t *testing.T) {
	for _, tt := range []struct {
		name   string
		opts   ServerOptions
		header string
		status int
	}{
		{"no token", ServerOptions{Token: testToken}, "", 401},
		{"wrong token", ServerOptions{Token: testToken}, "Authorization: Bearer nope\r\n", 401},
		{"too large", ServerOptions{MaxBodyBytes: 1 << 20}, "", 413},
		{"not json", ServerOptions{}, "", 415},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, tt.opts)
			conn, err := net.Dial("tcp", ts.http.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			ctype := "application/json"
			if tt.status == 415 {
				ctype = "text/plain"
			}
			// A hang breaker, not a timing check: without the fix the answer
			// comes only when the server's 5-minute read timeout expires.
			conn.SetDeadline(time.Now().Add(time.Minute))
			fmt.Fprintf(conn, "POST /api/v1/runs/r/training HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\n%sContent-Length: 100000000\r\n\r\n",
				ts.http.Listener.Addr(), ctype, tt.header)
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("no answer while the body is pending: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Errorf("got %d %s, want %d", resp.StatusCode, body, tt.status)
			}
			if !resp.Close {
				t.Errorf("the answer keeps the connection open (Connection: %q), want close: the unread body must not be taken for the next request", resp.Header.Get("Connection"))
			}
		})
	}
}

// TestLowercaseBearer checks that the auth scheme is case-insensitive
// (RFC 7235 §2.1).
func TestLowercaseBearer(t *testing.T) {
	ts := startServer(t, ServerOptions{Token: testToken})
	for _, scheme := range []string{"bearer", "BEARER", "Bearer"} {
		req := ts.request(t, "POST", "/api/v1/runs/r-"+scheme+"/training", `{"iteration_stats": [{"iteration": 0, "loss": 1, "time": 1}]}`, "")
		req.Header.Set("Authorization", scheme+" "+testToken)
		if status, body := ts.do(t, req); status != 204 {
			t.Errorf("Authorization: %s <token>: got %d %s, want 204", scheme, status, body)
		}
	}
}

// TestUnauthorizedRouteLabel checks that refused requests are counted under
// their route, not as "unmatched".
func TestUnauthorizedRouteLabel(t *testing.T) {
	ts := startServer(t, ServerOptions{Token: testToken})
	if status, _ := ts.do(t, ts.request(t, "POST", "/api/v1/runs/r/training", `{"iteration_stats": []}`, "")); status != 401 {
		t.Fatalf("got %d, want 401", status)
	}
	_, body := ts.do(t, ts.request(t, "GET", "/metrics", "", ""))
	want := `statstore_http_requests_total{route="POST /api/v1/runs/{run}/training",method="POST",status="401"} 1`
	if !strings.Contains(body, want) {
		t.Errorf("metrics lack %s:\n%s", want, body)
	}
	if strings.Contains(body, `route="unmatched"`) {
		t.Errorf("metrics count a 401 as unmatched:\n%s", body)
	}
}

// TestEventStreamsPerClient checks that one client cannot take every event
// stream: beyond MaxStreamsPerClient its streams are refused with 429.
func TestEventStreamsPerClient(t *testing.T) {
	ts := startServer(t, ServerOptions{MaxStreamsPerClient: 2})
	_, first := follow(t, ts, "r")
	follow(t, ts, "other")
	resp, err := ts.http.Client().Do(ts.request(t, "GET", "/api/v1/runs/r/events", "", ""))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusTooManyRequests {
		resp.Body.Close() // a stream: do not read it to its end
		t.Fatalf("third stream of one client: got %d, want 429", resp.StatusCode)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if errorCodeOf(string(body)) != codeTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("third stream of one client: got %s (Retry-After %q), want %s with Retry-After", body, resp.Header.Get("Retry-After"), codeTooManyRequests)
	}
	first.Body.Close()
	// The server notices the client left and frees its slot.
	for {
		req := ts.request(t, "GET", "/api/v1/runs/r/events", "", "")
		ctx, cancel := context.WithCancel(context.Background())
		resp, err := ts.http.Client().Do(req.WithContext(ctx))
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		resp.Body.Close()
		cancel()
		if resp.StatusCode == 200 {
			break
		}
		if resp.StatusCode != 429 {
			t.Fatalf("got %d, want 200 once a stream is closed", resp.StatusCode)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Run("broker", func(t *testing.T) {
		b := newBroker(2, 3)
		for i := 0; i < 2; i++ {
			if _, err := b.subscribe("r", "10.0.0.1"); err != nil {
				t.Fatalf("stream %d of client 1: %v", i, err)
			}
		}
		if _, err := b.subscribe("r", "10.0.0.1"); codeOf(err).code != codeTooManyRequests {
			t.Errorf("third stream of client 1: got %v, want %s", err, codeTooManyRequests)
		}
		s, err := b.subscribe("r", "10.0.0.2")
		if err != nil {
			t.Fatalf("another client is refused: %v", err)
		}
		if _, err := b.subscribe("r", "10.0.0.3"); codeOf(err).code != codeUnavailable {
			t.Errorf("stream over the server's limit: got %v, want %s", err, codeUnavailable)
		}
		b.unsubscribe(s)
		if _, err := b.subscribe("r", "10.0.0.3"); err != nil {
			t.Errorf("after a stream closed: %v", err)
		}
	})
}

// TestBodyBytesInFlight checks the per-client cap on request bodies being
// received: a client holding one large body open cannot start another that
// would exceed the cap (429), smaller ones pass, and the slot is freed when
// the request ends.
func TestBodyBytesInFlight(t *testing.T) {
	ts := startServer(t, ServerOptions{MaxBodyBytes: 1000, MaxClientBodyBytes: 1500, MaxTotalBodyBytes: 10000})
	pr, pw := io.Pipe()
	req, err := http.NewRequest("POST", ts.http.URL+"/api/v1/runs/slow/training", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = 1000
	req.Header.Set("Content-Type", "application/json")
	held := make(chan int, 1)
	go func() {
		resp, err := ts.http.Client().Do(req)
		if err != nil {
			held <- 0
			return
		}
		resp.Body.Close()
		held <- resp.StatusCode
	}()
	waitBodyBytes(t, ts, 1000)
	small := `{"iteration_stats": [{"iteration": 0, "loss": 1, "time": 1}]}`
	big := `{"iteration_stats": [` + strings.Repeat(`{"iteration": 0, "loss": 1, "time": 1},`, 12) + `{"iteration": 1, "loss": 1, "time": 1}]}`
	if status, body := ts.do(t, ts.request(t, "POST", "/api/v1/runs/big/training", big, "")); status != http.StatusTooManyRequests || errorCodeOf(body) != codeTooManyRequests {
		t.Errorf("second large body: got %d %s, want 429 %s", status, body, codeTooManyRequests)
	}
	if status, body := ts.do(t, ts.request(t, "POST", "/api/v1/runs/small/training", small, "")); status != 204 {
		t.Errorf("small body next to the held one: got %d %s, want 204", status, body)
	}
	pw.CloseWithError(errors.New("client gave up")) // the held request ends
	<-held
	waitBodyBytes(t, ts, 0)
	if status, body := ts.do(t, ts.request(t, "POST", "/api/v1/runs/big/training", big, "")); status != 422 { // read and decoded: repeated iteration 0
		t.Errorf("large body after the held one ended: got %d %s, want 422", status, body)
	}
	t.Run("budget", func(t *testing.T) {
		b := newBodyBudget(150, 100) // total, per client
		if err := b.reserve("a", 100); err != nil {
			t.Fatal(err)
		}
		if err := b.reserve("a", 1); codeOf(err).code != codeTooManyRequests {
			t.Errorf("client over its cap: got %v, want %s", err, codeTooManyRequests)
		}
		if err := b.reserve("b", 50); err != nil {
			t.Fatal(err)
		}
		if err := b.reserve("c", 1); codeOf(err).code != codeUnavailable {
			t.Errorf("over the total: got %v, want %s", err, codeUnavailable)
		}
		b.release("a", 100)
		if err := b.reserve("c", 100); err != nil {
			t.Errorf("after a release: %v", err)
		}
		if got := b.inFlight(); got != 150 {
			t.Errorf("in flight %d, want 150", got)
		}
	})
}

// waitBodyBytes waits until the server's gauge of body bytes in flight is n.
func waitBodyBytes(t *testing.T, ts *testServer, n int64) {
	t.Helper()
	want := fmt.Sprintf("statstore_http_body_bytes_in_flight %d\n", n)
	for {
		_, body := ts.do(t, ts.request(t, "GET", "/metrics", "", ""))
		if strings.Contains(body, want) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestInternalErrorsHideDetails checks that a 500 names a request id (also in
// X-Request-Id) and none of the server's internals, which go to the log.
func TestInternalErrorsHideDetails(t *testing.T) {
	const secret = "/srv/stats/training_stats/r"
	for _, storeErr := range []error{
		fmt.Errorf("open %s: permission denied (user=stats host=/var/run/postgresql)", secret),
		&statstore.CorruptError{Path: secret, Offset: 42, Reason: "bad checksum"},
	} {
		t.Run(storeErr.Error(), func(t *testing.T) {
			var logged strings.Builder
			logger := slog.New(slog.NewTextHandler(&syncWriter{w: &logged}, nil))
			ts := startServer(t, ServerOptions{Logger: logger})
			ts.server.store.StatsStore = failingStore{StatsStore: ts.store, err: storeErr}
			resp, err := ts.http.Client().Do(ts.request(t, "POST", "/api/v1/runs/r/training", `{"iteration_stats": []}`, ""))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body := string(b)
			id := resp.Header.Get("X-Request-Id")
			if resp.StatusCode != 500 || id == "" {
				t.Fatalf("got %d (X-Request-Id %q) %s, want 500 with a request id", resp.StatusCode, id, body)
			}
			if strings.Contains(body, "/srv") || strings.Contains(body, "postgresql") || strings.Contains(body, "training_stats") {
				t.Errorf("500 body %s shows the server's internals", body)
			}
			if !strings.Contains(body, id) {
				t.Errorf("500 body %s does not name the request id %s", body, id)
			}
			ts.http.Close() // flush the request's log line
			if log := logged.String(); !strings.Contains(log, secret) || !strings.Contains(log, id) {
				t.Errorf("the log does not hold the details with the request id %s:\n%s", id, log)
			}
		})
	}
	t.Run("every answer has a request id", func(t *testing.T) {
		ts := startServer(t, ServerOptions{})
		resp, err := ts.http.Client().Get(ts.http.URL + "/api/v1/runs")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("200 without X-Request-Id")
		}
	})
}

// syncWriter serialises writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// TestRetryableStatuses checks 503 (with Retry-After) for an unavailable
// backend and 507 for a full disk, through the server and back through the
// client.
func TestRetryableStatuses(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		status     int
		code       string
		sentinel   error
		retryAfter bool
	}{
		{"unavailable", fmt.Errorf("postgres: dial unix /run/postgresql/.s.PGSQL.5432: connection refused: %w", statstore.ErrUnavailable), 503, codeUnavailable, statstore.ErrUnavailable, true},
		{"storage full", fmt.Errorf("postgres: could not extend file: %w", statstore.ErrStorageFull), 507, codeStorageFull, statstore.ErrStorageFull, false},
		{"ENOSPC", fmt.Errorf("filestore: append: %w", &os.PathError{Op: "write", Path: "/srv/x", Err: syscall.ENOSPC}), 507, codeStorageFull, statstore.ErrStorageFull, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, ServerOptions{})
			ts.server.store.StatsStore = failingStore{StatsStore: ts.store, err: tt.err}
			resp, err := ts.http.Client().Do(ts.request(t, "POST", "/api/v1/runs/r/training", `{"iteration_stats": []}`, ""))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || errorCodeOf(string(b)) != tt.code {
				t.Errorf("got %d %s, want %d %s", resp.StatusCode, b, tt.status, tt.code)
			}
			if got := resp.Header.Get("Retry-After") != ""; got != tt.retryAfter {
				t.Errorf("Retry-After %q, want present = %v", resp.Header.Get("Retry-After"), tt.retryAfter)
			}
			if strings.Contains(string(b), "/srv") || strings.Contains(string(b), "/run/") {
				t.Errorf("body %s shows server paths", b)
			}
			err = ts.client(t, ClientOptions{}).StoreTrainingStats(context.Background(), "r", mustTraining(t, 1))
			if !errors.Is(err, tt.sentinel) {
				t.Errorf("client: got %v, want errors.Is %v", err, tt.sentinel)
			}
		})
	}
}

// TestChunkedBodyBudget checks that a body of unknown length reserves its
// bytes as they arrive, stops at the client's cap, and gives them back.
func TestChunkedBodyBudget(t *testing.T) {
	b := newBodyBudget(1<<20, 2*chunkReservation)
	rb := &reservingBody{ReadCloser: io.NopCloser(strings.NewReader(strings.Repeat("x", 3*chunkReservation))), budget: b, client: "a"}
	n, err := io.Copy(io.Discard, rb)
	if codeOf(err).code != codeTooManyRequests || n != 2*chunkReservation {
		t.Errorf("reading 3 chunks with a cap of 2: read %d bytes, err %v; want %d bytes and %s", n, err, 2*chunkReservation, codeTooManyRequests)
	}
	rb.releaseAll()
	if got := b.inFlight(); got != 0 {
		t.Errorf("after release %d bytes in flight, want 0", got)
	}

	ts := startServer(t, ServerOptions{})
	body := `{"iteration_stats": [{"iteration": 0, "loss": 1, "time": 1}]}`
	req := ts.request(t, "POST", "/api/v1/runs/chunked/training", "", "")
	req.Body = io.NopCloser(strings.NewReader(body)) // no length: sent chunked
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	if status, got := ts.do(t, req); status != 204 {
		t.Fatalf("chunked POST: got %d %s, want 204", status, got)
	}
	waitBodyBytes(t, ts, 0)
	if runs, _ := ts.store.ListRuns(context.Background()); len(runs) != 1 {
		t.Errorf("store holds %v, want run chunked", runs)
	}
}
