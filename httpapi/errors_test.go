package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

// TestErrorTable checks that each line of the table maps both ways: the
// server answers an error wrapping the sentinel with the line's status, and
// the client turns the line's answer back into an error matching the sentinel.
func TestErrorTable(t *testing.T) {
	for _, line := range errorTable() {
		t.Run(line.code, func(t *testing.T) {
			if line.sentinel != nil && fromError(fmt.Errorf("wrapped: %w", line.sentinel)).sentinel != line.sentinel {
				t.Errorf("fromError(wrapped %v) maps to another sentinel", line.sentinel)
			}
			body := fmt.Sprintf(`{"error": {"code": %q, "message": "boom"}}`, line.code)
			req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/api/v1/runs", nil)
			resp := &http.Response{StatusCode: line.status, Body: io.NopCloser(strings.NewReader(body)), Request: req}
			err := decodeError(resp)
			first, _ := lookupCode(line.code) // a code shared by lines maps back to its first line
			if first.sentinel != nil && !errors.Is(err, first.sentinel) {
				t.Errorf("decodeError(%d %s) = %v, want an error matching %v", line.status, line.code, err, first.sentinel)
			}
			if first.sentinel == nil {
				for _, other := range errorTable() {
					if other.sentinel != nil && errors.Is(err, other.sentinel) {
						t.Errorf("decodeError(%d %s) = %v matches %v, want no sentinel", line.status, line.code, err, other.sentinel)
					}
				}
			}
		})
	}
}

// failingStore answers every write with err.
type failingStore struct {
	statstore.StatsStore
	err error
}

func (f failingStore) StoreTrainingStats(context.Context, string, *statstore.TrainingStats) error {
	return f.err
}

// TestErrorsThroughHTTP checks statuses, codes and errors.Is/As through a
// real server and the client, for errors a memstore never returns.
func TestErrorsThroughHTTP(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		status   int
		code     string
		sentinel error
	}{
		{"read-only", fmt.Errorf("dacapo: import it first: %w", statstore.ErrReadOnly), http.StatusForbidden, codeReadOnly, statstore.ErrReadOnly},
		{"corrupt", &statstore.CorruptError{Path: "training_stats/run", Offset: 42, Reason: "bad checksum"}, http.StatusInternalServerError, codeCorrupt, statstore.ErrCorrupt},
		{"metadata mismatch", fmt.Errorf("x: %w", statstore.ErrMetadataMismatch), http.StatusConflict, codeMetadataMismatch, statstore.ErrMetadataMismatch},
		{"closed", fmt.Errorf("x: %w", statstore.ErrClosed), http.StatusServiceUnavailable, codeUnavailable, statstore.ErrUnavailable}, // to the client: retry later
		{"unexpected", errors.New("disk on fire"), http.StatusInternalServerError, codeInternal, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, ServerOptions{})
			ts.server.store.StatsStore = failingStore{StatsStore: ts.store, err: tt.err}
			status, body := ts.do(t, ts.request(t, http.MethodPost, "/api/v1/runs/r/training", `{"iteration_stats": []}`, ""))
			if status != tt.status || errorCodeOf(body) != tt.code {
				t.Errorf("POST: got %d %s, want %d %s", status, body, tt.status, tt.code)
			}
			if tt.status < 500 && !strings.Contains(body, tt.err.Error()) {
				t.Errorf("POST: body %s does not carry the store's message %q", body, tt.err)
			}
			if tt.status >= 500 && strings.Contains(body, tt.err.Error()) {
				t.Errorf("POST: body %s shows the store's own message %q, want a generic one", body, tt.err)
			}
			err := ts.client(t, ClientOptions{}).StoreTrainingStats(context.Background(), "r", mustTraining(t, 1))
			var apiErr *Error
			if !errors.As(err, &apiErr) || apiErr.Status != tt.status {
				t.Errorf("client: got %v, want an *Error with status %d", err, tt.status)
			}
			if tt.sentinel != nil && !errors.Is(err, tt.sentinel) {
				t.Errorf("client: got %v, want errors.Is %v", err, tt.sentinel)
			}
			var corrupt *statstore.CorruptError
			if got, want := errors.As(err, &corrupt), tt.sentinel == statstore.ErrCorrupt; got != want {
				t.Errorf("client: errors.As(%v, *CorruptError) = %v, want %v", err, got, want)
			}
		})
	}
}

// TestStoreErrorStatuses checks the statuses of the store's own bad-input
// errors.
func TestStoreErrorStatuses(t *testing.T) {
	meta := `"datasets": ["a"], "parameters": [{"id": 0, "values": {"threshold": 0.5}}], "criteria": [{"name": "dice", "higher_is_better": true, "bounds": [0, 1]}]`
	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"out of order", "POST", "/api/v1/runs/r/training", `{"iteration_stats": [{"iteration": 5, "loss": 1, "time": 1}, {"iteration": 3, "loss": 1, "time": 1}]}`, 422, codeOutOfOrder},
		{"negative iteration", "POST", "/api/v1/runs/r/training", `{"iteration_stats": [{"iteration": -1, "loss": 1, "time": 1}]}`, 400, codeInvalidArgument},
		{"shape mismatch", "POST", "/api/v1/runs/r/validation", `{` + meta + `, "scores": [{"iteration": 0, "scores": [[[1, 2]]]}]}`, 422, codeShapeMismatch},
		{"negative validation iteration", "POST", "/api/v1/runs/r/validation", `{` + meta + `, "scores": [{"iteration": 0, "scores": [[[1]]]}, {"iteration": -4, "scores": [[[1]]]}]}`, 400, codeInvalidArgument},
		{"unknown preset", "POST", "/api/v1/runs/r/validation", `{"datasets": ["a"], "parameters": [], "criteria": "nope", "scores": []}`, 400, codeInvalidArgument},
		{"best of unknown run", "GET", "/api/v1/runs/nobody/best", "", 404, codeNotFound},
		{"bad max_points", "GET", "/api/v1/runs/r/training?max_points=1", "", 400, codeInvalidArgument},
		{"bad mode", "GET", "/api/v1/runs/r/training?mode=fast", "", 400, codeInvalidArgument},
		{"bad range", "GET", "/api/v1/runs/r/training?from=10&to=5", "", 400, codeInvalidArgument},
		{"non-numeric from", "GET", "/api/v1/runs/r/training?from=x", "", 400, codeInvalidArgument},
		{"unknown route", "GET", "/api/v1/nothing", "", 404, codeNotFound},
		{"wrong method", "PUT", "/api/v1/runs/r/training", "", 405, codeMethodNotAllowed},
	}
	ts := startServer(t, ServerOptions{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := ts.do(t, ts.request(t, tt.method, tt.path, tt.body, ""))
			if status != tt.status || errorCodeOf(body) != tt.code {
				t.Errorf("%s %s: got %d %s, want %d %s", tt.method, tt.path, status, body, tt.status, tt.code)
			}
		})
	}
	runs, err := ts.store.ListRuns(context.Background())
	if err != nil || len(runs) != 0 {
		t.Errorf("after bad input the store holds %v (err %v), want nothing", runs, err)
	}
	t.Run("405 names the allowed methods", func(t *testing.T) {
		resp, err := ts.http.Client().Do(ts.request(t, "PUT", "/api/v1/runs/r/training", "", ""))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Allow"); got != "GET, POST, DELETE" {
			t.Errorf("Allow = %q, want %q", got, "GET, POST, DELETE")
		}
	})
}
