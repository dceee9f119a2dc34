package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/jsonnan"
)

// bestLine is one line of a best report in JSON. Iteration, parameters and
// value are null when every value is NaN. Mean-over-datasets lines have a
// null dataset and over_datasets true.
type bestLine struct {
	Dataset        *string        `json:"dataset"`
	OverDatasets   bool           `json:"over_datasets"`
	Criterion      string         `json:"criterion"`
	HigherIsBetter bool           `json:"higher_is_better"`
	Iteration      *int           `json:"iteration"`
	ParameterIndex *int           `json:"parameter_index"`
	Parameters     *string        `json:"parameters"`
	Value          *jsonnan.Float `json:"value"`
}

// bestFilter narrows a best report.
type bestFilter struct {
	criteria     []string
	dataset      string
	parameters   string
	overDatasets bool
}

func (f *bestFilter) register(cmd *cobra.Command) {
	cmd.Flags().StringSliceVar(&f.criteria, "criterion", nil, "only these criteria (repeat or comma-separate)")
	cmd.Flags().StringVar(&f.dataset, "dataset", "", "only this validation dataset")
	cmd.Flags().StringVar(&f.parameters, "parameter-set", "", "only this parameter set (display name, e.g. threshold_0.5)")
}

func newBestCmd(app *App) *cobra.Command {
	var (
		out    outputFlags
		filter bestFilter
	)
	cmd := &cobra.Command{
		Use:   "best RUN",
		Short: "Which checkpoint and parameter set are best, per dataset and criterion",
		Long: `Print the best report of a run: for every validation dataset and criterion,
the checkpoint (iteration) and post-processing parameter set with the best
value (the maximum when higher is better, else the minimum; NaN skipped),
and per criterion the best of the mean over datasets.

JSON: a list of {dataset, over_datasets, criterion, higher_is_better,
iteration, parameter_index, parameters, value}, one per dataset and
criterion; iteration, parameters and value are null when every value is
NaN. --over-datasets adds the mean-over-datasets lines (dataset null).`,
		Example: `  statstore best demo_unet
  statstore best demo_unet --criterion f1_score,voi --dataset crop_a
  statstore best demo_unet --parameter-set threshold_0.5 --json`,
		Args:              usageArgs(cobra.ExactArgs(1)),
		ValidArgsFunction: completeRuns(app, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return app.withStore(cmd.Context(), readOnly, func(s statstore.StatsStore) error {
				lines, err := bestReport(cmd.Context(), s, args[0], filter)
				if err != nil {
					return err
				}
				if out.json {
					if !filter.overDatasets {
						lines = perDatasetOnly(lines)
					}
					return writeJSON(app.Stdout, lines)
				}
				t := newTable(app.Stdout, "DATASET", "CRITERION", "BETTER", "ITERATION", "PARAMETERS", "VALUE")
				for _, l := range lines {
					ds := "(mean over datasets)"
					if l.Dataset != nil {
						ds = *l.Dataset
					}
					par := "-"
					if l.Parameters != nil {
						par = *l.Parameters
					}
					t.row(ds, l.Criterion, direction(l.HigherIsBetter), optInt(l.Iteration), par, optNum(l.Value))
				}
				return t.flush()
			})
		},
	}
	out.register(cmd)
	filter.register(cmd)
	cmd.Flags().BoolVar(&filter.overDatasets, "over-datasets", false, "with --json, also give the mean-over-datasets lines")
	_ = cmd.RegisterFlagCompletionFunc("criterion", completeMetadata(app, func(m statstore.Metadata) []string { return m.Criteria() }))
	_ = cmd.RegisterFlagCompletionFunc("dataset", completeMetadata(app, func(m statstore.Metadata) []string { return m.Datasets }))
	_ = cmd.RegisterFlagCompletionFunc("parameter-set", completeMetadata(app, func(m statstore.Metadata) []string { return m.ParameterDisplayNames() }))
	return cmd
}

func direction(higher bool) string {
	if higher {
		return "higher"
	}
	return "lower"
}

// bestReport computes the filtered best report of a run; mean-over-datasets
// lines come last (and are left out when a dataset is chosen).
func bestReport(ctx context.Context, s statstore.StatsStore, run string, f bestFilter) ([]bestLine, error) {
	vs, err := retrieveValidation(ctx, s, run)
	if err != nil {
		return nil, err
	}
	if f.parameters != "" {
		if vs, err = onlyParameters(vs, f.parameters); err != nil {
			return nil, err
		}
	}
	if f.dataset != "" && !contains(vs.Datasets, f.dataset) {
		return nil, notIn("dataset", f.dataset, run, vs.Datasets)
	}
	keep := map[string]bool{}
	for _, c := range f.criteria {
		if _, ok := vs.Criterion(c); !ok {
			return nil, notIn("criterion", c, run, vs.Criteria())
		}
		keep[c] = true
	}
	rep := vs.BestReport()
	var lines []bestLine
	add := func(b statstore.Best, over bool) {
		if len(keep) > 0 && !keep[b.Criterion] {
			return
		}
		l := bestLine{OverDatasets: over, Criterion: b.Criterion, HigherIsBetter: b.HigherIsBetter}
		if !over {
			ds := b.Dataset
			l.Dataset = &ds
		}
		if b.Found {
			it, name := b.Iteration, b.Parameters
			idx := parameterIndex(vs.Parameters, b.ParameterID)
			l.Iteration, l.Parameters, l.ParameterIndex, l.Value = &it, &name, &idx, optFloat(b.Value)
		}
		lines = append(lines, l)
	}
	for _, b := range rep.PerDataset {
		if f.dataset == "" || b.Dataset == f.dataset {
			add(b, false)
		}
	}
	if f.dataset == "" {
		for _, b := range rep.OverDatasets {
			add(b, true)
		}
	}
	return lines, nil
}

func perDatasetOnly(lines []bestLine) []bestLine {
	out := make([]bestLine, 0, len(lines))
	for _, l := range lines {
		if !l.OverDatasets {
			out = append(out, l)
		}
	}
	return out
}

// retrieveValidation returns a run's validation scores; none is an error.
func retrieveValidation(ctx context.Context, s statstore.StatsStore, run string) (*statstore.ValidationScores, error) {
	if err := statstore.ValidateRunName(run); err != nil {
		return nil, err
	}
	vs, err := s.RetrieveValidationScores(ctx, run)
	if err != nil {
		return nil, err
	}
	if vs.Len() == 0 {
		return nil, &userError{
			msg:  fmt.Sprintf("run %q has no validation scores in this store", run),
			hint: "list the runs and how far they were validated with statstore runs",
			err:  statstore.ErrNotFound,
		}
	}
	return vs, nil
}

// onlyParameters keeps one parameter set (by display name) of vs.
func onlyParameters(vs *statstore.ValidationScores, name string) (*statstore.ValidationScores, error) {
	idx := -1
	for i, p := range vs.Parameters {
		if p.DisplayName() == name {
			idx = i
		}
	}
	if idx < 0 {
		return nil, notIn("parameter set", name, "", vs.ParameterDisplayNames())
	}
	out := &statstore.ValidationScores{Metadata: vs.Metadata}
	out.Parameters = vs.Parameters[idx : idx+1]
	for _, e := range vs.Scores {
		sub := make([][][]float64, len(e.Scores))
		for d := range e.Scores {
			sub[d] = e.Scores[d][idx : idx+1]
		}
		out.Scores = append(out.Scores, statstore.ValidationIterationScores{Iteration: e.Iteration, Scores: sub})
	}
	return out, nil
}

func parameterIndex(params []statstore.ParameterSet, id int) int {
	for i, p := range params {
		if p.ID == id {
			return i
		}
	}
	return -1
}

func contains(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// notIn reports a name that is not one of the run's.
func notIn(what, name, run string, have []string) error {
	where := "this run"
	if run != "" {
		where = "run " + strconv.Quote(run)
	}
	return &userError{
		msg:  fmt.Sprintf("%s %q not found in %s", what, name, where),
		hint: fmt.Sprintf("choose one of: %s", strings.Join(have, ", ")),
		code: exitUsage,
		err:  statstore.ErrNotFound,
	}
}

// completeMetadata completes flag values from the metadata of the run
// named by the first argument.
func completeMetadata(app *App, names func(statstore.Metadata) []string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) == 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		err := app.withStore(cmd.Context(), readOnly, func(s statstore.StatsStore) error {
			vs, err := s.RetrieveValidationScores(cmd.Context(), args[0])
			if err == nil {
				out = names(vs.Metadata)
			}
			return err
		})
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
