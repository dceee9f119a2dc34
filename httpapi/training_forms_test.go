package httpapi

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

func formsHistory(tb testing.TB) *statstore.TrainingStats {
	tb.Helper()
	entries := make([]statstore.TrainingIterationStats, 1000)
	for i := range entries {
		entries[i] = statstore.TrainingIterationStats{Iteration: 3 * i, Loss: 1 / float64(i+1), Time: 0.25}
	}
	entries[10].Loss, entries[11].Loss, entries[12].Time = math.NaN(), math.Inf(1), math.Inf(-1)
	ts, err := statstore.NewTrainingStats(entries...)
	if err != nil {
		tb.Fatal(err)
	}
	return ts
}

func sameHistory(a, b []statstore.TrainingIterationStats) bool {
	same := func(x, y float64) bool { return x == y || math.IsNaN(x) && math.IsNaN(y) }
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Iteration != b[i].Iteration || !same(a[i].Loss, b[i].Loss) || !same(a[i].Time, b[i].Time) {
			return false
		}
	}
	return true
}

func TestTrainingForms(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	hist := formsHistory(t)
	if err := ts.store.StoreTrainingStats(context.Background(), "r", hist); err != nil {
		t.Fatal(err)
	}
	get := func(path, accept string) (int, string, []byte) {
		req := ts.request(t, "GET", path, "", "")
		req.Header.Set("Accept", accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), buf.Bytes()
	}
	// Binary: the whole history, exact.
	status, ct, body := get("/api/v1/runs/r/training", TrainingBinaryMediaType)
	if status != 200 || ct != TrainingBinaryMediaType || len(body) != 16+24*1000 {
		t.Fatalf("binary: %d %s %d bytes", status, ct, len(body))
	}
	got, err := decodeTrainingBinary(body)
	if err != nil || !sameHistory(got.IterationStats, hist.IterationStats) {
		t.Fatalf("binary answer decodes to another history (%v)", err)
	}
	// A range in binary; the first listed type wins.
	status, ct, body = get("/api/v1/runs/r/training?from=30&to=60", "application/json;q=0.1, "+TrainingBinaryMediaType)
	if got, err = decodeTrainingBinary(body); status != 200 || ct != "application/json" && err != nil {
		t.Fatalf("range: %d %s %v", status, ct, err)
	}
	status, ct, body = get("/api/v1/runs/r/training?from=30&to=60", TrainingBinaryMediaType+", application/json")
	if got, err = decodeTrainingBinary(body); status != 200 || ct != TrainingBinaryMediaType || err != nil || !sameHistory(got.IterationStats, hist.IterationStats[10:20]) {
		t.Fatalf("range in binary: %d %s %v", status, ct, err)
	}
	// Columns, and a subsample asked in binary gets columns with its non-finite report.
	status, ct, body = get("/api/v1/runs/r/training", TrainingColumnsMediaType)
	if status != 200 || ct != TrainingColumnsMediaType || !strings.HasPrefix(string(body), `{"run":"r","iteration":[0,3,6,`) || !strings.Contains(string(body), `"NaN","Infinity"`) {
		t.Fatalf("columns: %d %s %.200s", status, ct, body)
	}
	cols, err := decodeTrainingColumnsFrom(bytes.NewReader(bytes.Replace(body, []byte(`"run":"r",`), nil, 1)))
	if err != nil || !sameHistory(cols.IterationStats, hist.IterationStats) {
		t.Fatalf("columns decode to another history: %v", err)
	}
	status, ct, body = get("/api/v1/runs/r/training?max_points=10", TrainingBinaryMediaType)
	if status != 200 || ct != TrainingColumnsMediaType || !strings.Contains(string(body), `,"non_finite":{"nan":`) {
		t.Fatalf("subsample asked in binary: %d %s %s", status, ct, body)
	}
	// The rows stay the default.
	if status, ct, body = get("/api/v1/runs/r/training", ""); status != 200 || ct != "application/json" || !strings.HasPrefix(string(body), `{"run":"r","iteration_stats":[`) {
		t.Fatalf("default: %d %s", status, ct)
	}
	// The Go client reads the binary form.
	c := ts.client(t, ClientOptions{})
	back, err := c.RetrieveTrainingStats(context.Background(), "r")
	if err != nil || !sameHistory(back.IterationStats, hist.IterationStats) {
		t.Fatalf("client read: %v", err)
	}
}

func TestDecodeTrainingBinaryRefuses(t *testing.T) {
	good := appendTrainingBinary(nil, formsHistory(t).IterationStats[:3])
	mutate := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	for name, b := range map[string][]byte{
		"empty":          nil,
		"magic":          mutate(func(b []byte) []byte { b[0] = 'X'; return b }),
		"version":        mutate(func(b []byte) []byte { b[4] = 9; return b }),
		"short":          good[:len(good)-1],
		"long":           append(bytes.Clone(good), 0),
		"huge count":     mutate(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[8:], 1<<62); return b }),
		"fractional":     mutate(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[16:], math.Float64bits(0.5)); return b }),
		"negative":       mutate(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[16:], math.Float64bits(-3)); return b }),
		"NaN iteration":  mutate(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[16:], math.Float64bits(math.NaN())); return b }),
		"not increasing": mutate(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[24:], math.Float64bits(0)); return b }),
	} {
		if _, err := decodeTrainingBinary(b); err == nil || !errors.Is(err, statstore.ErrInvalidArgument) && !errors.Is(err, statstore.ErrOutOfOrder) && !errors.Is(err, statstore.ErrDuplicateIteration) {
			t.Errorf("%s: %v, want an error", name, err)
		}
	}
}

func FuzzDecodeTrainingBinary(f *testing.F) {
	f.Add(appendTrainingBinary(nil, formsHistory(f).IterationStats[:5]))
	f.Add([]byte("SSTF\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, err := decodeTrainingBinary(data)
		if err != nil {
			return
		}
		// What decodes encodes back to the same bytes.
		if again := appendTrainingBinary(nil, ts.IterationStats); !bytes.Equal(again, data) {
			t.Fatalf("decoded %d entries re-encode to other bytes", len(ts.IterationStats))
		}
	})
}

// BenchmarkReadTrainingForms reads a 100,000-iteration history over
// loopback in each form, the client's decoding included: compare the
// forms' ns/op (and bytes/answer) in one run.
func BenchmarkReadTrainingForms(b *testing.B) {
	ts := startServer(b, ServerOptions{})
	entries := make([]statstore.TrainingIterationStats, 100_000)
	for i := range entries {
		entries[i] = statstore.TrainingIterationStats{Iteration: i, Loss: 1 / float64(i+1), Time: 0.123456789}
	}
	if err := ts.store.StoreTrainingStats(context.Background(), "r", &statstore.TrainingStats{IterationStats: entries}); err != nil {
		b.Fatal(err)
	}
	for _, form := range []struct {
		name, accept string
		decode       func([]byte) (*statstore.TrainingStats, error)
	}{
		{"rows", "application/json", decodeTraining},
		{"columns", TrainingColumnsMediaType, func(d []byte) (*statstore.TrainingStats, error) {
			return decodeTrainingColumnsFrom(bytes.NewReader(bytes.Replace(d, []byte(`"run":"r",`), nil, 1)))
		}},
		{"binary", TrainingBinaryMediaType, decodeTrainingBinary},
	} {
		b.Run(form.name, func(b *testing.B) {
			var n int
			for b.Loop() {
				req := ts.request(b, "GET", "/api/v1/runs/r/training", "", "")
				req.Header.Set("Accept", form.accept)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				var buf bytes.Buffer
				buf.ReadFrom(resp.Body)
				resp.Body.Close()
				n = buf.Len()
				got, err := form.decode(buf.Bytes())
				if err != nil || len(got.IterationStats) != len(entries) {
					b.Fatalf("%s: %v", form.name, err)
				}
			}
			b.ReportMetric(float64(n), "bytes/answer")
		})
	}
}
