package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
)

// demoRunNames returns the runs statstore demo writes.
func demoRunNames() []string { return []string{"demo_unet", "demo_unet_small"} }

// demoOptions are the flags of statstore demo.
type demoOptions struct {
	iterations    int
	validateEvery int
	seed          uint64
}

func newDemoCmd(app *App) *cobra.Command {
	var o demoOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Write two simulated training runs into the store, to try every command",
		Long: `Write two simulated training runs (demo_unet and demo_unet_small) through
the public API, as a DaCapo trainer and validator would: training stats
stored at every checkpoint, a crash and a resume from an earlier checkpoint
(which overwrites the stored history), a NaN loss or two, and validation
every --validate-every iterations on 2 datasets × 3 thresholds with the 21
binary segmentation criteria, one checkpoint validated late. Existing runs
of those names are replaced. Then it prints what to try next.

The demo narrates what it does on stdout; the store's own log lines (a
resume's overwrite warnings, say) appear on stderr only with -v or
--log-level.`,
		Example: `  statstore --store /tmp/demo demo && statstore --store /tmp/demo best demo_unet`,
		Args:    usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.iterations < 10 || o.iterations > 10_000_000 {
				return usageError{fmt.Errorf("--iterations %d: want between 10 and 10000000", o.iterations)}
			}
			if o.validateEvery < 1 || o.validateEvery > o.iterations/2 {
				return usageError{fmt.Errorf("--validate-every %d: want between 1 and half of --iterations (%d)", o.validateEvery, o.iterations/2)}
			}
			if !app.global.logAsked {
				// The demo tells what happens itself; the store's log lines
				// (the resume's overwrite warnings) come with -v or --log-level.
				app.logger = slog.New(slog.DiscardHandler)
			}
			return app.withStore(cmd.Context(), readWrite, func(s statstore.StatsStore) error {
				for i, run := range demoRunNames() {
					if err := s.DeleteRun(cmd.Context(), run); err != nil {
						return err
					}
					sim := newSimulation(o, i)
					if err := sim.write(cmd.Context(), s, run, app.Stdout); err != nil {
						return fmt.Errorf("demo run %s: %w", run, err)
					}
				}
				printNextSteps(app.Stdout, app.storeSpec())
				return nil
			})
		},
	}
	cmd.Flags().IntVar(&o.iterations, "iterations", 5000, "training iterations of each run")
	cmd.Flags().IntVar(&o.validateEvery, "validate-every", 500, "checkpoint and validate every this many iterations")
	cmd.Flags().Uint64Var(&o.seed, "seed", 1, "random seed (the same seed writes the same runs)")
	return cmd
}

// simulation generates one run's stats.
type simulation struct {
	o        demoOptions
	rng      *rand.Rand
	scale    float64 // loss decay in iterations
	quality  float64 // best reachable score
	datasets []string
	params   []statstore.ParameterSet
	crit     []statstore.Criterion
}

func newSimulation(o demoOptions, variant int) *simulation {
	return &simulation{
		o:        o,
		rng:      rand.New(rand.NewPCG(o.seed, uint64(variant))),
		scale:    float64(o.iterations) * (0.25 + 0.15*float64(variant)),
		quality:  0.86 - 0.08*float64(variant),
		datasets: []string{"crop_a", "crop_b"},
		params:   statstore.ThresholdParameters(0.3, 0.5, 0.7),
		crit:     statstore.BinarySegmentationCriteria(),
	}
}

// write plays the run: train and checkpoint, crash at 60%, resume from the
// checkpoint at 40% (overwriting the stored history), validate each
// checkpoint, the third one late.
func (sim *simulation) write(ctx context.Context, s statstore.StatsStore, run string, out io.Writer) error {
	n, every := sim.o.iterations, sim.o.validateEvery
	crashAt := n * 6 / 10 / every * every
	resumeFrom := n * 4 / 10 / every * every
	resume := resumeFrom > 0 && crashAt > resumeFrom
	nanAt := map[int]bool{n/3 + 7: true, n*3/4 + 11: true}
	lateCheckpoint := 3 * every

	meta := statstore.Metadata{Datasets: sim.datasets, Parameters: sim.params, EvaluationScores: sim.crit}
	scores, err := statstore.NewValidationScores(meta)
	if err != nil {
		return err
	}
	stats := &statstore.TrainingStats{}
	validate := func(it int) error {
		if err := scores.AddIterationScores(sim.scores(it)); err != nil {
			return err
		}
		return s.StoreValidationIterationScores(ctx, run, scores)
	}
	crashed, lateDone := false, false
	for it := 0; it < n; it++ {
		loss := sim.loss(it)
		if nanAt[it] {
			loss = math.NaN()
		}
		if err := stats.AddIterationStats(statstore.TrainingIterationStats{Iteration: it, Loss: loss, Time: 0.12 + 0.02*sim.rng.Float64()}); err != nil {
			return err
		}
		checkpoint := it + 1
		if checkpoint%every != 0 && checkpoint != n {
			continue
		}
		if err := s.StoreTrainingStats(ctx, run, stats); err != nil {
			return err
		}
		if checkpoint != lateCheckpoint {
			if err := validate(checkpoint); err != nil {
				return err
			}
		}
		if checkpoint == lateCheckpoint+every && !lateDone {
			lateDone = true
			if err := validate(lateCheckpoint); err != nil { // the validator caught up late
				return err
			}
		}
		if resume && !crashed && checkpoint == crashAt {
			crashed = true
			// The trainer dies and restarts from the checkpoint at
			// resumeFrom: it drops the stats after it and trains again.
			stats.DeleteAfter(resumeFrom)
			scores.DeleteAfter(resumeFrom + 1)
			it = resumeFrom - 1
			fmt.Fprintf(out, "%s: crashed at iteration %d, resuming from the checkpoint at %d (the next stores overwrite the training and validation history)\n", run, crashAt, resumeFrom)
		}
	}
	nans := 0
	for _, e := range stats.IterationStats {
		if math.IsNaN(e.Loss) {
			nans++
		}
	}
	fmt.Fprintf(out, "%s: wrote %d training iterations (%d NaN losses) and %d validated checkpoints\n", run, stats.Len(), nans, scores.Len())
	return nil
}

// loss is a decaying training loss with noise and the odd spike.
func (sim *simulation) loss(it int) float64 {
	base := 0.08 + 0.9*math.Exp(-float64(it)/sim.scale)
	noise := 1 + 0.15*sim.rng.NormFloat64()
	if sim.rng.IntN(500) == 0 {
		noise *= 2.5
	}
	return math.Max(base*noise, 1e-4)
}

// scores simulates the evaluation of one checkpoint: quality grows with
// training, peaks at threshold 0.5, and is lower on the harder crop_b.
func (sim *simulation) scores(it int) statstore.ValidationIterationScores {
	out := make([][][]float64, len(sim.datasets))
	progress := 1 - math.Exp(-float64(it)/(0.6*sim.scale))
	for d := range sim.datasets {
		out[d] = make([][]float64, len(sim.params))
		for p, ps := range sim.params {
			t, _ := ps.Values.Get("threshold")
			th, _ := t.(float64)
			q := sim.quality*progress - 0.9*(th-0.5)*(th-0.5) - 0.07*float64(d) + 0.02*sim.rng.NormFloat64()
			q = math.Min(math.Max(q, 0.01), 0.99)
			out[d][p] = make([]float64, len(sim.crit))
			for c, crit := range sim.crit {
				v := q * (0.95 + 0.1*sim.rng.Float64())
				if !crit.HigherIsBetter {
					v = 1 - v
				}
				if crit.Bounds.Upper == nil { // distances: unbounded above
					v *= 40
				} else {
					v = math.Min(v, *crit.Bounds.Upper)
				}
				out[d][p][c] = v
			}
			if th == 0.7 && d == 1 && it == sim.o.validateEvery {
				// An empty prediction: the Hausdorff distance is undefined.
				out[d][p][2] = math.NaN()
			}
		}
	}
	return statstore.ValidationIterationScores{Iteration: it, Scores: out}
}

func printNextSteps(w io.Writer, spec string) {
	pre := "statstore"
	if spec != defaultStore {
		pre += " --store " + shellQuote(spec)
	}
	fmt.Fprintf(w, `
Done. Try next:
  %[1]s runs                                  every run: trained until, last validated
  %[1]s show demo_unet                        training and validation summary
  %[1]s best demo_unet                        best checkpoint and threshold per dataset and criterion
  %[1]s best demo_unet --criterion f1_score --json
  %[1]s compare demo_unet demo_unet_small     best values side by side
  %[1]s plot demo_unet demo_unet_small --criterion f1_score -o demo.png
  %[1]s export demo_unet --what validation -o scores.csv
  %[1]s export dacapo /tmp/dacapo-stats       write DaCapo pickle files
  %[1]s fsck                                  check the files
`, pre)
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '_' || r == '-' || r == ':' || r == '@' || r == '=' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
