package main

import (
	"context"
	"math"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/jsonnan"
)

// runSummary is one line of statstore runs.
type runSummary struct {
	Run                  string         `json:"run"`
	TrainedUntil         int            `json:"trained_until"`
	TrainingIterations   int            `json:"training_iterations"`
	ValidatedUntil       int            `json:"validated_until"`
	LastValidated        *int           `json:"last_validated"` // the last validated checkpoint, ValidatedUntil-1
	ValidationIterations int            `json:"validation_iterations"`
	LastLoss             *jsonnan.Float `json:"last_loss"`
	MinLoss              *jsonnan.Float `json:"min_loss"`
	MinLossIteration     *int           `json:"min_loss_iteration"`
}

func newRunsCmd(app *App) *cobra.Command {
	var out outputFlags
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List every run with trained-until, last validated checkpoint, last and minimum loss",
		Long: `List every run in the store: how far it trained and validated, its last
loss and its minimum loss (NaN skipped). TRAINED_UNTIL is the last
training iteration + 1 (the checkpoint it saved); LAST_VALIDATED is the
last checkpoint validated. JSON also gives validated_until, the last
validated iteration + 1.`,
		Example: `  statstore runs
  statstore --store /data/dacapo/stats --preset binary_segmentation runs --json`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return app.withStore(cmd.Context(), readOnly, func(s statstore.StatsStore) error {
				runs, err := summarizeRuns(cmd.Context(), s)
				if err != nil {
					return err
				}
				if out.json {
					return writeJSON(app.Stdout, runs)
				}
				t := newTable(app.Stdout, "RUN", "TRAINED_UNTIL", "LAST_VALIDATED", "VALIDATIONS", "LAST_LOSS", "MIN_LOSS", "AT")
				for _, r := range runs {
					t.row(r.Run, strconv.Itoa(r.TrainedUntil), optInt(r.LastValidated), strconv.Itoa(r.ValidationIterations),
						optNum(r.LastLoss), optNum(r.MinLoss), optInt(r.MinLossIteration))
				}
				return t.flush()
			})
		},
	}
	out.register(cmd)
	return cmd
}

// summarizeRuns lists the runs with their last and minimum loss. The
// minimum comes from a min/max subsample, which keeps the lowest loss of
// every bucket, so it is exact without reading every entry into memory.
func summarizeRuns(ctx context.Context, s statstore.StatsStore) ([]runSummary, error) {
	infos, err := s.ListRuns(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]runSummary, 0, len(infos))
	for _, info := range infos {
		r := runSummary{
			Run:                  info.Run,
			TrainedUntil:         info.TrainedUntil,
			TrainingIterations:   info.TrainingIterations,
			ValidatedUntil:       info.ValidatedUntil,
			LastValidated:        lastValidated(info.ValidatedUntil),
			ValidationIterations: info.ValidationIterations,
		}
		if info.TrainingIterations > 0 {
			pts, err := s.SubsampleTraining(ctx, info.Run, statstore.SubsampleOptions{MaxPoints: statstore.DefaultMaxPoints, Mode: statstore.SubsampleMinMax})
			if err != nil {
				return nil, err
			}
			if len(pts) > 0 {
				r.LastLoss = optFloat(pts[len(pts)-1].Loss)
				if it, v, ok := minLoss(pts); ok {
					r.MinLoss, r.MinLossIteration = optFloat(v), &it
				}
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// minLoss returns the iteration and value of the lowest non-NaN loss.
func minLoss(pts []statstore.TrainingIterationStats) (int, float64, bool) {
	best, found := 0, false
	for i, p := range pts {
		if math.IsNaN(p.Loss) {
			continue
		}
		if !found || p.Loss < pts[best].Loss {
			best, found = i, true
		}
	}
	if !found {
		return 0, math.NaN(), false
	}
	return pts[best].Iteration, pts[best].Loss, true
}

// completeRuns completes run names from the store for the first maxArgs
// arguments (0 = any number).
func completeRuns(app *App, maxArgs int) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if maxArgs > 0 && len(args) >= maxArgs {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var names []cobra.Completion
		err := app.withStore(cmd.Context(), readOnly, func(s statstore.StatsStore) error {
			infos, err := s.ListRuns(cmd.Context())
			for _, i := range infos {
				names = append(names, i.Run)
			}
			return err
		})
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}
