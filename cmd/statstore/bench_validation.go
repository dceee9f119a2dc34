package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
)

// bestRepeats is how many best reports the validation benchmark times.
const bestRepeats = 5

// benchShape is the shape of the validation workload's scores.
type benchShape struct {
	datasets, parameters int
	criteria             string // a preset name or a number of generic criteria
}

// metadata returns datasets dataset_0.., threshold parameter sets spread
// over (0, 1) and the criteria.
func (b benchShape) metadata() (statstore.Metadata, error) {
	if b.datasets < 1 || b.parameters < 1 {
		return statstore.Metadata{}, usageError{fmt.Errorf("--datasets %d --parameters %d: want both >= 1", b.datasets, b.parameters)}
	}
	var criteria []statstore.Criterion
	if n, err := strconv.Atoi(b.criteria); err == nil {
		if n < 1 {
			return statstore.Metadata{}, usageError{fmt.Errorf("--criteria %d: want >= 1, or a preset name", n)}
		}
		criteria = statstore.GenericCriteria(n)
	} else if criteria, err = statstore.Preset(b.criteria); err != nil {
		return statstore.Metadata{}, usageError{fmt.Errorf("--criteria %q: want a number or one of %v: %w", b.criteria, statstore.PresetNames(), err)}
	}
	thresholds := make([]float64, b.parameters)
	for i := range thresholds {
		thresholds[i] = float64(i+1) / float64(b.parameters+1)
	}
	datasets := make([]string, b.datasets)
	for i := range datasets {
		datasets[i] = "dataset_" + strconv.Itoa(i)
	}
	m := statstore.Metadata{Datasets: datasets, Parameters: statstore.ThresholdParameters(thresholds...), EvaluationScores: criteria}
	return m, m.Validate()
}

func newBenchValidationCmd(app *App, t *benchTarget) *cobra.Command {
	var (
		checkpoints, every int
		shape              benchShape
	)
	cmd := &cobra.Command{
		Use:   "validation",
		Short: "Store validation scores checkpoint by checkpoint, then read them back and find the best",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if checkpoints < 1 || every < 1 {
				return usageError{fmt.Errorf("--checkpoints %d --every %d: want both >= 1", checkpoints, every)}
			}
			meta, err := shape.metadata()
			if err != nil {
				return err
			}
			res, err := app.benchValidation(cmd.Context(), t, meta, checkpoints, every)
			if err != nil {
				return err
			}
			return json.NewEncoder(app.Stdout).Encode(res)
		},
	}
	f := cmd.Flags()
	f.IntVar(&checkpoints, "checkpoints", 100, "validated checkpoints")
	f.IntVar(&every, "every", 1000, "training iterations between checkpoints")
	// These shadow the global --datasets and --parameters (names for
	// DaCapo data), which a benchmark does not use.
	f.IntVar(&shape.datasets, "datasets", 2, "validation datasets")
	f.IntVar(&shape.parameters, "parameters", 9, "post-processing parameter sets")
	f.StringVar(&shape.criteria, "criteria", "binary_segmentation", "a criteria preset, or a number of generic criteria")
	return cmd
}

// benchScores returns one checkpoint's scores: uniform values in [0, 1)
// from rng.
func benchScores(rng *rand.Rand, sh [3]int) [][][]float64 {
	flat := make([]float64, sh[0]*sh[1]*sh[2])
	for i := range flat {
		flat[i] = rng.Float64()
	}
	out := make([][][]float64, sh[0])
	for d := range out {
		out[d] = make([][]float64, sh[1])
		for p := range out[d] {
			out[d][p], flat = flat[:sh[2]:sh[2]], flat[sh[2]:]
		}
	}
	return out
}

// benchValidation runs the validation workload: a checkpoint every `every`
// iterations (the first at `every`), each stored with the whole
// ValidationScores; then a full retrieval and best reports.
func (a *App) benchValidation(ctx context.Context, t *benchTarget, meta statstore.Metadata, checkpoints, every int) (res benchResult, err error) {
	run := t.runName("validation")
	res = benchResult{Workload: "validation", Iterations: checkpoints * every, Every: every, Sync: t.sync}
	var write time.Duration
	if err := a.withBenchStore(ctx, t, readWrite, func(s statstore.StatsStore) error {
		if err := checkRunAbsent(ctx, s, run); err != nil {
			return err
		}
		vs, err := statstore.NewValidationScores(meta)
		if err != nil {
			return err
		}
		vs.Scores = make([]statstore.ValidationIterationScores, 0, checkpoints)
		rng := rand.New(rand.NewPCG(1, 2))
		for c := 1; c <= checkpoints; c++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := vs.AddIterationScores(statstore.ValidationIterationScores{Iteration: c * every, Scores: benchScores(rng, meta.Shape())}); err != nil {
				return err
			}
			d, err := timed(func() error { return s.StoreValidationIterationScores(ctx, run, vs) })
			if err != nil {
				return fmt.Errorf("store validation scores of checkpoint %d: %w", c*every, err)
			}
			write += d
			res.Calls++
			reportStored(a.Stderr, t.progress, vs.ValidatedUntil())
		}
		return nil
	}); err != nil {
		return res, err
	}
	res.WriteS, res.Checkpoints = write.Seconds(), checkpoints
	if res.Bytes, err = storeSize(t.dir); err != nil {
		return res, err
	}
	var got *statstore.ValidationScores
	for range readRepeats {
		runtime.GC() // what the write phase freed is not the read's to collect
		if err := a.withBenchStore(ctx, t, readOnly, func(s statstore.StatsStore) error {
			d, err := timed(func() (err error) { got, err = s.RetrieveValidationScores(ctx, run); return err })
			if err != nil {
				return err
			}
			if got.Len() != checkpoints {
				return fmt.Errorf("read back %d validation entries, want %d", got.Len(), checkpoints)
			}
			res.ReadS = fastest(res.ReadS, d)
			return nil
		}); err != nil {
			return res, err
		}
	}
	best, cpu := timeBest(got)
	res.BestS = seconds(best)
	if cpu >= 0 {
		res.BestCPUS = seconds(cpu)
	}
	return res, nil
}

// timeBest computes the best report of vs bestRepeats times and returns
// the fastest wall-clock time and the mean CPU time (negative when the
// platform cannot tell).
func timeBest(vs *statstore.ValidationScores) (fastest, cpu time.Duration) {
	cpu0, cpuOK := processCPU()
	for i := range bestRepeats {
		d, _ := timed(func() error { _ = vs.BestReport(); return nil })
		if i == 0 || d < fastest {
			fastest = d
		}
	}
	cpu1, _ := processCPU()
	if !cpuOK {
		return fastest, -1
	}
	return fastest, (cpu1 - cpu0) / bestRepeats
}
