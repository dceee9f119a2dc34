package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/dacapo"
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
	LastWrite            *time.Time     `json:"last_write,omitempty"` // UTC; omitted when the store cannot tell
	// Error is why the run cannot be read (a DaCapo directory's damaged
	// pickle); the other fields are then zero.
	Error string `json:"error,omitempty"`
}

func newRunsCmd(app *App) *cobra.Command {
	var out outputFlags
	var qf runsQueryFlags
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List every run with trained-until, last validated checkpoint, last and minimum loss",
		Long: `List every run in the store: how far it trained and validated, its last
loss and its minimum loss (NaN skipped). TRAINED_UNTIL is the last
training iteration + 1 (the checkpoint it saved); LAST_VALIDATED is the
last checkpoint validated. JSON also gives validated_until, the last
validated iteration + 1.

With --filter, --sort, --limit, --offset or --columns, runs lists the
summaries the store keeps (no history is read): any column, tag.<key> and
best.<dataset>.<criterion> (the best value, superseded validations left
out); --json then prints {"runs", "total", "offset", "limit"} as the API.

In a DaCapo directory a run whose pickle cannot be read is listed with its
error after the others are listed, and the exit status is 3.`,
		Example: `  statstore runs
  statstore runs --filter 'name~unet tag.architecture=unet' --sort -best.validate.dice --limit 20 --columns run,best.validate.dice,tag.architecture
  statstore --store /data/dacapo/stats --preset binary_segmentation runs --json`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if qf.set(cmd) {
				return app.withStore(cmd.Context(), readOnly, func(s statstore.StatsStore) error {
					return app.listRunPage(cmd.Context(), s, &qf, out.json)
				})
			}
			return app.withStore(cmd.Context(), readOnly, func(s statstore.StatsStore) error {
				if ds, ok := s.(*dacapo.Store); ok {
					// Every pickle is read: the bar counts their bytes.
					bar := app.newBytesProgress(pickleBytes(ds.Dir(), nil), "reading")
					defer bar.done()
				}
				runs, bad, err := summarizeRuns(cmd.Context(), s)
				if err != nil {
					return err
				}
				if out.json {
					if err := writeJSON(app.Stdout, runs); err != nil {
						return err
					}
					return badRuns(len(runs), bad)
				}
				cols := []string{"RUN", "TRAINED_UNTIL", "LAST_VALIDATED", "VALIDATIONS", "LAST_LOSS", "MIN_LOSS", "AT"}
				if len(bad) > 0 {
					cols = append(cols, "ERROR")
				}
				t := newTable(app.Stdout, cols...)
				for _, r := range runs {
					if r.Error != "" {
						t.row(r.Run, "-", "-", "-", "-", "-", "-", r.Error)
						continue
					}
					row := []string{r.Run, strconv.Itoa(r.TrainedUntil), optInt(r.LastValidated), strconv.Itoa(r.ValidationIterations),
						optNum(r.LastLoss), optNum(r.MinLoss), optInt(r.MinLossIteration)}
					if len(bad) > 0 {
						row = append(row, "")
					}
					t.row(row...)
				}
				if err := t.flush(); err != nil {
					return err
				}
				return badRuns(len(runs), bad)
			})
		},
	}
	out.register(cmd)
	qf.register(cmd)
	return cmd
}

// runSummarizer is a store that summarises each run from one read of it
// and lists the runs it cannot read apart: a DaCapo directory read in
// place (dacapo.Store), where one damaged pickle must not hide the others.
type runSummarizer interface {
	SummarizeRuns(ctx context.Context) ([]dacapo.RunSummary, []*dacapo.RunError, error)
}

// summarizeRuns lists the runs, sorted by name, with their last and minimum
// loss, and the runs that cannot be read, each listed with its error too.
func summarizeRuns(ctx context.Context, s statstore.StatsStore) ([]runSummary, []*dacapo.RunError, error) {
	rs, ok := s.(runSummarizer)
	if !ok {
		runs, err := summarizeRunsGeneric(ctx, s)
		return runs, nil, err
	}
	sums, bad, err := rs.SummarizeRuns(ctx)
	if err != nil {
		return nil, nil, err
	}
	out := make([]runSummary, 0, len(sums)+len(bad))
	for _, sum := range sums {
		r := runSummary{
			Run:                  sum.Run,
			TrainedUntil:         sum.TrainedUntil,
			TrainingIterations:   sum.TrainingIterations,
			ValidatedUntil:       sum.ValidatedUntil,
			LastValidated:        lastValidated(sum.ValidatedUntil),
			ValidationIterations: sum.ValidationIterations,
			LastWrite:            optTime(sum.LastWrite),
		}
		if sum.HasLoss {
			r.LastLoss = optFloat(sum.LastLoss)
		}
		if sum.HasMinLoss {
			it := sum.MinLossIteration
			r.MinLoss, r.MinLossIteration = optFloat(sum.MinLoss), &it
		}
		out = append(out, r)
	}
	for _, b := range bad {
		msg := b.Err.Error()
		if hint := budgetHint(b.Err); hint != "" {
			msg += " (" + hint + ")"
		}
		out = append(out, runSummary{Run: b.Run, Error: msg})
	}
	slices.SortFunc(out, func(a, b runSummary) int { return strings.Compare(a.Run, b.Run) })
	return out, bad, nil
}

// badRuns is the error of a listing of n runs of which bad cannot be
// read: nil when none, else one that names them and, being a corruption,
// exits with status 3.
func badRuns(n int, bad []*dacapo.RunError) error {
	if len(bad) == 0 {
		return nil
	}
	errs := make([]error, len(bad))
	for i, b := range bad {
		errs[i] = b
	}
	return fmt.Errorf("%d of %d runs cannot be read (the others are listed): %w", len(bad), n, errors.Join(errs...))
}

// summarizeRunsGeneric lists the runs of any store with their last and
// minimum loss. The minimum comes from a min/max subsample, which keeps
// the lowest loss of every bucket, so it is exact without reading every
// entry into memory.
func summarizeRunsGeneric(ctx context.Context, s statstore.StatsStore) ([]runSummary, error) {
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
			LastWrite:            optTime(info.LastWrite),
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
		app.noProgress() // nothing may draw while the shell completes
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
