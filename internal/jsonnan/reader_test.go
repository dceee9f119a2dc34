package jsonnan

import (
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReaderSplits checks that the streaming rewrite of Python's bare
// tokens gives the same bytes however its input arrives: whole, a byte at a
// time, or in halves (a token may straddle two reads).
func TestReaderSplits(t *testing.T) {
	parts := []string{"NaN", "Infinity", "-Infinity", "-1.5", `"`, `\\`, `\"`, `"NaN"`, "NaNa", "Infinity_", "x", " ", ",", "[", "]", "{", "}", ":", "1", "e", "N", "I", "-"}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		var b strings.Builder
		for n := rng.IntN(40); n > 0; n-- {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		in := b.String()
		whole, err := io.ReadAll(NewReader(strings.NewReader(in)))
		if err != nil {
			t.Fatal(err)
		}
		want := string(whole)
		for _, rd := range []io.Reader{iotest.OneByteReader(strings.NewReader(in)), iotest.HalfReader(strings.NewReader(in))} {
			got, err := io.ReadAll(NewReader(rd))
			if err != nil || string(got) != want {
				t.Fatalf("NewReader(%q) = %q, %v, want %q", in, got, err, want)
			}
		}
	}
	big := strings.Repeat(`{"loss": NaN, "time": -Infinity, "s": "NaN Infinity"}, `, 5000)
	got, err := io.ReadAll(iotest.HalfReader(NewReader(strings.NewReader(big))))
	if err != nil || string(got) != strings.ReplaceAll(strings.ReplaceAll(big, ": NaN", `: "NaN"`), ": -Infinity", `: "-Infinity"`) {
		t.Errorf("nanReader of %d bytes differs from the rewrite wanted (err %v)", len(big), err)
	}
}
