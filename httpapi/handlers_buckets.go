package httpapi

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/statstore/statstore"
)

// handleTrainingBuckets answers GET /api/v1/runs/{run}/training/buckets
// ?buckets=N[&from=&to=]: the history reduced to at most N aligned buckets
// (statstore.RetrieveTrainingBuckets), each with its first, last, lowest
// and highest entries and its non-finite counts:
// {"run", "width", "buckets": [{"from", "to", "count", "first", "last",
// "min", "max", "finite", "nan", "pos_inf", "neg_inf", "first_non_finite"}]}
// ("min" and "max" only when the bucket has a finite loss;
// "first_non_finite" only when it has a non-finite one).
func (s *Server) handleTrainingBuckets(w http.ResponseWriter, r *http.Request) {
	run, err := runName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	var opts statstore.BucketOptions
	if q.Has("buckets") {
		if opts.Buckets, err = strconv.Atoi(q.Get("buckets")); err != nil || opts.Buckets < 1 {
			s.writeError(w, r, fmt.Errorf("query parameter buckets=%q: want an integer between 1 and %d: %w", q.Get("buckets"), statstore.MaxBuckets, statstore.ErrInvalidArgument))
			return
		}
	}
	if q.Has("max_points") || q.Has("mode") {
		s.writeError(w, r, fmt.Errorf("query parameters max_points and mode belong to /training; buckets takes buckets, from and to: %w", statstore.ErrInvalidArgument))
		return
	}
	_, _, sub, err := parseTrainingQuery(q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	opts.Range = sub.Range
	buckets, width, err := statstore.RetrieveTrainingBuckets(r.Context(), s.store.StatsStore, run, opts) // the store itself: the publishing wrapper hides its TrainingBucketer
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	exact := wantsExact(r)
	body := make([]byte, 0, 64+len(buckets)*256)
	body = append(body, `{"run":`...)
	body = strconv.AppendQuote(body, run)
	body = append(body, `,"width":`...)
	body = strconv.AppendInt(body, int64(width), 10)
	body = append(body, `,"buckets":[`...)
	for i, b := range buckets {
		if i > 0 {
			body = append(body, ',')
		}
		body = appendBucket(body, b, exact)
	}
	body = append(body, "]}\n"...)
	w.Header().Set("Content-Type", "application/json")
	s.writeRaw(w, body)
}

// appendBucket appends one bucket's JSON object.
func appendBucket(dst []byte, b statstore.TrainingBucket, exact bool) []byte {
	num := func(key string, v int) {
		dst = append(dst, `,"`...)
		dst = append(dst, key...)
		dst = append(dst, `":`...)
		dst = strconv.AppendInt(dst, int64(v), 10)
	}
	entry := func(key string, e statstore.TrainingIterationStats) {
		dst = append(dst, `,"`...)
		dst = append(dst, key...)
		dst = append(dst, `":`...)
		dst = appendTrainingEntry(dst, e, exact)
	}
	dst = append(dst, `{"from":`...)
	dst = strconv.AppendInt(dst, int64(b.From), 10)
	num("to", b.To)
	num("count", b.Count)
	entry("first", b.First)
	entry("last", b.Last)
	if b.Finite > 0 {
		entry("min", b.Min)
		entry("max", b.Max)
	}
	num("finite", b.Finite)
	num("nan", b.NaN)
	num("pos_inf", b.PosInf)
	num("neg_inf", b.NegInf)
	if b.FirstNonFinite >= 0 {
		num("first_non_finite", b.FirstNonFinite)
	}
	return append(dst, '}')
}
