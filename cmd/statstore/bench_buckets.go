package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
)

// bucketsResult is the JSON line of "statstore bench buckets". Times are
// seconds of wall-clock time.
type bucketsResult struct {
	Workload   string `json:"workload"` // "buckets"
	Iterations int    `json:"iterations"`
	Every      int    `json:"every"`
	Sync       bool   `json:"sync"`
	Buckets    int    `json:"buckets"` // asked for
	Got        int    `json:"got"`     // answered
	Width      int    `json:"width"`   // iterations per bucket
	// SetupS is the time to store the history (every --every iterations,
	// as a trainer does); BuildS the first query, which may build what a
	// store keeps to answer the next ones (the file store's bucket
	// sidecar).
	SetupS float64 `json:"setup_s"`
	BuildS float64 `json:"build_s"`
	// ColdS is the first query of a freshly opened store, the fastest of
	// --repeats stores; WarmS the fastest of --repeats queries of one
	// store after bucketWarmUps untimed ones.
	ColdS float64 `json:"cold_s"`
	WarmS float64 `json:"warm_s"`
	// Bytes is the size of the store's files on disk; null for a store
	// that is not a directory.
	Bytes *int64 `json:"bytes"`
}

// bucketWarmUps are the untimed queries before the warm ones.
const bucketWarmUps = 2

func newBenchBucketsCmd(app *App, t *benchTarget) *cobra.Command {
	var n, every, buckets, repeats int
	cmd := &cobra.Command{
		Use:   "buckets",
		Short: "Store a training history, then time a plot's M4 buckets of it, cold and warm",
		Long: `Store a training history of --iterations entries (loss 1/(i+1), NaN
every 97th and +Inf every 29th, stored every --every iterations as a
trainer does), then ask for --buckets M4 buckets of the whole history (first,
last, min and max per bucket, non-finite losses counted), as the dashboard
does when zoomed out: once untimed (build_s: a file store builds its bucket
sidecar), then the first query of --repeats freshly opened stores (cold_s,
the fastest) and --repeats queries of one store after 2 untimed ones
(warm_s, the fastest). Prints one JSON line. Issue 13's goal: at 1e7
iterations within 2× the cost at 1e4, cold and warm (bench/run.sh).`,
		Example: `  statstore bench buckets --dir /tmp/b --iterations 10000000`,
		Args:    usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n < 1 || every < 1 || repeats < 1 {
				return usageError{fmt.Errorf("--iterations %d --every %d --repeats %d: want each >= 1", n, every, repeats)}
			}
			if buckets < 1 || buckets > statstore.MaxBuckets {
				return usageError{fmt.Errorf("--buckets %d: want between 1 and %d", buckets, statstore.MaxBuckets)}
			}
			res, err := app.benchBuckets(cmd.Context(), t, n, every, buckets, repeats)
			if err != nil {
				return err
			}
			return json.NewEncoder(app.Stdout).Encode(res)
		},
	}
	cmd.Flags().IntVar(&n, "iterations", 10_000, "training iterations")
	cmd.Flags().IntVar(&every, "every", 1000, "store the history every this many iterations")
	cmd.Flags().IntVar(&buckets, "buckets", statstore.DefaultMaxPoints, "buckets asked for (a plot's width in pixels)")
	cmd.Flags().IntVar(&repeats, "repeats", 10, "timed queries, cold and warm (the fastest is kept)")
	return cmd
}

// bucketLoss is the benchmark history's loss at iteration i: 1/(i+1),
// NaN every 97th and +Inf every 29th, so that the buckets count
// non-finite losses too.
func bucketLoss(i int) float64 {
	switch {
	case i%97 == 96:
		return math.NaN()
	case i%29 == 28:
		return math.Inf(1)
	}
	return 1 / float64(i+1)
}

// benchBuckets runs the bucket workload (see newBenchBucketsCmd).
func (a *App) benchBuckets(ctx context.Context, t *benchTarget, n, every, buckets, repeats int) (res bucketsResult, err error) {
	run := t.runName("buckets")
	res = bucketsResult{Workload: "buckets", Iterations: n, Every: every, Sync: t.sync, Buckets: buckets}
	opts := statstore.BucketOptions{Buckets: buckets}
	if err := a.withBenchStore(ctx, t, readWrite, func(s statstore.StatsStore) error {
		if err := checkRunAbsent(ctx, s, run); err != nil {
			return err
		}
		start := time.Now()
		stats := &statstore.TrainingStats{IterationStats: make([]statstore.TrainingIterationStats, 0, n)}
		for i := range n {
			stats.IterationStats = append(stats.IterationStats, statstore.TrainingIterationStats{Iteration: i, Loss: bucketLoss(i), Time: 0.01})
			if (i+1)%every != 0 && i != n-1 {
				continue
			}
			if err := s.StoreTrainingStats(ctx, run, stats); err != nil {
				return fmt.Errorf("store training stats up to iteration %d: %w", i, err)
			}
			reportStored(a.Stderr, t.progress, i+1)
		}
		res.SetupS = time.Since(start).Seconds()
		d, err := timed(func() error { return checkBuckets(ctx, s, run, n, opts, &res) })
		res.BuildS = d.Seconds()
		return err
	}); err != nil {
		return res, err
	}
	for range repeats {
		if err := a.withBenchStore(ctx, t, readOnly, func(s statstore.StatsStore) error {
			d, err := timed(func() error { return checkBuckets(ctx, s, run, n, opts, &res) })
			res.ColdS = fastest(res.ColdS, d)
			return err
		}); err != nil {
			return res, err
		}
	}
	if err := a.withBenchStore(ctx, t, readOnly, func(s statstore.StatsStore) error {
		for i := range bucketWarmUps + repeats {
			d, err := timed(func() error { return checkBuckets(ctx, s, run, n, opts, &res) })
			if err != nil {
				return err
			}
			if i >= bucketWarmUps {
				res.WarmS = fastest(res.WarmS, d)
			}
		}
		return nil
	}); err != nil {
		return res, err
	}
	res.Bytes, err = storeSize(t.dir)
	return res, err
}

// checkBuckets asks s for run's buckets and checks that they cover the
// n entries of the benchmark's history, with its non-finite losses
// counted, recording in res how many buckets came back and their width.
func checkBuckets(ctx context.Context, s statstore.StatsStore, run string, n int, opts statstore.BucketOptions, res *bucketsResult) error {
	bs, width, err := statstore.RetrieveTrainingBuckets(ctx, s, run, opts)
	if err != nil {
		return err
	}
	entries, nan, inf := 0, 0, 0
	for _, b := range bs {
		entries, nan, inf = entries+b.Count, nan+b.NaN, inf+b.PosInf
	}
	wantNaN := n / 97
	wantInf := n/29 - n/(97*29) // every 29th, less those that are NaN (every 97·29th)
	switch {
	case len(bs) == 0 || len(bs) > opts.Buckets:
		return fmt.Errorf("buckets of run %q: got %d, want 1 to %d", run, len(bs), opts.Buckets)
	case entries != n || bs[len(bs)-1].Last.Iteration != n-1:
		return fmt.Errorf("buckets of run %q: %d entries up to iteration %d, want %d up to %d", run, entries, bs[len(bs)-1].Last.Iteration, n, n-1)
	case nan != wantNaN || inf != wantInf:
		return fmt.Errorf("buckets of run %q: %d NaN and %d +Inf losses, want %d and %d", run, nan, inf, wantNaN, wantInf)
	}
	res.Got, res.Width = len(bs), width
	return nil
}
