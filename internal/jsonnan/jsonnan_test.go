package jsonnan

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
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

// TestParseFloatMessages: ParseFloat's errors quote at most a short
// excerpt of the value (a 1 MB number was echoed whole) and say what was
// expected without Go type names.
func TestParseFloatMessages(t *testing.T) {
	huge := "1" + strings.Repeat("0", 1<<20)
	tests := []struct {
		in   string
		want []string
	}{
		{huge, []string{"1000000000", "…", "1048577 bytes", "outside the range of a 64-bit float"}},
		{`"` + strings.Repeat("x", 1<<20) + `"`, []string{`the string "xxxxxxxx`, "…", "want a number"}},
		{`[1]`, []string{"an array", "want a number"}},
		{`{}`, []string{"an object", "want a number"}},
		{`true`, []string{"true", "want a number"}},
		{`null`, []string{"null", "want a number"}},
	}
	for _, tt := range tests {
		_, err := ParseFloat([]byte(tt.in))
		if err == nil {
			t.Errorf("ParseFloat(%.20s): nil error", tt.in)
			continue
		}
		msg := err.Error()
		if len(msg) > 300 {
			t.Errorf("ParseFloat(%.20s…): error is %d bytes, want a short one", tt.in, len(msg))
		}
		for _, w := range tt.want {
			if !strings.Contains(msg, w) {
				t.Errorf("ParseFloat(%.20s): error %.300q lacks %q", tt.in, msg, w)
			}
		}
		for _, g := range []string{"float64", "Go value", "jsonnan"} {
			if strings.Contains(msg, g) {
				t.Errorf("ParseFloat(%.20s): error %.300q shows %q", tt.in, msg, g)
			}
		}
	}
}

func TestExcerpt(t *testing.T) {
	tests := []struct{ in, want string }{
		{"short", "short"},
		{strings.Repeat("a", MaxExcerpt), strings.Repeat("a", MaxExcerpt)},
		{strings.Repeat("a", MaxExcerpt+1), strings.Repeat("a", MaxExcerpt) + "… (65 bytes)"},
		// Cut at a character boundary: é is 2 bytes and straddles byte 64.
		{strings.Repeat("a", MaxExcerpt-1) + "éé", strings.Repeat("a", MaxExcerpt-1) + "… (67 bytes)"},
	}
	for _, tt := range tests {
		if got := Excerpt(tt.in); got != tt.want {
			t.Errorf("Excerpt(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestOriginalOffset(t *testing.T) {
	in := []byte(`{"a": NaN, "b": -Infinity, "c": "NaN", "d": x}`)
	out := Sanitize(in)
	// Every byte that Sanitize copied maps back to the same byte.
	for _, c := range []byte{'x', 'b', 'c', '}'} {
		o := bytes.IndexByte(out[bytes.IndexByte(out, ':'):], c) + bytes.IndexByte(out, ':')
		got := OriginalOffset(in, int64(o))
		if got < 0 || got >= int64(len(in)) || in[got] != c {
			t.Errorf("OriginalOffset(%d) = %d, want the offset of %q in the input", o, got, c)
		}
	}
	if got := OriginalOffset(in, int64(len(out))); got != int64(len(in)) {
		t.Errorf("OriginalOffset(end) = %d, want %d", got, len(in))
	}
}

func TestParseNonFinite(t *testing.T) {
	for s, want := range map[string]float64{"NaN": math.NaN(), "nan": math.NaN(), "Infinity": math.Inf(1), "+Infinity": math.Inf(1), "inf": math.Inf(1), "-Infinity": math.Inf(-1), "-inf": math.Inf(-1)} {
		got, ok := ParseNonFinite(s)
		if !ok || !(got == want || math.IsNaN(got) && math.IsNaN(want)) {
			t.Errorf("ParseNonFinite(%q) = %v, %v; want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "1", "NAN", "infinity x"} {
		if _, ok := ParseNonFinite(s); ok {
			t.Errorf("ParseNonFinite(%q) accepted it", s)
		}
	}
}
