package httpapi

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

// bucketHistory has spikes, NaN, ±Inf and gaps.
func bucketHistory(n int) *statstore.TrainingStats {
	st := &statstore.TrainingStats{}
	for i := range n {
		loss := 1 / float64(i+1)
		switch i % 97 {
		case 13:
			loss = math.NaN()
		case 29:
			loss = math.Inf(1)
		case 31:
			loss = math.Inf(-1)
		case 50:
			loss = 100 + float64(i)
		}
		st.IterationStats = append(st.IterationStats, statstore.TrainingIterationStats{Iteration: 3 * i, Loss: loss, Time: float64(i) / 10})
	}
	return st
}

// TestTrainingBuckets: the client's buckets equal the reference computed
// on the history, for several sizes and ranges, and bad queries are 400.
func TestTrainingBuckets(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	c := ts.client(t, ClientOptions{})
	ctx := context.Background()
	h := bucketHistory(5000)
	if err := c.StoreTrainingStats(ctx, "r", h); err != nil {
		t.Fatal(err)
	}
	var _ statstore.TrainingBucketer = c
	for _, opts := range []statstore.BucketOptions{{}, {Buckets: 1}, {Buckets: 7}, {Buckets: 300, Range: statstore.IterationRange{From: 1000, To: 4000}}, {Buckets: 100_000}} {
		got, gw, err := statstore.RetrieveTrainingBuckets(ctx, c, "r", opts)
		if err != nil {
			t.Fatalf("%+v: %v", opts, err)
		}
		want, ww, err := statstore.BucketTraining(h.IterationStats, opts)
		if err != nil {
			t.Fatal(err)
		}
		if gw != ww || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%+v: width %d, %d buckets over HTTP; want width %d, %d buckets", opts, gw, len(got), ww, len(want))
		}
	}
	if got, _, err := c.TrainingBuckets(ctx, "nobody", statstore.BucketOptions{}); err != nil || len(got) != 0 {
		t.Errorf("unknown run: %v, %v; want no buckets", got, err)
	}
	for _, q := range []string{"buckets=0", "buckets=x", "buckets=100001", "from=5&to=2", "max_points=10", "mode=minmax"} {
		code, body := ts.do(t, ts.request(t, http.MethodGet, "/api/v1/runs/r/training/buckets?"+q, "", ""))
		if code != http.StatusBadRequest || !strings.Contains(body, "invalid") {
			t.Errorf("?%s: %d %s, want 400 naming what is wrong", q, code, body)
		}
	}
}

// bucketsJSON encodes an answer as the server does.
func bucketsJSON(a bucketsAnswer) []byte {
	b := []byte(`{"run":"r","width":` + fmt.Sprint(a.width) + `,"buckets":[`)
	for i, bk := range a.buckets {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendBucket(b, bk, true)
	}
	return append(b, "]}"...)
}

func FuzzDecodeBuckets(f *testing.F) {
	buckets, w, err := statstore.BucketTraining(bucketHistory(300).IterationStats, statstore.BucketOptions{Buckets: 9})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(bucketsJSON(bucketsAnswer{width: w, buckets: buckets}))
	f.Add([]byte(`{"run":"r","width":1,"buckets":[]}`))
	f.Add([]byte(`{"run":"r","width":2,"buckets":[{"from":0,"to":2,"count":1,"first":{"iteration":0,"loss":"NaN","time":1},"last":{"iteration":0,"loss":"NaN","time":1},"finite":0,"nan":1,"pos_inf":0,"neg_inf":0,"first_non_finite":0}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := decodeBuckets(data)
		if err != nil {
			return
		}
		again, err := decodeBuckets(bucketsJSON(a))
		if err != nil {
			t.Fatalf("re-decoding what was accepted: %v", err)
		}
		if fmt.Sprint(a) != fmt.Sprint(again) {
			t.Fatalf("round trip changed %v into %v", a, again)
		}
	})
}
