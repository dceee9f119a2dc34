package httpapi

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/storetest"
)

// TestDeleteRunStatuses: DELETE of a run moves it to the trash (200 and
// the entry), ?permanent=true deletes it for good (204), and both answer
// 404 for a run the store does not list; the Go client's DeleteRun keeps
// the store contract (an unknown run is not an error).
func TestDeleteRunStatuses(t *testing.T) {
	ctx := context.Background()
	ts := startServer(t, ServerOptions{})
	for _, run := range []string{"a", "b"} {
		if err := ts.store.StoreTrainingStats(ctx, run, storetest.Training(0, 1)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		path   string
		status int
		code   string
	}{
		{"/api/v1/runs/nope", 404, codeNotFound},
		{"/api/v1/runs/nope?permanent=true", 404, codeNotFound},
		{"/api/v1/runs/a?permanent=maybe", 400, codeInvalidArgument},
		{"/api/v1/runs/a", 200, ""},
		{"/api/v1/runs/a", 404, codeNotFound},
		{"/api/v1/runs/b?permanent=true", 204, ""},
	}
	for _, tt := range tests {
		status, body := ts.do(t, ts.rawRequest(t, "DELETE", tt.path, "", nil))
		if status != tt.status || tt.code != "" && errorCodeOf(body) != tt.code {
			t.Errorf("DELETE %s: got %d %s, want %d %s", tt.path, status, body, tt.status, tt.code)
		}
	}
	jsonCT := map[string]string{"Content-Type": "application/json"}
	c := ts.client(t, ClientOptions{})
	if err := c.DeleteRun(ctx, "nope"); err != nil {
		t.Errorf("client DeleteRun of an unknown run: %v, want nil", err)
	}
	entries, err := c.ListTrash(ctx)
	if err != nil || len(entries) != 1 || entries[0].Run != "a" {
		t.Fatalf("ListTrash: %+v, %v; want the entry of run a only (b was deleted for good)", entries, err)
	}
	status, body := ts.do(t, ts.rawRequest(t, "POST", "/api/v1/trash/"+entries[0].ID+"/restore", `{"as": "a/b"}`, jsonCT))
	if status != 400 || errorCodeOf(body) != codeInvalidRunName {
		t.Errorf("restore as a/b: got %d %s, want 400 %s", status, body, codeInvalidRunName)
	}
	if err := ts.store.StoreTrainingStats(ctx, "a", storetest.Training(0)); err != nil {
		t.Fatal(err)
	}
	status, body = ts.do(t, ts.rawRequest(t, "POST", "/api/v1/trash/"+entries[0].ID+"/restore", "", jsonCT))
	if status != 409 || errorCodeOf(body) != codeRunExists {
		t.Errorf("restore over a live run: got %d %s, want 409 %s", status, body, codeRunExists)
	}
	if _, err := c.RestoreRun(ctx, entries[0].ID, ""); !errors.Is(err, statstore.ErrRunExists) {
		t.Errorf("client RestoreRun over a live run: %v, want ErrRunExists", err)
	}
}

// FuzzTrashBodies: the restore and purge decoders never panic and accept
// only what they can hand to the store.
func FuzzTrashBodies(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"as": "r"}`, `{"as": "a/b"}`, `{"as": 1}`, `{"all": true}`, `{"ids": ["x", "../y"]}`,
		`{"before": "2026-01-01T00:00:00Z"}`, `{"before": "0001-01-01T00:00:00Z"}`, `{"all": true, "ids": ["x"]}`, `{"extra": 1}`, `[`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if as, err := decodeRestore(bytes.NewReader(data)); err == nil && as != "" {
			if verr := statstore.ValidateRunName(as); verr != nil {
				t.Errorf("decodeRestore(%q) accepted the invalid name %q", data, as)
			}
		} else if err != nil && !errors.Is(err, statstore.ErrInvalidArgument) && !errors.Is(err, statstore.ErrInvalidRunName) {
			t.Errorf("decodeRestore(%q): error %v matches no sentinel", data, err)
		}
		sel, err := decodePurge(bytes.NewReader(data))
		if err == nil {
			if verr := sel.Validate(); verr != nil {
				t.Errorf("decodePurge(%q) accepted an invalid selection %+v: %v", data, sel, verr)
			}
		} else if !errors.Is(err, statstore.ErrInvalidArgument) {
			t.Errorf("decodePurge(%q): error %v does not wrap ErrInvalidArgument", data, err)
		}
	})
}
