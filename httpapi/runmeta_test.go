package httpapi

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

// TestRunMetaRoutes checks the wire answers of the metadata routes: the
// shapes docs/api.md gives, 204 for a run without configuration, and 400
// with a message naming the problem for bad bodies.
func TestRunMetaRoutes(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	send := func(method, path, body string) (int, string) {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, ts.http.URL+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(b))
	}
	steps := []struct {
		method, path, body string
		status             int
		want               string // the answer, or a part of an error message
	}{
		{"GET", "/api/v1/runs/r/config", "", 204, ""},
		{"GET", "/api/v1/runs/r/tags", "", 200, `{"tags":{}}`},
		{"PUT", "/api/v1/runs/r/config", `{"b": 1, "a": [1, 2]}`, 204, ""},
		{"GET", "/api/v1/runs/r/config", "", 200, `{"a":[1,2],"b":1}`},
		{"PUT", "/api/v1/runs/r/config", `[1]`, 400, "must be a JSON object"},
		{"PUT", "/api/v1/runs/r/config", ``, 400, "body is empty"},
		{"PATCH", "/api/v1/runs/r/tags", `{"set": {"arch": "unet", "seed": "1"}}`, 200, `{"tags":{"arch":"unet","seed":"1"}}`},
		{"PATCH", "/api/v1/runs/r/tags", `{"set": {"lr": "1e-4"}, "remove": ["seed"]}`, 200, `{"tags":{"arch":"unet","lr":"1e-4"}}`},
		{"PATCH", "/api/v1/runs/r/tags", `{"set": {"a b": "x"}}`, 400, "contains space"},
		{"PATCH", "/api/v1/runs/r/tags", `{"add": {"k": "v"}}`, 400, "set"},
		{"PATCH", "/api/v1/runs/r/tags", `{"set": {"k": "v"}, "remove": ["k"]}`, 400, "both set and removed"},
		{"GET", "/api/v1/runs", "", 200, `"run":"r"`},
		{"DELETE", "/api/v1/runs/r/config", "", 204, ""},
		{"GET", "/api/v1/runs/r/config", "", 204, ""},
		{"GET", "/api/v1/runs/..%2Fx/tags", "", 400, ""},
	}
	for _, st := range steps {
		status, body := send(st.method, st.path, st.body)
		if status != st.status || !strings.Contains(body, st.want) {
			t.Errorf("%s %s %s: got %d %s, want %d with %q", st.method, st.path, st.body, status, body, st.status, st.want)
		}
	}
}

// FuzzDecodeTagsPatch: no body panics the PATCH .../tags decoder, and
// what it accepts applies to empty tags without an error.
func FuzzDecodeTagsPatch(f *testing.F) {
	for _, s := range []string{`{"set":{"a":"1"},"remove":["b"]}`, `{}`, `{"set":{"a b":"x"}}`, `{"set":{"k":"v"},"remove":["k"]}`, `[`, `{"add":{}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := decodeTagsPatch(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		if _, err := statstore.ApplyTags(nil, p.Set, p.Remove); err != nil {
			t.Fatalf("accepted %q, which ApplyTags refuses: %v", data, err)
		}
	})
}
