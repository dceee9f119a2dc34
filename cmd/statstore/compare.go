package main

import (
	"context"
	"fmt"
	"io"
	"math"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/jsonnan"
)

// comparison is one criterion of statstore compare: each run's best value.
type comparison struct {
	Criterion      string       `json:"criterion"`
	HigherIsBetter bool         `json:"higher_is_better"`
	BestRun        *string      `json:"best_run"`
	Runs           []runBestFor `json:"runs"`
}

// runBestFor is one run's best for a criterion; null fields when the run
// lacks the criterion or every value is NaN.
type runBestFor struct {
	Run        string         `json:"run"`
	Iteration  *int           `json:"iteration"`
	Parameters *string        `json:"parameters"`
	Value      *jsonnan.Float `json:"value"`
}

func newCompareCmd(app *App) *cobra.Command {
	var (
		out               outputFlags
		criteria          []string
		dataset           string
		includeSuperseded bool
	)
	cmd := &cobra.Command{
		Use:   "compare RUN RUN...",
		Short: "Best value per criterion, side by side across runs",
		Long: `Compare runs: for every criterion, each run's best value over checkpoints and
parameter sets, of the mean over its validation datasets (or of one
dataset with --dataset), with the iteration and parameter set that reach it.
The best run per criterion is marked with *.`,
		Example:           `  statstore compare mito_unet_run1 er_unet_run2 --criterion dice,voi`,
		Args:              usageArgs(cobra.MinimumNArgs(2)),
		ValidArgsFunction: completeRuns(app, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return app.withStore(cmd.Context(), readOnly, func(s statstore.StatsStore) error {
				rows, err := compareRuns(cmd.Context(), s, args, criteria, dataset, includeSuperseded, app.Stderr)
				if err != nil {
					return err
				}
				if out.json {
					return writeJSON(app.Stdout, rows)
				}
				t := newTable(app.Stdout, append([]string{"CRITERION", "BETTER"}, args...)...)
				for _, r := range rows {
					cells := []string{r.Criterion, direction(r.HigherIsBetter)}
					for _, b := range r.Runs {
						cell := "-"
						if b.Value != nil {
							cell = fmt.Sprintf("%s @%d %s", num(float64(*b.Value)), *b.Iteration, *b.Parameters)
							if r.BestRun != nil && *r.BestRun == b.Run {
								cell = "*" + cell
							}
						}
						cells = append(cells, cell)
					}
					t.row(cells...)
				}
				return t.flush()
			})
		},
	}
	out.register(cmd)
	cmd.Flags().StringSliceVar(&criteria, "criterion", nil, "only these criteria (repeat or comma-separate)")
	cmd.Flags().StringVar(&dataset, "dataset", "", "compare on this dataset instead of the mean over datasets")
	registerIncludeSuperseded(cmd, &includeSuperseded)
	return cmd
}

// compareRuns builds one comparison per criterion, criteria in the order
// they first appear across the runs.
func compareRuns(ctx context.Context, s statstore.StatsStore, runs, criteria []string, dataset string, includeSuperseded bool, notes io.Writer) ([]comparison, error) {
	perRun := make([]map[string]statstore.Best, len(runs))
	var order []string
	higher := map[string]bool{}
	for i, run := range runs {
		lines, _, _, err := bestReport(ctx, s, run, bestFilter{dataset: dataset, includeSuperseded: includeSuperseded}, notes)
		if err != nil {
			return nil, err
		}
		perRun[i] = map[string]statstore.Best{}
		for _, l := range lines {
			if l.Dataset != dataset { // the mean over datasets has Dataset ""
				continue
			}
			if _, seen := higher[l.Criterion]; !seen {
				order = append(order, l.Criterion)
				higher[l.Criterion] = l.HigherIsBetter
			}
			perRun[i][l.Criterion] = l
		}
	}
	if len(criteria) > 0 {
		for _, c := range criteria {
			if _, ok := higher[c]; !ok {
				return nil, notIn("criterion", c, "", order)
			}
		}
		order = criteria
	}
	out := make([]comparison, 0, len(order))
	for _, c := range order {
		cmp := comparison{Criterion: c, HigherIsBetter: higher[c]}
		crit := statstore.Criterion{Name: c, HigherIsBetter: higher[c]}
		bestValue := math.NaN()
		for i, run := range runs {
			rb := runBestFor{Run: run}
			if b, ok := perRun[i][c]; ok && b.Found && b.HigherIsBetter == higher[c] {
				rb.Iteration, rb.Parameters, rb.Value = &b.Iteration, &b.Parameters, optFloat(b.Value)
				if crit.Better(b.Value, bestValue) {
					bestValue = b.Value
					name := run
					cmp.BestRun = &name
				}
			}
			cmp.Runs = append(cmp.Runs, rb)
		}
		out = append(out, cmp)
	}
	return out, nil
}
