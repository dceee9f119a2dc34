package httpapi

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

// sameBits reports whether a and b hold the same entries, floats compared
// bit for bit (NaN payloads, -0).
func sameBits(a, b []statstore.TrainingIterationStats) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Iteration != b[i].Iteration || math.Float64bits(a[i].Loss) != math.Float64bits(b[i].Loss) ||
			math.Float64bits(a[i].Time) != math.Float64bits(b[i].Time) {
			return false
		}
	}
	return true
}

// fastSeeds are bodies decodeTrainingFast takes, and ones it leaves to the
// full decoder.
var (
	fastTaken = []string{
		`{"iteration_stats":[{"iteration":0,"loss":0.5,"time":0.1}]}`,
		`{"run":"r","iteration_stats":[{"iteration":0,"loss":"NaN","time":-0},{"iteration":1,"loss":"Infinity","time":"-Infinity"}]}`,
		" {\n \"iteration_stats\" : [ { \"time\" : 1e-3 , \"loss\" : -2.5E+2 , \"iteration\" : 7 } ] } \n",
		`{"iteration_stats":[{"iteration":-3,"loss":1.7976931348623157e308,"time":5e-324}]}`,
	}
	fastLeft = []string{
		`{"iteration_stats":[]}`,                                        // empty: the full decoder's nil
		`{"iteration_stats":null}`,                                      // null
		`{"iteration_stats":[{"iteration":0,"loss":NaN,"time":0}]}`,     // a bare NaN (Python)
		`{"iteration_stats":[{"iteration":0,"loss":"nan","time":0}]}`,   // another name of NaN
		`{"iteration_stats":[{"iteration":0,"loss":1e999,"time":0}]}`,   // out of range: an error
		`{"iteration_stats":[{"iteration":1.0,"loss":1,"time":0}]}`,     // not an integer: an error
		`{"iteration_stats":[{"iteration":01,"loss":1,"time":0}]}`,      // not JSON
		`{"iteration_stats":[{"iteration":0,"loss":1,"time":0,"x":1}]}`, // another key: an error
		`{"iteration_stats":[{"iteration":0,"loss":1}]}`,                // a missing key: an error
		`{"iteration_stats":[{"iteration":0,"iteration":0,"loss":1,"time":0}]}`,
		`{"iteration_stats":[{"iteration":0,"loss":1,"time":0}]} x`, // trailing data
		`{"iteration_stats":[{"iteration":0,"loss":1,"time":0}],"run":"r"}`,
		`{"run":"r\u00e9","iteration_stats":[{"iteration":0,"loss":1,"time":0}]}`,
		`{"iteration_stats":[{"iteration":0,"loss":1,"time":0,"run_name":"r"}]}`,
		`{"iteration_stats":[{"iteration":0,"loss":.5,"time":0}]}`,
		`{"iteration_stats":[{"iteration":0,"loss":1.,"time":0}]}`,
		`{"iteration_stats":[{"iteration":99999999999999999999,"loss":1,"time":0}]}`,
	}
)

// TestDecodeTrainingFast: the fast decoder takes the common shape, with
// the entries the full decoder reads from it, and leaves everything else
// (to be decoded, or refused with its message, by the full decoder).
func TestDecodeTrainingFast(t *testing.T) {
	for _, body := range fastTaken {
		got, ok := decodeTrainingFast([]byte(body))
		if !ok {
			t.Errorf("%s: not taken, want taken", body)
			continue
		}
		want, err := decodeTrainingFrom(strings.NewReader(body))
		if err != nil {
			t.Fatalf("%s: the full decoder: %v", body, err)
		}
		if !sameBits(got.IterationStats, want.IterationStats) {
			t.Errorf("%s: fast %v, full %v", body, got.IterationStats, want.IterationStats)
		}
	}
	for _, body := range fastLeft {
		if got, ok := decodeTrainingFast([]byte(body)); ok {
			t.Errorf("%s: taken as %v, want left to the full decoder", body, got.IterationStats)
		}
	}
	// What this package's encoder writes is taken, NaN and infinities too.
	entries := []statstore.TrainingIterationStats{{Iteration: 0, Loss: math.NaN(), Time: math.Copysign(0, -1)},
		{Iteration: 1, Loss: math.Inf(1), Time: 0.25}, {Iteration: 2, Loss: math.Inf(-1), Time: 1e-300}}
	body := appendTrainingJSON(nil, "run-1", entries, true)
	got, ok := decodeTrainingFast(body)
	if !ok || !sameBits(got.IterationStats, entries) {
		t.Fatalf("the encoder's body %s: taken %v as %v, want %v", body, ok, got, entries)
	}
}

// TestDecodeTrainingBody: a request body of known length goes through the
// fast decoder; a short one, or one of unknown length, gets the full
// decoder's answer.
func TestDecodeTrainingBody(t *testing.T) {
	body := fastTaken[1]
	want, err := decodeTrainingFrom(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int64{int64(len(body)), -1, fastBodyMax + 1} {
		got, err := decodeTrainingBody(strings.NewReader(body), n)
		if err != nil || !sameBits(got.IterationStats, want.IterationStats) {
			t.Errorf("length %d: %v, %v; want %v", n, got, err, want.IterationStats)
		}
	}
	// Declared longer than sent: the full decoder's error for a cut body.
	_, err = decodeTrainingBody(strings.NewReader(body[:len(body)-5]), int64(len(body)))
	_, werr := decodeTrainingFrom(strings.NewReader(body[:len(body)-5]))
	if err == nil || werr == nil || err.Error() != werr.Error() {
		t.Errorf("a cut body: %v, want the full decoder's %v", err, werr)
	}
}

// FuzzDecodeTrainingFast is the fast decoder against the full one: on any
// body the fast one takes, the full one must accept it and read the same
// entries bit for bit; and the fast one never panics.
func FuzzDecodeTrainingFast(f *testing.F) {
	for _, b := range append(append([]string{}, fastTaken...), fastLeft...) {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := decodeTrainingFast(data)
		if !ok {
			return
		}
		want, err := decodeTrainingFrom(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("fast took %q as %v; the full decoder refuses it: %v", data, got.IterationStats, err)
		}
		if !sameBits(got.IterationStats, want.IterationStats) {
			t.Fatalf("%q: fast %v, full %v", data, got.IterationStats, want.IterationStats)
		}
	})
}
