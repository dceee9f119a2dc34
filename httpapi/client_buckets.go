package httpapi

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/go-json-experiment/json"
	"github.com/statstore/statstore"
)

// TrainingBuckets returns the server's buckets
// (statstore.RetrieveTrainingBuckets, computed on the server): the client
// is a statstore.TrainingBucketer, so a plot over HTTP moves the buckets,
// not the history.
func (c *Client) TrainingBuckets(ctx context.Context, run string, opts statstore.BucketOptions) ([]statstore.TrainingBucket, int, error) {
	opts, err := opts.Normalize()
	if err != nil {
		return nil, 0, fmt.Errorf("httpapi: %w", err)
	}
	q := url.Values{"buckets": {strconv.Itoa(opts.Buckets)}, "from": {strconv.Itoa(opts.Range.From)}}
	if opts.Range.To != 0 {
		q.Set("to", strconv.Itoa(opts.Range.To))
	}
	u, err := c.runURL(run, "training/buckets", q)
	if err != nil {
		return nil, 0, err
	}
	ans, err := getAs(c, ctx, u, decodeBuckets)
	if err != nil {
		return nil, 0, err
	}
	return ans.buckets, ans.width, nil
}

// bucketsAnswer is a decoded GET .../training/buckets answer.
type bucketsAnswer struct {
	width   int
	buckets []statstore.TrainingBucket
}

// decodeBuckets decodes and checks a buckets answer.
func decodeBuckets(data []byte) (bucketsAnswer, error) {
	var body struct {
		Run     string `json:"run"`
		Width   int    `json:"width"`
		Buckets []struct {
			From           int            `json:"from"`
			To             int            `json:"to"`
			Count          int            `json:"count"`
			First          *trainingEntry `json:"first"`
			Last           *trainingEntry `json:"last"`
			Min            *trainingEntry `json:"min"`
			Max            *trainingEntry `json:"max"`
			Finite         int            `json:"finite"`
			NaN            int            `json:"nan"`
			PosInf         int            `json:"pos_inf"`
			NegInf         int            `json:"neg_inf"`
			FirstNonFinite *int           `json:"first_non_finite"`
		} `json:"buckets"`
	}
	if err := json.Unmarshal(data, &body, json.RejectUnknownMembers(true)); err != nil {
		return bucketsAnswer{}, err
	}
	if body.Width < 1 {
		return bucketsAnswer{}, fmt.Errorf("bucket width %d: want >= 1", body.Width)
	}
	out := bucketsAnswer{width: body.Width, buckets: make([]statstore.TrainingBucket, len(body.Buckets))}
	entry := func(i int, name string, e *trainingEntry) (statstore.TrainingIterationStats, error) {
		if e == nil || e.Iteration == nil || e.Loss == nil || e.Time == nil {
			return statstore.TrainingIterationStats{}, fmt.Errorf("buckets[%d].%s: want iteration, loss and time", i, name)
		}
		return statstore.TrainingIterationStats{Iteration: *e.Iteration, Loss: float64(*e.Loss), Time: float64(*e.Time)}, nil
	}
	for i, w := range body.Buckets {
		b := statstore.TrainingBucket{From: w.From, To: w.To, Count: w.Count, Finite: w.Finite, NaN: w.NaN, PosInf: w.PosInf, NegInf: w.NegInf, FirstNonFinite: -1}
		var err error
		if b.First, err = entry(i, "first", w.First); err != nil {
			return bucketsAnswer{}, err
		}
		if b.Last, err = entry(i, "last", w.Last); err != nil {
			return bucketsAnswer{}, err
		}
		if w.Finite > 0 {
			if b.Min, err = entry(i, "min", w.Min); err != nil {
				return bucketsAnswer{}, err
			}
			if b.Max, err = entry(i, "max", w.Max); err != nil {
				return bucketsAnswer{}, err
			}
		}
		if w.FirstNonFinite != nil {
			b.FirstNonFinite = *w.FirstNonFinite
		}
		if b.To-b.From != body.Width || b.Count != b.Finite+b.NaN+b.PosInf+b.NegInf || b.Count < 1 ||
			b.First.Iteration < b.From || b.Last.Iteration >= b.To || (b.NonFinite() > 0) != (b.FirstNonFinite >= 0) {
			return bucketsAnswer{}, fmt.Errorf("buckets[%d] = [%d, %d) with %d entries does not add up (width %d)", i, b.From, b.To, b.Count, body.Width)
		}
		if i > 0 && b.From < out.buckets[i-1].To {
			return bucketsAnswer{}, fmt.Errorf("buckets[%d] starts at %d, before the previous bucket ends", i, b.From)
		}
		out.buckets[i] = b
	}
	return out, nil
}
