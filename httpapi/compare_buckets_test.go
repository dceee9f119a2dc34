package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

// TestCompareBuckets: POST /api/v1/compare/training/buckets answers each
// run's buckets as statstore.BucketTraining computes them on its history
// (an unknown run: none), in the order asked, and refuses bad bodies.
func TestCompareBuckets(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	c := ts.client(t, ClientOptions{})
	ctx := context.Background()
	hist := map[string]*statstore.TrainingStats{"a": bucketHistory(5000), "b": bucketHistory(700)}
	for run, h := range hist {
		if err := c.StoreTrainingStats(ctx, run, h); err != nil {
			t.Fatal(err)
		}
	}
	for _, opts := range []statstore.BucketOptions{{}, {Buckets: 7}, {Buckets: 300, Range: statstore.IterationRange{From: 1000, To: 4000}}} {
		body := fmt.Sprintf(`{"runs": ["b", "nobody", "a"], "buckets": %d, "range": {"from": %d, "to": %d}}`, opts.Buckets, opts.Range.From, opts.Range.To)
		code, answer := ts.do(t, ts.request(t, http.MethodPost, "/api/v1/compare/training/buckets", body, ""))
		if code != http.StatusOK {
			t.Fatalf("%s: %d %s", body, code, answer)
		}
		var got struct {
			Runs []json.RawMessage `json:"runs"`
		}
		if err := json.Unmarshal([]byte(answer), &got); err != nil || len(got.Runs) != 3 {
			t.Fatalf("%s: %v, %d runs; want 3", body, err, len(got.Runs))
		}
		for i, run := range []string{"b", "nobody", "a"} {
			a, err := decodeBuckets(got.Runs[i])
			if err != nil {
				t.Fatalf("%s: run %s: %v", body, run, err)
			}
			var entries []statstore.TrainingIterationStats
			if h := hist[run]; h != nil {
				entries = h.IterationStats
			}
			want, ww, err := statstore.BucketTraining(entries, opts)
			if err != nil {
				t.Fatal(err)
			}
			if a.width != ww || fmt.Sprint(a.buckets) != fmt.Sprint(want) {
				t.Errorf("%s: run %s: width %d, %d buckets; want width %d, %d buckets", body, run, a.width, len(a.buckets), ww, len(want))
			}
			if !strings.Contains(string(got.Runs[i]), fmt.Sprintf(`"run":%q`, run)) {
				t.Errorf("%s: answer %d is not run %s", body, i, run)
			}
		}
	}
	for _, body := range []string{`{"runs": []}`, `{"runs": ["a"], "buckets": -1}`, `{"runs": ["a"], "buckets": 100001}`,
		`{"runs": ["a"], "range": {"from": 5, "to": 2}}`, `{"runs": ["a"], "max_points": 10}`, `{"runs": ["a", "a"]}`} {
		code, answer := ts.do(t, ts.request(t, http.MethodPost, "/api/v1/compare/training/buckets", body, ""))
		if code != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", body, code, answer)
		}
	}
}
