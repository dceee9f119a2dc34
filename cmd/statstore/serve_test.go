package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/filestore"
	"github.com/statstore/statstore/httpapi"
)

// served is a statstore serve running in-process on 127.0.0.1:0.
type served struct {
	url    string // the dashboard URL it printed, without the trailing slash
	stop   context.CancelFunc
	done   chan struct{} // closed when Run returns
	code   int           // the exit status, once done is closed
	stderr *lockedBuffer
}

// lockedBuffer is a bytes buffer safe for one writer and concurrent readers.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServe runs "statstore <args> serve --addr 127.0.0.1:0 <serveArgs>"
// in-process and waits for the dashboard URL it prints. The server is
// stopped (as by Ctrl+C) by the test's cleanup unless the test stops it.
func startServe(t *testing.T, args []string, serveArgs ...string) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &served{stop: cancel, done: make(chan struct{}), stderr: &lockedBuffer{}}
	app := &App{Stdout: pw, Stderr: s.stderr, Getenv: func(string) string { return "" }}
	all := append(append(append([]string{}, args...), "serve", "--addr", "127.0.0.1:0"), serveArgs...)
	go func() {
		s.code = app.Run(ctx, all)
		pw.Close()
		close(s.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-s.done
	})
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		if u, ok := strings.CutPrefix(strings.TrimSpace(lines.Text()), "dashboard: "); ok {
			s.url = strings.TrimSuffix(u, "/")
			break
		}
	}
	if s.url == "" {
		t.Fatalf("statstore %s printed no dashboard URL; stderr:\n%s", strings.Join(all, " "), s.stderr.String())
	}
	go io.Copy(io.Discard, pr) // keep draining stdout
	return s
}

// shutdown stops the server as Ctrl+C does and returns its exit status.
func (s *served) shutdown() int {
	s.stop()
	<-s.done
	return s.code
}

// get answers GET path with token (none when empty): status and body.
func (s *served) get(t *testing.T, path, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, string(body)
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func trainingStats(t *testing.T, from, to int) *statstore.TrainingStats {
	t.Helper()
	s := &statstore.TrainingStats{}
	for i := from; i < to; i++ {
		if err := s.AddIterationStats(statstore.TrainingIterationStats{Iteration: i, Loss: 1 / float64(i+1), Time: 0.1}); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestServeRejectsBadFlags(t *testing.T) {
	empty := writeFile(t, "empty", " \n")
	twoLines := writeFile(t, "two", "a\nb\n")
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"token for reads without a token", []string{"serve", "--token-for-reads"}, exitUsage, "needs --token-file"},
		{"no body limit", []string{"serve", "--max-body-bytes", "0"}, exitUsage, "--max-body-bytes"},
		{"missing token file", []string{"serve", "--token-file", filepath.Join(t.TempDir(), "nope")}, exitError, "cannot read the token file"},
		{"empty token file", []string{"serve", "--token-file", empty}, exitError, "is empty"},
		{"token file of two lines", []string{"serve", "--token-file", twoLines}, exitError, "several lines"},
		{"demo with a store", []string{"--store", t.TempDir(), "serve", "--demo"}, exitUsage, "--demo"},
		{"arguments", []string{"serve", "extra"}, exitUsage, "extra"},
		{"address in use", []string{"--store", t.TempDir(), "serve", "--addr", busy.Addr().String()}, exitError, "cannot listen on " + busy.Addr().String()},
		{"bad address", []string{"--store", t.TempDir(), "serve", "--addr", "nonsense"}, exitError, "cannot listen on nonsense"},
		{"allowed host with a scheme", []string{"serve", "--allowed-hosts", "http://stats.example/"}, exitUsage, "--allowed-hosts"},
		{"allowed host with a space", []string{"serve", "--allowed-hosts", "a b"}, exitUsage, "--allowed-hosts"},
		{"no stream limit", []string{"serve", "--max-streams-per-client", "0"}, exitUsage, "--max-streams-per-client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("statstore %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tt.args, " "), r.code, r.stderr, tt.code, tt.want)
			}
		})
	}
}

func TestServeStoresAndShutsDown(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "stats")
	s := startServe(t, []string{"--store", dir})
	if !strings.HasPrefix(s.url, "http://127.0.0.1:") {
		t.Errorf("dashboard URL %q, want http://127.0.0.1:PORT (loopback by default)", s.url)
	}
	if code, body := s.get(t, "/", ""); code != http.StatusOK || !strings.Contains(body, "js/app.js") {
		t.Errorf("GET /: status %d, want 200 and the dashboard; body %.200q", code, body)
	}
	c, err := httpapi.NewClient(s.url, httpapi.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	want := trainingStats(t, 0, 500)
	if err := c.StoreTrainingStats(ctx, "run_a", want); err != nil {
		t.Fatalf("store through the server: %v", err)
	}
	if code := s.shutdown(); code != exitOK {
		t.Fatalf("exit status %d after the interrupt, want 0; stderr:\n%s", code, s.stderr.String())
	}
	if !strings.Contains(s.stderr.String(), "shutting down") {
		t.Errorf("stderr %q, want it to say it is shutting down", s.stderr.String())
	}
	// The store was closed and holds what was written.
	fs, err := filestore.Open(dir, filestore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	got, err := fs.RetrieveTrainingStats(ctx, "run_a")
	if err != nil || !got.Equal(want) {
		t.Errorf("after shutdown the store holds %d entries (err %v), want the %d written", got.Len(), err, want.Len())
	}
}

func TestServeFinishesWritesInFlight(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "stats")
	s := startServe(t, []string{"--store", dir})

	// A write whose body arrives in two halves, the second after the interrupt.
	const n = 2000
	var body strings.Builder
	body.WriteString(`{"iteration_stats": [`)
	for i := range n {
		if i > 0 {
			body.WriteString(",")
		}
		fmt.Fprintf(&body, `{"iteration": %d, "loss": 0.5, "time": 0.1}`, i)
	}
	body.WriteString("]}")
	half := body.Len() / 2
	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodPost, s.url+"/api/v1/runs/inflight/training", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(body.Len())
	req.Header.Set("Content-Type", "application/json")
	answer := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent {
				err = fmt.Errorf("status %d, want 204", resp.StatusCode)
			}
		}
		answer <- err
	}()
	if _, err := io.WriteString(pw, body.String()[:half]); err != nil {
		t.Fatal(err)
	}
	waitInFlight(t, s, 2) // the write and the metrics request itself

	s.stop() // Ctrl+C while the write is in flight
	for !strings.Contains(s.stderr.String(), "shutting down") {
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := io.WriteString(pw, body.String()[half:]); err != nil {
		t.Fatalf("sending the rest of the body after the interrupt: %v", err)
	}
	pw.Close()
	if err := <-answer; err != nil {
		t.Fatalf("the write in flight at the interrupt: %v", err)
	}
	<-s.done
	if code := s.code; code != exitOK {
		t.Fatalf("exit status %d, want 0; stderr:\n%s", code, s.stderr.String())
	}
	fs, err := filestore.Open(dir, filestore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	got, err := fs.RetrieveTrainingStats(context.Background(), "inflight")
	if err != nil || got.Len() != n {
		t.Errorf("the store holds %d entries of the write in flight (err %v), want %d", got.Len(), err, n)
	}
}

// waitInFlight waits until the server's in-flight gauge reaches n.
func waitInFlight(t *testing.T, s *served, n int) {
	t.Helper()
	for {
		_, metrics := s.get(t, "/metrics", "")
		for _, line := range strings.Split(metrics, "\n") {
			if v, ok := strings.CutPrefix(line, "statstore_http_requests_in_flight "); ok {
				if got, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && got >= n {
					return
				}
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestServeToken(t *testing.T) {
	token := writeFile(t, "token", "s3cret\n")
	tests := []struct {
		name          string
		serveArgs     []string
		readWithout   int // GET /api/v1/runs without the token
		writeWithout  int // POST without the token
		uiWithout     int // GET / without the token
		readWithToken int
	}{
		{"writes", []string{"--token-file", token}, http.StatusOK, http.StatusUnauthorized, http.StatusOK, http.StatusOK},
		{"reads and writes", []string{"--token-file", token, "--token-for-reads"}, http.StatusUnauthorized, http.StatusUnauthorized, http.StatusOK, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startServe(t, []string{"--store", filepath.Join(t.TempDir(), "stats")}, tt.serveArgs...)
			if code, _ := s.get(t, "/api/v1/runs", ""); code != tt.readWithout {
				t.Errorf("read without the token: %d, want %d", code, tt.readWithout)
			}
			if code, _ := s.get(t, "/", ""); code != tt.uiWithout {
				t.Errorf("dashboard without the token: %d, want %d", code, tt.uiWithout)
			}
			if code, _ := s.get(t, "/api/v1/runs", "s3cret"); code != tt.readWithToken {
				t.Errorf("read with the token: %d, want %d", code, tt.readWithToken)
			}
			anon, err := httpapi.NewClient(s.url, httpapi.ClientOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer anon.Close()
			err = anon.StoreTrainingStats(context.Background(), "r", trainingStats(t, 0, 3))
			if !errors.Is(err, httpapi.ErrUnauthorized) {
				t.Errorf("write without the token: %v, want ErrUnauthorized", err)
			}
			authed, err := httpapi.NewClient(s.url, httpapi.ClientOptions{Token: "s3cret"})
			if err != nil {
				t.Fatal(err)
			}
			defer authed.Close()
			if err := authed.StoreTrainingStats(context.Background(), "r", trainingStats(t, 0, 3)); err != nil {
				t.Errorf("write with the token: %v", err)
			}
		})
	}
}

// TestServeAllowedHosts checks that a loopback server answers loopback
// names and the --allowed-hosts names only (DNS rebinding), and refuses
// cross-site writes.
func TestServeAllowedHosts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "stats")
	s := startServe(t, []string{"--store", dir}, "--allowed-hosts", "stats.example,*.lab.example")
	port := s.url[strings.LastIndex(s.url, ":")+1:]
	for host, want := range map[string]int{
		"127.0.0.1:" + port:     http.StatusOK,
		"localhost:" + port:     http.StatusOK,
		"stats.example:" + port: http.StatusOK,
		"gpu1.lab.example":      http.StatusOK,
		"evil.example:" + port:  http.StatusMisdirectedRequest,
	} {
		req, err := http.NewRequest(http.MethodGet, s.url+"/api/v1/runs", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %s: got %d %s, want %d", host, resp.StatusCode, body, want)
		}
	}
	post := func(ctype, origin string) int {
		req, err := http.NewRequest(http.MethodPost, s.url+"/api/v1/runs/r/training", strings.NewReader(`{"iteration_stats": [{"iteration": 0, "loss": 1, "time": 1}]}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", ctype)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post("text/plain", ""); got != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain POST: got %d, want 415", got)
	}
	if got := post("application/json", "http://evil.example"); got != http.StatusForbidden {
		t.Errorf("POST from a foreign origin: got %d, want 403", got)
	}
	if code, body := s.get(t, "/api/v1/runs", ""); code != http.StatusOK || strings.Contains(body, `"r"`) {
		t.Errorf("after the refused writes: %d %s, want no runs", code, body)
	}
	if got := post("application/json", s.url); got != http.StatusNoContent {
		t.Errorf("POST from the server's own origin: got %d, want 204", got)
	}
}

func TestServeDemo(t *testing.T) {
	s := startServe(t, nil, "--demo")
	code, body := s.get(t, "/api/v1/runs", "")
	if code != http.StatusOK {
		t.Fatalf("GET /api/v1/runs: %d", code)
	}
	for _, run := range demoRunNames() {
		if !strings.Contains(body, `"run":"`+run+`","trained_until":`+strconv.Itoa(serveDemoIterations)) {
			t.Errorf("demo store runs %s, want %s trained until %d", body, run, serveDemoIterations)
		}
	}
	if code := s.shutdown(); code != exitOK {
		t.Errorf("exit status %d, want 0", code)
	}
}

func TestDashboardURL(t *testing.T) {
	tests := []struct {
		addr string
		want string
	}{
		{"127.0.0.1:8080", "http://127.0.0.1:8080/"},
		{"0.0.0.0:80", "http://127.0.0.1:80/"},
		{"[::]:8080", "http://127.0.0.1:8080/"},
		{"[::1]:9000", "http://[::1]:9000/"},
		{"192.168.1.5:8080", "http://192.168.1.5:8080/"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			addr, err := net.ResolveTCPAddr("tcp", tt.addr)
			if err != nil {
				t.Fatal(err)
			}
			if got := dashboardURL(addr); got != tt.want {
				t.Errorf("dashboardURL(%s) = %q, want %q", tt.addr, got, tt.want)
			}
		})
	}
}
