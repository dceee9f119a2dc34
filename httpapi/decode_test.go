package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/memstore"
)

// seeds returns the request bodies under testdata/<dir>, by file name.
func seeds(tb testing.TB, dir string) map[string][]byte {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no seeds in testdata/%s: %v", dir, err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	return out
}

// wantCode is what decoding a seed gives: "" for success, else the code.
func decodeCode(err error) string {
	if err == nil {
		return ""
	}
	return codeOf(err).code
}

func TestDecodeTraining(t *testing.T) {
	want := map[string]string{
		"python-tokens.json": "",
		"strings.json":       "",
		"empty.json":         "",
		"missing-loss.json":  codeInvalidArgument,
		"wrong-types.json":   codeMalformedJSON,
		"truncated.json":     codeMalformedJSON,
		"deep.json":          codeMalformedJSON,
		"big-numbers.json":   codeMalformedJSON,
	}
	for name, data := range seeds(t, "training") {
		t.Run(name, func(t *testing.T) {
			code, ok := want[name]
			if !ok {
				t.Fatalf("seed %s has no expected outcome in this table", name)
			}
			_, err := decodeTraining(data)
			if got := decodeCode(err); got != code {
				t.Errorf("decodeTraining: got code %q (%v), want %q", got, err, code)
			}
			if err != nil && !strings.Contains(err.Error(), "want") {
				t.Errorf("error %q does not say what was expected", err)
			}
		})
	}
	t.Run("values", func(t *testing.T) {
		stats, err := decodeTraining(seeds(t, "training")["strings.json"])
		if err != nil {
			t.Fatal(err)
		}
		e := stats.IterationStats
		if len(e) != 3 || !math.IsNaN(e[0].Loss) || !math.IsInf(e[0].Time, 1) || !math.IsInf(e[1].Loss, -1) ||
			math.Float64bits(e[2].Loss) != 0xfff8000000000000 || e[1].Iteration != 10 {
			t.Errorf("decoded %+v, want NaN/+Inf, -Inf/1e-300, NaN:0xfff8000000000000/-0 at iterations 0, 10, 20", e)
		}
	})
}

func TestDecodeValidation(t *testing.T) {
	want := map[string]string{
		"preset.json":        "",
		"list.json":          "",
		"multichannel.json":  "",
		"no-criteria.json":   codeInvalidArgument,
		"bad-bounds.json":    codeInvalidArgument,
		"nested-values.json": codeMalformedJSON,
	}
	for name, data := range seeds(t, "validation") {
		t.Run(name, func(t *testing.T) {
			code, ok := want[name]
			if !ok {
				t.Fatalf("seed %s has no expected outcome in this table", name)
			}
			_, err := decodeValidation(data)
			if got := decodeCode(err); got != code {
				t.Errorf("decodeValidation: got code %q (%v), want %q", got, err, code)
			}
		})
	}
	t.Run("values", func(t *testing.T) {
		v, err := decodeValidation(seeds(t, "validation")["list.json"])
		if err != nil {
			t.Fatal(err)
		}
		if got := v.ParameterDisplayNames(); len(got) != 2 || got[0] != "bias_0.5_context_[32, 32, 32]" {
			t.Errorf("parameter display names %q, want DaCapo's str() names", got)
		}
		loss, _ := v.Criterion("loss")
		if loss.HigherIsBetter || loss.Bounds.Lower == nil || *loss.Bounds.Lower != 0 || loss.Bounds.Upper != nil {
			t.Errorf("criterion loss = %+v, want lower is better, bounds [0, open) (NaN upper is open)", loss)
		}
		if s := v.Scores[0].Scores[0][0]; !math.IsNaN(s[0]) || math.Float64bits(s[1]) != 0x7ff4000000000000 {
			t.Errorf("scores[0] = %v, want NaN and the signalling NaN 0x7ff4000000000000", s)
		}
	})
	t.Run("preset criteria", func(t *testing.T) {
		v, err := decodeValidation(seeds(t, "validation")["preset.json"])
		if err != nil {
			t.Fatal(err)
		}
		want, _ := statstore.Preset(statstore.PresetInstance)
		if !statstore.CriteriaEqual(v.EvaluationScores, want) {
			t.Errorf("criteria %v, want the instance preset %v", v.Criteria(), want)
		}
	})
}

// FuzzDecodeTraining checks that no body makes the decoder panic and that
// what it accepts survives an encode/decode round trip bit-exactly.
func FuzzDecodeTraining(f *testing.F) {
	for _, b := range seeds(f, "training") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		stats, err := decodeTraining(data)
		if err != nil {
			if c := codeOf(err); c.status != http.StatusBadRequest {
				t.Fatalf("decode error %v maps to %d, want 400", err, c.status)
			}
			return
		}
		again, err := decodeTraining(appendTrainingJSON(nil, "r", stats.IterationStats, true))
		if err != nil {
			t.Fatalf("re-decoding what was accepted: %v", err)
		}
		if !again.Equal(stats) {
			t.Fatalf("round trip changed %v into %v", stats.IterationStats, again.IterationStats)
		}
	})
}

// FuzzDecodeValidation checks that no body makes the decoder panic and that
// what it accepts survives an encode/decode round trip.
func FuzzDecodeValidation(f *testing.F) {
	for _, b := range seeds(f, "validation") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := decodeValidation(data)
		if err != nil {
			if c := codeOf(err); c.status != http.StatusBadRequest {
				t.Fatalf("decode error %v maps to %d, want 400", err, c.status)
			}
			return
		}
		b, err := json.Marshal(toWireValidation("r", v, true))
		if err != nil {
			return // e.g. an infinite bound: refused when the store validates it
		}
		again, err := decodeValidation(b)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", b, err)
		}
		if !again.Metadata.Equal(v.Metadata) || len(again.Scores) != len(v.Scores) {
			t.Fatalf("round trip changed the metadata or the number of entries: %s", b)
		}
		for i := range v.Scores {
			if !again.Scores[i].Equal(v.Scores[i]) {
				t.Fatalf("round trip changed entry %d: %v into %v", i, v.Scores[i], again.Scores[i])
			}
		}
	})
}

// FuzzServer posts arbitrary bodies to both write routes of a server over a
// memstore: the server must answer every one without a 5xx.
func FuzzServer(f *testing.F) {
	for _, dir := range []string{"training", "validation"} {
		for _, b := range seeds(f, dir) {
			f.Add(dir, b)
		}
	}
	f.Fuzz(func(t *testing.T, route string, data []byte) {
		if route != "training" && route != "validation" {
			route = "training"
		}
		s := NewServer(memstore.New(nil), ServerOptions{MaxBodyBytes: 1 << 20})
		defer s.Close()
		for _, method := range []string{"POST", "GET"} {
			var body *strings.Reader
			if method == "POST" {
				body = strings.NewReader(string(data))
			} else {
				body = strings.NewReader("")
			}
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(method, "http://127.0.0.1/api/v1/runs/r/"+route, body)
			req.Header.Set("Content-Type", "application/json")
			s.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("%s %s: answered %d %s", method, route, rec.Code, rec.Body)
			}
			if rec.Code >= 400 && errorCodeOf(rec.Body.String()) == "" {
				t.Fatalf("%s %s: %d without an error body: %s", method, route, rec.Code, rec.Body)
			}
		}
	})
}

// TestDecodeErrorsAreSentinels checks that decode errors match
// ErrInvalidArgument, as the store's own bad-input errors do.
func TestDecodeErrorsAreSentinels(t *testing.T) {
	for _, body := range []string{"", "{", `{"iteration_stats": 3}`, `{"iteration_stats": [{}]}`} {
		if _, err := decodeTraining([]byte(body)); !errors.Is(err, statstore.ErrInvalidArgument) {
			t.Errorf("decodeTraining(%q) = %v, want ErrInvalidArgument", body, err)
		}
	}
}

// TestStrictBodies checks that the API refuses what the CLI refuses: unknown
// keys, duplicate keys and numbers written as strings, with messages in the
// API's words (no Go type names).
func TestStrictBodies(t *testing.T) {
	meta := `"datasets": ["a"], "parameters": [{"id": 0, "values": {"threshold": 0.5}}], "criteria": "dummy"`
	tests := []struct {
		name, route, body string
		want              string // in the message
	}{
		{"unknown top-level key", "training", `{"iteration_stats": [], "iteration_statz": []}`, `"iteration_statz"`},
		{"unknown entry key", "training", `{"iteration_stats": [{"iteration": 0, "loss": 1, "time": 1, "los": 2}]}`, `"los"`},
		{"duplicate entry key", "training", `{"iteration_stats": [{"iteration": 0, "loss": 1, "loss": 2, "time": 1}]}`, `"loss"`},
		{"duplicate top-level key", "training", `{"iteration_stats": [], "iteration_stats": [{"iteration": 0, "loss": 1, "time": 1}]}`, `"iteration_stats"`},
		{"string iteration", "training", `{"iteration_stats": [{"iteration": "3", "loss": 1, "time": 1}]}`, `iteration`},
		{"fractional iteration", "training", `{"iteration_stats": [{"iteration": 3.5, "loss": 1, "time": 1}]}`, `iteration`},
		{"case-folded key", "training", `{"Iteration_Stats": [{"iteration": 0, "loss": 1, "time": 1}]}`, `"Iteration_Stats"`},
		{"string loss", "training", `{"iteration_stats": [{"iteration": 0, "loss": "1", "time": 1}]}`, `loss`},
		{"validation unknown key", "validation", `{` + meta + `, "scores": [], "extra": 1}`, `"extra"`},
		{"validation duplicate key", "validation", `{` + meta + `, "datasets": ["b"], "scores": []}`, `"datasets"`},
		{"validation string iteration", "validation", `{` + meta + `, "scores": [{"iteration": "3", "scores": [[[1, 2]]]}]}`, `iteration`},
		{"validation unknown entry key", "validation", `{` + meta + `, "scores": [{"iteration": 3, "scores": [[[1, 2]]], "score": 1}]}`, `"score"`},
		{"validation string score", "validation", `{` + meta + `, "scores": [{"iteration": 3, "scores": [[["x", 1]]]}]}`, `scores`},
	}
	ts := startServer(t, ServerOptions{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := ts.do(t, ts.request(t, "POST", "/api/v1/runs/r/"+tt.route, tt.body, ""))
			if status != 400 || errorCodeOf(body) != codeMalformedJSON {
				t.Fatalf("got %d %s, want 400 %s", status, body, codeMalformedJSON)
			}
			var eb errorBody
			json.Unmarshal([]byte(body), &eb)
			if !strings.Contains(eb.Error.Message, tt.want) {
				t.Errorf("message %q does not name %s", eb.Error.Message, tt.want)
			}
			for _, leak := range []string{"jsonnan", "wireFloat", "httpapi.", "[]", "Go ", "*int", "float64"} {
				if strings.Contains(eb.Error.Message, leak) {
					t.Errorf("message %q shows Go internals (%s)", eb.Error.Message, leak)
				}
			}
		})
	}
	if runs, _ := ts.store.ListRuns(context.Background()); len(runs) != 0 {
		t.Errorf("store holds %v, want nothing", runs)
	}
}

// countingReader yields prefix, then entries without end, counting the
// bytes read.
type countingReader struct {
	prefix string
	entry  string
	read   int64
	buf    []byte
}

func (c *countingReader) Read(p []byte) (int, error) {
	if len(c.buf) == 0 {
		if c.prefix != "" {
			c.buf, c.prefix = []byte(c.prefix), ""
		} else {
			c.buf = []byte(c.entry)
		}
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	c.read += int64(n)
	return n, nil
}

// TestDecodeStreams checks that bodies are decoded as they are read, not
// read whole first: an error near the start of an endless body is reported
// after a bounded prefix (a body read whole would take the memory of its
// whole size before any check).
func TestDecodeStreams(t *testing.T) {
	const bound = 1 << 20
	for _, tt := range []struct {
		name          string
		decode        func(io.Reader) error
		prefix, entry string
	}{
		{"training", func(r io.Reader) error { _, err := decodeTrainingFrom(r); return err },
			`{"iteration_stats": [{"iteration": "0", "loss": 1, "time": 1}`, `, {"iteration": 1, "loss": NaN, "time": 1}`},
		{"training, after many entries", func(r io.Reader) error { _, err := decodeTrainingFrom(r); return err },
			`{"iteration_stats": [{"iteration": 0, "loss": 1, "time": 1}`, strings.Repeat(`, {"iteration": 1, "loss": 1, "time": 1}`, 1000) + `, {"bad": 1}`},
		{"validation", func(r io.Reader) error { _, err := decodeValidationFrom(r); return err },
			`{"datasets": ["a"], "extra": 1, "scores": [{"iteration": 0, "scores": [[[1]]]}`, `, {"iteration": 1, "scores": [[[NaN]]]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &countingReader{prefix: tt.prefix, entry: tt.entry}
			if err := tt.decode(r); codeOf(err).code != codeMalformedJSON {
				t.Fatalf("got %v, want a malformed_json error", err)
			}
			if r.read > bound {
				t.Errorf("read %d bytes before the error, want at most %d", r.read, bound)
			}
		})
	}
}

// subsampleJSON is the server's answer to a subsample request for r.
func subsampleJSON(r *statstore.TrainingSubsample) []byte {
	b := appendTrainingJSON(nil, "r", r.Points, true)
	b = append(b[:len(b)-1], `,"non_finite":`...)
	b = appendNonFinite(b, r)
	return append(b, '}')
}

// sameSubsample compares two subsamples, floats bit for bit.
func sameSubsample(a, b *statstore.TrainingSubsample) bool {
	if a.NaN != b.NaN || a.PosInf != b.PosInf || a.NegInf != b.NegInf || a.Checked != b.Checked || a.Complete != b.Complete ||
		len(a.Points) != len(b.Points) || len(a.NonFinite) != len(b.NonFinite) {
		return false
	}
	if !(&statstore.TrainingStats{IterationStats: a.Points}).Equal(&statstore.TrainingStats{IterationStats: b.Points}) {
		return false
	}
	for i, s := range a.NonFinite {
		t := b.NonFinite[i]
		if s.From != t.From || s.To != t.To || s.Count != t.Count || math.IsNaN(s.Loss) != math.IsNaN(t.Loss) || !math.IsNaN(s.Loss) && s.Loss != t.Loss {
			return false
		}
	}
	return true
}

// FuzzDecodeSubsample checks that no answer makes the client's subsample
// decoder panic and that what it accepts survives a round trip.
func FuzzDecodeSubsample(f *testing.F) {
	rep, err := statstore.SubsampleReport([]statstore.TrainingIterationStats{
		{Iteration: 0, Loss: 1, Time: 0.5}, {Iteration: 1, Loss: math.NaN(), Time: 1}, {Iteration: 2, Loss: math.Inf(-1), Time: 2}, {Iteration: 3, Loss: 0.5, Time: 3},
	}, statstore.SubsampleOptions{MaxPoints: 2})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(subsampleJSON(rep))
	f.Add([]byte(`{"run":"r","iteration_stats":[],"non_finite":{"nan":0,"pos_inf":0,"neg_inf":0,"checked":0,"complete":true,"spans":[]}}`))
	f.Add([]byte(`{"run":"r","iteration_stats":[{"iteration":1,"loss":"NaN","time":1}]}`))
	f.Add([]byte(`{"run":"r","iteration_stats":[],"non_finite":{"spans":[{"from":1,"to":0,"loss":"Infinity","count":-1}]},"x":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := decodeSubsample(data)
		if err != nil {
			return
		}
		again, err := decodeSubsample(subsampleJSON(r))
		if err != nil {
			t.Fatalf("re-decoding what was accepted: %v", err)
		}
		if !sameSubsample(r, again) {
			t.Fatalf("round trip changed %+v into %+v", r, again)
		}
	})
}
