package servebench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Config sizes the workload.
type Config struct {
	// Iterations are posted to one run, PerRequest per workload request.
	Iterations, PerRequest int
	// Writers concurrent writers each post WriterIterations to their own
	// run, PerRequest per request (0 writers: no concurrent phase).
	Writers, WriterIterations int
	// Reads is how many times the whole history is read in each form; the
	// fastest counts.
	Reads int
	// RunPrefix starts the names of the runs created.
	RunPrefix string
}

// Validate reports sizes below one.
func (c Config) Validate() error {
	if c.Iterations < 1 || c.PerRequest < 1 || c.Reads < 1 || c.Writers < 0 || (c.Writers > 0 && c.WriterIterations < 1) {
		return fmt.Errorf("iterations %d, per request %d, reads %d, writers %d × %d iterations: want positive sizes",
			c.Iterations, c.PerRequest, c.Reads, c.Writers, c.WriterIterations)
	}
	return nil
}

// Result is one JSON line of `statstore bench serve`.
type Result struct {
	Workload   string `json:"workload"` // "serve"
	Target     string `json:"target"`
	URL        string `json:"url"`
	Iterations int    `json:"iterations"`
	PerRequest int    `json:"per_request"`
	Requests   int    `json:"requests"` // HTTP requests of the one-run ingest
	// IngestS is the one-run ingest's wall time, IngestRate its iterations/s.
	IngestS    float64 `json:"ingest_s"`
	IngestRate float64 `json:"ingest_it_per_s"`
	// Reads: per form, the fastest full read (decode and check included)
	// and its bytes.
	Reads []ReadResult `json:"reads"`
	// The concurrent phase: Writers × WriterIterations stored in
	// WritersS, WritersRate iterations/s, request latency percentiles.
	Writers          int     `json:"writers"`
	WriterIterations int     `json:"writer_iterations"`
	WritersS         float64 `json:"writers_s,omitempty"`
	WritersRate      float64 `json:"writers_it_per_s,omitempty"`
	P50S             float64 `json:"writers_p50_s,omitempty"`
	P99S             float64 `json:"writers_p99_s,omitempty"`
}

// ReadResult is the fastest full read in one form.
type ReadResult struct {
	Form  string  `json:"form"`
	S     float64 `json:"s"`
	Bytes int64   `json:"bytes"`
}

// Run runs the workload against t.
func Run(ctx context.Context, t Target, url string, cfg Config) (Result, error) {
	res := Result{Workload: "serve", Target: t.Name(), URL: url, Iterations: cfg.Iterations, PerRequest: cfg.PerRequest,
		Writers: cfg.Writers, WriterIterations: cfg.WriterIterations}
	if err := cfg.Validate(); err != nil {
		return res, err
	}
	prefix := cfg.RunPrefix
	if prefix == "" {
		prefix = fmt.Sprintf("bench_serve_%d", time.Now().UnixNano())
	}
	id, err := t.CreateRun(ctx, prefix+"_one")
	if err != nil {
		return res, err
	}
	reqs := encodeRun(t, id, cfg.Iterations, cfg.PerRequest)
	res.Requests = len(reqs)
	start := time.Now()
	for _, r := range reqs {
		if err := t.Send(ctx, r); err != nil {
			return res, err
		}
	}
	res.IngestS = time.Since(start).Seconds()
	res.IngestRate = float64(cfg.Iterations) / res.IngestS
	for _, form := range t.Forms() {
		best := ReadResult{Form: form}
		for range cfg.Reads {
			start := time.Now()
			n, bytes, err := t.ReadAll(ctx, id, form)
			d := time.Since(start).Seconds()
			if err != nil {
				return res, err
			}
			if n != cfg.Iterations {
				return res, fmt.Errorf("read %d iterations back (%s), wrote %d: %w", n, form, cfg.Iterations, ErrBadAnswer)
			}
			if best.S == 0 || d < best.S {
				best.S, best.Bytes = d, bytes
			}
		}
		res.Reads = append(res.Reads, best)
	}
	if cfg.Writers == 0 {
		return res, nil
	}
	return res, runWriters(ctx, t, cfg, prefix, &res)
}

// runWriters is the concurrent phase: each writer posts its own run.
func runWriters(ctx context.Context, t Target, cfg Config, prefix string, res *Result) error {
	work := make([][]Request, cfg.Writers)
	ids := make([]string, cfg.Writers)
	for w := range work {
		id, err := t.CreateRun(ctx, fmt.Sprintf("%s_w%02d", prefix, w))
		if err != nil {
			return err
		}
		ids[w] = id
		work[w] = encodeRun(t, id, cfg.WriterIterations, cfg.PerRequest)
	}
	lat := make([][]time.Duration, cfg.Writers)
	errs := make([]error, cfg.Writers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range work {
		wg.Go(func() {
			for _, r := range work[w] {
				t0 := time.Now()
				if err := t.Send(ctx, r); err != nil {
					errs[w] = err
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		})
	}
	wg.Wait()
	res.WritersS = time.Since(start).Seconds()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	res.WritersRate = float64(cfg.Writers*cfg.WriterIterations) / res.WritersS
	all := slices.Concat(lat...)
	slices.Sort(all)
	res.P50S, res.P99S = percentile(all, 0.50).Seconds(), percentile(all, 0.99).Seconds()
	// Every acknowledged iteration must read back.
	for _, id := range ids {
		n, _, err := t.ReadAll(ctx, id, t.Forms()[0])
		if err != nil {
			return err
		}
		if n != cfg.WriterIterations {
			return fmt.Errorf("writer run %s reads %d iterations, %d were acknowledged: %w", id, n, cfg.WriterIterations, ErrBadAnswer)
		}
	}
	return nil
}

// encodeRun encodes the requests that write iterations [0, n) of run id.
func encodeRun(t Target, id string, n, per int) []Request {
	var out []Request
	for from := 0; from < n; from += per {
		out = append(out, t.EncodeAppend(id, from, min(per, n-from))...)
	}
	return out
}

// percentile returns the q-quantile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
