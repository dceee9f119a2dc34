package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/statstore/statstore"
)

// compareBucketsShape is the body of POST /api/v1/compare/training/buckets.
const compareBucketsShape = `{"runs": ["a", "b", ...], "buckets": 1000, "range": {"from": 0, "to": 0}}`

// compareBucketsBody is the body of POST /api/v1/compare/training/buckets.
type compareBucketsBody struct {
	Runs    []string `json:"runs"`
	Buckets int      `json:"buckets"`
	Range   *struct {
		From int `json:"from"`
		To   int `json:"to"`
	} `json:"range"`
}

// handleCompareBuckets answers POST /api/v1/compare/training/buckets: each
// run's training history reduced to buckets as GET
// /api/v1/runs/{run}/training/buckets reduces it
// (statstore.RetrieveTrainingBuckets), in the order asked:
// {"runs": [{"run", "width", "buckets": [...]}]}. The compare view's loss
// chart draws them.
func (s *Server) handleCompareBuckets(w http.ResponseWriter, r *http.Request) {
	var body compareBucketsBody
	if err := decodeCompareBody(r.Body, &body, func() []string { return body.Runs }, compareBucketsShape); err != nil {
		s.writeError(w, r, err)
		return
	}
	opts := statstore.BucketOptions{Buckets: body.Buckets}
	if body.Range != nil {
		opts.Range = statstore.IterationRange{From: body.Range.From, To: body.Range.To}
	}
	opts, err := opts.Normalize()
	if err != nil {
		s.writeError(w, r, fmt.Errorf("compare: %w", err))
		return
	}
	buckets := make([][]statstore.TrainingBucket, len(body.Runs))
	widths := make([]int, len(body.Runs))
	err = s.eachRun(r, body.Runs, func(ctx context.Context, i int, run string) error {
		var err error
		buckets[i], widths[i], err = statstore.RetrieveTrainingBuckets(ctx, s.store, run, opts)
		return err
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	exact := wantsExact(r)
	n := 0
	for _, b := range buckets {
		n += len(b)
	}
	buf := make([]byte, 0, 64+len(body.Runs)*64+n*256)
	buf = append(buf, `{"runs":[`...)
	for i, run := range body.Runs {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"run":`...)
		buf = strconv.AppendQuote(buf, run)
		buf = append(buf, `,"width":`...)
		buf = strconv.AppendInt(buf, int64(widths[i]), 10)
		buf = append(buf, `,"buckets":[`...)
		for j, b := range buckets[i] {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = appendBucket(buf, b, exact)
		}
		buf = append(buf, "]}"...)
	}
	buf = append(buf, "]}\n"...)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(buf)))
	s.writeRaw(w, buf)
}
