package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/jsonnan"
)

// runDetails is what statstore show prints.
type runDetails struct {
	Run                string         `json:"run"`
	TrainedUntil       int            `json:"trained_until"`
	TrainingIterations int            `json:"training_iterations"`
	FirstLoss          *jsonnan.Float `json:"first_loss"`
	LastLoss           *jsonnan.Float `json:"last_loss"`
	MinLoss            *jsonnan.Float `json:"min_loss"`
	MinLossIteration   *int           `json:"min_loss_iteration"`
	NaNLosses          int            `json:"nan_losses"`
	MeanTime           *jsonnan.Float `json:"mean_time"`
	// ValidatedUntil is the last validated iteration + 1 (kept for
	// scripts); LastValidated is that iteration, the checkpoint people
	// mean (null without validation scores).
	ValidatedUntil       int   `json:"validated_until"`
	LastValidated        *int  `json:"last_validated"`
	ValidationIterations int   `json:"validation_iterations"`
	ValidatedIterations  []int `json:"validated_iterations"`
	// SupersededIterations are validated checkpoints whose weights a
	// resumed training overwrote (left out of best reports and plots).
	SupersededIterations []int    `json:"superseded_iterations"`
	Datasets             []string `json:"datasets"`
	Parameters           []string `json:"parameters"`
	Criteria             []string `json:"criteria"`
}

func newShowCmd(app *App) *cobra.Command {
	var out outputFlags
	cmd := &cobra.Command{
		Use:   "show RUN",
		Short: "Summarise one run's training and validation",
		Long: `Summarise one run: its training (iterations, first, last and minimum loss,
NaN losses, mean step time) and its validation (validated iterations,
datasets, parameter sets, criteria).`,
		Example:           `  statstore show demo_unet`,
		Args:              usageArgs(cobra.ExactArgs(1)),
		ValidArgsFunction: completeRuns(app, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return app.withStore(cmd.Context(), readOnly, func(s statstore.StatsStore) error {
				d, err := describeRun(cmd.Context(), s, args[0])
				if err != nil {
					return err
				}
				if out.json {
					return writeJSON(app.Stdout, d)
				}
				return printDetails(app.Stdout, d)
			})
		},
	}
	out.register(cmd)
	return cmd
}

// describeRun reads one run whole and summarises it. A run with nothing
// stored is an error.
func describeRun(ctx context.Context, s statstore.StatsStore, run string) (*runDetails, error) {
	if err := statstore.ValidateRunName(run); err != nil {
		return nil, err
	}
	ts, err := s.RetrieveTrainingStats(ctx, run)
	if err != nil {
		return nil, err
	}
	vs, err := s.RetrieveValidationScores(ctx, run)
	if err != nil {
		return nil, err
	}
	if ts.Len() == 0 && vs.Len() == 0 {
		return nil, errRunNotFound(run)
	}
	d := &runDetails{
		Run:                  run,
		TrainedUntil:         ts.TrainedUntil(),
		TrainingIterations:   ts.Len(),
		ValidatedUntil:       vs.ValidatedUntil(),
		ValidationIterations: vs.Len(),
		ValidatedIterations:  make([]int, vs.Len()),
		Datasets:             nonNilStrings(vs.Datasets),
		Parameters:           nonNilStrings(vs.ParameterDisplayNames()),
		Criteria:             nonNilStrings(vs.Criteria()),
	}
	d.LastValidated = lastValidated(vs.ValidatedUntil())
	d.SupersededIterations = []int{}
	for i, e := range vs.Scores {
		d.ValidatedIterations[i] = e.Iteration
		if e.Superseded {
			d.SupersededIterations = append(d.SupersededIterations, e.Iteration)
		}
	}
	if n := ts.Len(); n > 0 {
		st := ts.IterationStats
		d.FirstLoss, d.LastLoss = optFloat(st[0].Loss), optFloat(st[n-1].Loss)
		if it, v, ok := minLoss(st); ok {
			d.MinLoss, d.MinLossIteration = optFloat(v), &it
		}
		sum, timed := 0.0, 0
		for _, e := range st {
			if math.IsNaN(e.Loss) {
				d.NaNLosses++
			}
			if !math.IsNaN(e.Time) && !math.IsInf(e.Time, 0) {
				sum += e.Time
				timed++
			}
		}
		if timed > 0 {
			d.MeanTime = optFloat(sum / float64(timed))
		}
	}
	return d, nil
}

func printDetails(w io.Writer, d *runDetails) error {
	t := newTable(w, "RUN", d.Run)
	t.row("")
	t.row("TRAINING")
	t.row("  trained until", strconv.Itoa(d.TrainedUntil))
	t.row("  iterations logged", strconv.Itoa(d.TrainingIterations))
	t.row("  first loss", optNum(d.FirstLoss))
	t.row("  last loss", optNum(d.LastLoss))
	t.row("  min loss", fmt.Sprintf("%s at iteration %s", optNum(d.MinLoss), optInt(d.MinLossIteration)))
	t.row("  NaN losses", strconv.Itoa(d.NaNLosses))
	t.row("  mean step time", optNum(d.MeanTime)+" s")
	t.row("")
	t.row("VALIDATION")
	t.row("  last validated", optInt(d.LastValidated))
	t.row("  checkpoints validated", fmt.Sprintf("%d %s", d.ValidationIterations, iterationList(d.ValidatedIterations)))
	if len(d.SupersededIterations) > 0 {
		t.row("  superseded", fmt.Sprintf("%d %s (weights overwritten by a resumed training; validate them again)",
			len(d.SupersededIterations), iterationList(d.SupersededIterations)))
	}
	t.row("  datasets", joinOrDash(d.Datasets))
	t.row("  parameter sets", joinOrDash(d.Parameters))
	t.row("  criteria", fmt.Sprintf("%d: %s", len(d.Criteria), joinOrDash(d.Criteria)))
	return t.flush()
}

// iterationList shows up to 10 iterations, eliding the middle of longer lists.
func iterationList(its []int) string {
	if len(its) == 0 {
		return ""
	}
	s := "("
	for i, it := range its {
		if len(its) > 10 && i == 5 {
			s += "..., "
		}
		if len(its) > 10 && i >= 5 && i < len(its)-5 {
			continue
		}
		s += strconv.Itoa(it)
		if i < len(its)-1 {
			s += ", "
		}
	}
	return s + ")"
}

// lastValidated is the last validated checkpoint of a run validated until
// validatedUntil (nil when nothing was validated).
func lastValidated(validatedUntil int) *int {
	if validatedUntil <= 0 {
		return nil
	}
	it := validatedUntil - 1
	return &it
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// errRunNotFound reports a run with nothing stored.
func errRunNotFound(run string) error {
	return &userError{
		msg:  fmt.Sprintf("run %q has no training stats or validation scores in this store", run),
		hint: "list the runs with statstore runs (and check --store)",
		err:  statstore.ErrNotFound,
	}
}
