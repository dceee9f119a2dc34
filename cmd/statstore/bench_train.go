package main

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"time"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
)

func newBenchTrainCmd(app *App, t *benchTarget) *cobra.Command {
	var n, every int
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Store a training history checkpoint by checkpoint, then read it back",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n < 1 || every < 1 {
				return usageError{fmt.Errorf("--iterations %d --every %d: want both >= 1", n, every)}
			}
			res, err := app.benchTrain(cmd.Context(), t, n, every)
			if err != nil {
				return err
			}
			return json.NewEncoder(app.Stdout).Encode(res)
		},
	}
	cmd.Flags().IntVar(&n, "iterations", 10_000, "training iterations")
	cmd.Flags().IntVar(&every, "every", 1000, "store the history every this many iterations")
	return cmd
}

// The warm subsample timing: after the cold call, subsampleWarmUps calls
// are not timed (the second read of a file store maps the file and pays
// the first touch of its pages), then the fastest of subsampleWarmRepeats
// is kept.
const (
	subsampleWarmUps     = 2
	subsampleWarmRepeats = 5
)

// benchTrain runs the training workload: the whole history is stored every
// `every` iterations and at the end, then read back from fresh stores.
func (a *App) benchTrain(ctx context.Context, t *benchTarget, n, every int) (res benchResult, err error) {
	run := t.runName("train")
	res = benchResult{Workload: "train", Iterations: n, Every: every, Sync: t.sync}
	var write time.Duration
	if err := a.withBenchStore(ctx, t, readWrite, func(s statstore.StatsStore) error {
		if err := checkRunAbsent(ctx, s, run); err != nil {
			return err
		}
		var err error
		write, res.Calls, err = benchTrainWrite(ctx, s, run, n, every, func(until int) {
			reportStored(a.Stderr, t.progress, until)
		})
		return err
	}); err != nil {
		return res, err
	}
	res.WriteS, res.Checkpoints = write.Seconds(), res.Calls
	if res.Bytes, err = storeSize(t.dir); err != nil {
		return res, err
	}
	if err := a.withBenchStore(ctx, t, readOnly, func(s statstore.StatsStore) error {
		return benchTrainReadWarm(ctx, s, run, n, &res)
	}); err != nil {
		return res, err
	}
	for range readRepeats {
		runtime.GC() // what the write phase freed is not the read's to collect
		if err := a.withBenchStore(ctx, t, readOnly, func(s statstore.StatsStore) error {
			return benchTrainRead(ctx, s, run, n, &res)
		}); err != nil {
			return res, err
		}
		if err := a.withBenchStore(ctx, t, readOnly, func(s statstore.StatsStore) error {
			return benchTrainSubsample(ctx, s, run, n, &res)
		}); err != nil {
			return res, err
		}
	}
	return res, nil
}

// benchTrainWrite runs the training loop: it keeps the whole history in
// memory, adds one iteration at a time and stores the whole history every
// `every` iterations and at the end, calling stored with the trained-until
// after each Store call returns. It returns the total time spent inside
// the Store calls and their number.
func benchTrainWrite(ctx context.Context, s statstore.StatsStore, run string, n, every int, stored func(until int)) (write time.Duration, calls int, err error) {
	stats := &statstore.TrainingStats{IterationStats: make([]statstore.TrainingIterationStats, 0, n)}
	for i := range n {
		if err := stats.AddIterationStats(statstore.TrainingIterationStats{Iteration: i, Loss: 1 / float64(i+1), Time: 0.01}); err != nil {
			return write, calls, err
		}
		if (i+1)%every != 0 && i != n-1 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return write, calls, err
		}
		d, err := timed(func() error { return s.StoreTrainingStats(ctx, run, stats) })
		if err != nil {
			return write, calls, fmt.Errorf("store training stats up to iteration %d: %w", i, err)
		}
		write += d
		calls++
		stored(stats.TrainedUntil())
	}
	return write, calls, nil
}

// benchTrainRead times a full retrieval, keeping in res the fastest so far.
func benchTrainRead(ctx context.Context, s statstore.StatsStore, run string, n int, res *benchResult) error {
	var got *statstore.TrainingStats
	d, err := timed(func() (err error) { got, err = s.RetrieveTrainingStats(ctx, run); return err })
	if err != nil {
		return err
	}
	if got.Len() != n {
		return fmt.Errorf("read back %d training entries, want %d", got.Len(), n)
	}
	res.ReadS = fastest(res.ReadS, d)
	return nil
}

// benchTrainReadWarm times full retrievals in the steady state of a reader
// that reads the run again and again, as the limit reads its file: one
// store, each read into the slice of the read before it
// (statstore.AppendTrainingStats), after warmUps untimed reads (the second
// read of a file store maps the file and pays the first touch of its
// pages). res keeps the fastest of readRepeats.
func benchTrainReadWarm(ctx context.Context, s statstore.StatsStore, run string, n int, res *benchResult) error {
	const warmUps = 2
	var buf []statstore.TrainingIterationStats
	for i := range warmUps + readRepeats {
		if i == warmUps {
			runtime.GC()
		}
		d, err := timed(func() (err error) { buf, err = statstore.AppendTrainingStats(ctx, s, run, buf[:0]); return err })
		if err != nil {
			return err
		}
		if len(buf) != n || buf[n-1].Iteration != n-1 {
			return fmt.Errorf("read back %d training entries, want %d ending at iteration %d", len(buf), n, n-1)
		}
		if i >= warmUps {
			res.ReadWarmS = fastestPtr(res.ReadWarmS, d)
		}
	}
	return nil
}

// benchTrainSubsample times a 1,000-point subsample on a store that has
// read nothing yet (cold: the Store's block index is empty and its file
// not yet mapped; the OS page cache holds the file, just written) and in
// the steady state of a store that has read the run before (warm: the
// fastest of subsampleWarmRepeats calls after subsampleWarmUps more).
// The warm-ups matter: a file store maps a file on its second read, which
// pays the first touch of each page it reads, about what a cold call
// costs. res keeps the fastest of each so far.
func benchTrainSubsample(ctx context.Context, s statstore.StatsStore, run string, n int, res *benchResult) error {
	sub := func() error {
		pts, err := s.SubsampleTraining(ctx, run, statstore.SubsampleOptions{MaxPoints: statstore.DefaultMaxPoints})
		if err == nil && (len(pts) == 0 || pts[len(pts)-1].Iteration != n-1) {
			err = fmt.Errorf("subsample of %d points does not end at the last iteration %d", len(pts), n-1)
		}
		return err
	}
	cold, err := timed(sub)
	if err != nil {
		return err
	}
	res.SubsampleS = fastestPtr(res.SubsampleS, cold)
	for range subsampleWarmUps {
		if err := sub(); err != nil {
			return err
		}
	}
	for range subsampleWarmRepeats {
		warm, err := timed(sub)
		if err != nil {
			return err
		}
		res.SubsampleWarmS = fastestPtr(res.SubsampleWarmS, warm)
	}
	return nil
}
