package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

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
		{"delete with token", false, "DELETE", "/api/v1/runs/r", testToken, 204, false},
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
