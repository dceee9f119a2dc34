package jsonnan

import (
	"encoding/json"
	"math"
	"testing"
)

func TestSanitize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"no tokens", `{"a": 1.5}`, `{"a": 1.5}`},
		{"bare NaN", `{"loss": NaN}`, `{"loss": "NaN"}`},
		{"bare infinities", `[Infinity, -Infinity, 1]`, `["Infinity", "-Infinity", 1]`},
		{"inside strings untouched", `{"NaN": "NaN Infinity", "x": NaN}`, `{"NaN": "NaN Infinity", "x": "NaN"}`},
		{"escaped quote in string", `["a\"NaN", NaN]`, `["a\"NaN", "NaN"]`},
		{"word prefix is not a token", `[NaNa, Infinityx]`, `[NaNa, Infinityx]`},
		{"already quoted", `["NaN"]`, `["NaN"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(Sanitize([]byte(tt.in))); got != tt.want {
				t.Errorf("Sanitize(%s) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestFloatRoundTrip(t *testing.T) {
	for _, v := range []float64{0, -1.5, 1e-300, math.MaxFloat64, math.NaN(), math.Inf(1), math.Inf(-1), 0.1} {
		b, err := json.Marshal(Float(v))
		if err != nil {
			t.Fatalf("Marshal(%v): %v", v, err)
		}
		var got Float
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("Unmarshal(%s): %v", b, err)
		}
		if float64(got) != v && !(math.IsNaN(v) && math.IsNaN(float64(got))) {
			t.Errorf("round trip of %v via %s = %v", v, b, float64(got))
		}
	}
}

func TestUnmarshalPythonTokens(t *testing.T) {
	var doc struct {
		Iteration int     `json:"iteration"`
		Loss      Float   `json:"loss"`
		Scores    []Float `json:"scores"`
	}
	if err := Unmarshal([]byte(`{"iteration": 3, "loss": NaN, "scores": [Infinity, -Infinity, "NaN", 0.5]}`), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Iteration != 3 || !math.IsNaN(float64(doc.Loss)) || !math.IsInf(float64(doc.Scores[0]), 1) ||
		!math.IsInf(float64(doc.Scores[1]), -1) || !math.IsNaN(float64(doc.Scores[2])) || doc.Scores[3] != 0.5 {
		t.Errorf("got %+v, want iteration 3, NaN loss, scores [+Inf -Inf NaN 0.5]", doc)
	}
}

func TestParseFloatErrors(t *testing.T) {
	for _, in := range []string{`"abc"`, `true`, `{}`, `"`, ``, `[1]`} {
		if _, err := ParseFloat([]byte(in)); err == nil {
			t.Errorf("ParseFloat(%s): got nil error, want an error", in)
		}
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{`{"a": NaN}`, `["x\"", Infinity]`, `-Infinity`, `"NaN`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out := Sanitize(data)
		var v any
		if json.Valid(data) && !json.Valid(out) {
			t.Fatalf("Sanitize made valid JSON %q invalid: %q", data, out)
		}
		_ = json.Unmarshal(out, &v)
		_, _ = ParseFloat(data)
	})
}
