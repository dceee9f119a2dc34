package httpapi

import (
	"context"
	"math"
	"net/http"
	"strings"
	"testing"
)

func TestDecodeTrainingColumns(t *testing.T) {
	tests := []struct {
		name, body string
		code       string // "" for success
		want       int    // entries
	}{
		{"python tokens", `{"iteration": [0, 1, 2], "loss": [NaN, Infinity, -Infinity], "time": [0.1, 0.2, 0.3]}`, "", 3},
		{"strings", `{"time": [0.5], "loss": ["NaN"], "iteration": [7]}`, "", 1},
		{"empty", `{"iteration": [], "loss": [], "time": []}`, "", 0},
		{"lengths differ", `{"iteration": [0, 1], "loss": [0.5], "time": [0.1, 0.2]}`, codeMalformedJSON, 0},
		{"missing time", `{"iteration": [0], "loss": [0.5]}`, codeMalformedJSON, 0},
		{"unknown key", `{"iteration": [0], "loss": [0.5], "time": [0.1], "extra": 1}`, codeMalformedJSON, 0},
		{"row form", `{"iteration_stats": [{"iteration": 0, "loss": 0.5, "time": 0.1}]}`, codeMalformedJSON, 0},
		{"fraction", `{"iteration": [0.5], "loss": [0.5], "time": [0.1]}`, codeMalformedJSON, 0},
		{"string iteration", `{"iteration": ["3"], "loss": [0.5], "time": [0.1]}`, codeMalformedJSON, 0},
		{"trailing", `{"iteration": [0], "loss": [0.5], "time": [0.1]} {}`, codeMalformedJSON, 0},
		{"truncated", `{"iteration": [0], "loss": [0.`, codeMalformedJSON, 0},
		{"not an object", `[1, 2]`, codeMalformedJSON, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stats, err := decodeTrainingColumnsFrom(strings.NewReader(tt.body))
			if got := decodeCode(err); got != tt.code {
				t.Fatalf("decode: code %q (%v), want %q", got, err, tt.code)
			}
			if err == nil && len(stats.IterationStats) != tt.want {
				t.Fatalf("got %d entries, want %d", len(stats.IterationStats), tt.want)
			}
		})
	}
	stats, err := decodeTrainingColumnsFrom(strings.NewReader(`{"iteration": [3, 9], "loss": [NaN, -0.0], "time": ["Infinity", 2.5]}`))
	if err != nil {
		t.Fatal(err)
	}
	e := stats.IterationStats
	if e[0].Iteration != 3 || !math.IsNaN(e[0].Loss) || !math.IsInf(e[0].Time, 1) || e[1].Iteration != 9 || math.Float64bits(e[1].Loss) != math.Float64bits(math.Copysign(0, -1)) || e[1].Time != 2.5 {
		t.Errorf("decoded %+v, want entries 3 (NaN, +Inf) and 9 (-0, 2.5)", e)
	}
}

func TestPostTrainingColumns(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	post := func(body, contentType string) (int, string) {
		req := ts.request(t, http.MethodPost, "/api/v1/runs/cols/training", body, "")
		req.Header.Set("Content-Type", contentType)
		return ts.do(t, req)
	}
	if code, body := post(`{"iteration": [0, 1, 2], "loss": [0.5, NaN, 0.25], "time": [0.1, 0.1, 0.1]}`, TrainingColumnsMediaType); code != http.StatusNoContent {
		t.Fatalf("columnar POST: %d %s, want 204", code, body)
	}
	// The extend rule applies as to rows: the same prefix again and a longer one.
	if code, body := post(`{"iteration": [0, 1, 2, 3], "loss": [0.5, NaN, 0.25, 0.125], "time": [0.1, 0.1, 0.1, 0.1]}`, TrainingColumnsMediaType+"; charset=utf-8"); code != http.StatusNoContent {
		t.Fatalf("columnar POST: %d %s, want 204", code, body)
	}
	got, err := ts.store.RetrieveTrainingStats(context.Background(), "cols")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.IterationStats) != 4 || got.IterationStats[3].Loss != 0.125 || !math.IsNaN(got.IterationStats[1].Loss) {
		t.Fatalf("stored %+v, want iterations 0..3 with NaN at 1 and 0.125 at 3", got.IterationStats)
	}
	// The row form under the columns type, and the columns under the JSON type, are malformed.
	if code, body := post(`{"iteration_stats": []}`, TrainingColumnsMediaType); code != http.StatusBadRequest || errorCodeOf(body) != codeMalformedJSON {
		t.Errorf("rows as columns: %d %s, want 400 malformed_json", code, body)
	}
	if code, body := post(`{"iteration": [4], "loss": [1], "time": [1]}`, "application/json"); code != http.StatusBadRequest || errorCodeOf(body) != codeMalformedJSON {
		t.Errorf("columns as rows: %d %s, want 400 malformed_json", code, body)
	}
	// Only the training POST takes the type.
	req := ts.request(t, http.MethodPost, "/api/v1/runs/cols/validation", `{"datasets": []}`, "")
	req.Header.Set("Content-Type", TrainingColumnsMediaType)
	if code, body := ts.do(t, req); code != http.StatusUnsupportedMediaType {
		t.Errorf("columns to the validation POST: %d %s, want 415", code, body)
	}
	if code, body := post(`{"iteration": [], "loss": [], "time": []}`, "application/vnd.other+json"); code != http.StatusUnsupportedMediaType {
		t.Errorf("another media type: %d %s, want 415", code, body)
	}
}

// FuzzDecodeTrainingColumns checks that no body makes the decoder panic and
// that what it accepts decodes the same as the row form of its entries.
func FuzzDecodeTrainingColumns(f *testing.F) {
	for _, s := range []string{
		`{"iteration": [0, 1, 2], "loss": [NaN, Infinity, -Infinity], "time": [0.1, 0.2, 0.3]}`,
		`{"iteration": [], "loss": [], "time": []}`,
		`{"time": ["NaN:0xfff8000000000000"], "loss": [1e308], "iteration": [9007199254740993]}`,
		`{"iteration": [0, 1], "loss": [0.5], "time": [0.1, 0.2]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		stats, err := decodeTrainingColumnsFrom(strings.NewReader(string(data)))
		if err != nil {
			if c := codeOf(err); c.status != http.StatusBadRequest {
				t.Fatalf("decode error %v maps to %d, want 400", err, c.status)
			}
			return
		}
		again, err := decodeTraining(appendTrainingJSON(nil, "r", stats.IterationStats, true))
		if err != nil {
			t.Fatalf("the rows of what was accepted do not decode: %v", err)
		}
		if !again.Equal(stats) {
			t.Fatalf("rows and columns differ: %v, %v", stats.IterationStats, again.IterationStats)
		}
	})
}
