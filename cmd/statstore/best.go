package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
)

// bestFilter narrows a best report.
type bestFilter struct {
	criteria          []string
	dataset           string
	parameters        string
	overDatasets      bool
	includeSuperseded bool
}

func (f *bestFilter) register(cmd *cobra.Command) {
	cmd.Flags().StringSliceVar(&f.criteria, "criterion", nil, "only these criteria (repeat or comma-separate)")
	cmd.Flags().StringVar(&f.dataset, "dataset", "", "only this validation dataset")
	cmd.Flags().StringVar(&f.parameters, "parameter-set", "", "only this parameter set (display name, e.g. threshold_0.5)")
	registerIncludeSuperseded(cmd, &f.includeSuperseded)
}

// registerIncludeSuperseded adds --include-superseded to cmd.
func registerIncludeSuperseded(cmd *cobra.Command, include *bool) {
	cmd.Flags().BoolVar(include, "include-superseded", false,
		"also use validations of checkpoints whose weights a resumed training overwrote (left out by default)")
}

// supersededNote tells how many superseded validations were left out of
// what run's output shows (nothing when none).
func supersededNote(w io.Writer, run string, n int) {
	if n == 0 {
		return
	}
	fmt.Fprintf(w, "statstore: %s: left out %d superseded validation(s) (checkpoints after a training rewind, whose weights the resumed training overwrote); --include-superseded to use them\n", run, n)
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

Directions are never guessed: criteria of a DaCapo directory named by no
flag or description are inferred from their count only when it names one
DaCapo evaluator (said on stderr); otherwise best refuses (exit status 2)
and says how to name them (--preset, --meta, statstore dacapo describe).

JSON: a list of {dataset, mean_over_datasets, criterion, higher_is_better,
iteration, parameter_id, parameters, value}, one per dataset and criterion,
the shape GET /api/v1/runs/{run}/best answers (docs/api.md); parameters is
the parameter set's display name; iteration, parameter_id and parameters are
null and value is "NaN" when every value is NaN (a non-finite value is the
string "NaN", "Infinity" or "-Infinity"). --over-datasets adds the
mean-over-datasets lines (dataset null, mean_over_datasets true).`,
		Example: `  statstore best demo_unet
  statstore best demo_unet --criterion f1_score,voi --dataset crop_a
  statstore best demo_unet --parameter-set threshold_0.5 --json`,
		Args:              usageArgs(cobra.ExactArgs(1)),
		ValidArgsFunction: completeRuns(app, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return app.withStore(cmd.Context(), readOnly, func(s statstore.StatsStore) error {
				lines, meta, leftOut, err := bestReport(cmd.Context(), s, args[0], filter, app.Stderr)
				if err != nil {
					return err
				}
				supersededNote(app.Stderr, args[0], leftOut)
				if out.json {
					if !filter.overDatasets {
						lines = perDatasetOnly(lines)
					}
					return writeJSON(app.Stdout, lines)
				}
				t := newTable(app.Stdout, "DATASET", "CRITERION", "BETTER", "ITERATION", "PARAMETERS", "VALUE")
				for _, l := range lines {
					ds := l.Dataset
					if ds == "" {
						ds = "(mean over datasets)"
					}
					it, par, value := "-", "-", "-"
					if l.Found {
						it, par, value = strconv.Itoa(l.Iteration), parameterLabel(meta, l), num(l.Value)
					}
					t.row(ds, l.Criterion, lineDirection(l), it, par, value)
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
	withSelectOn(app, cmd, &filter, &out)
	return cmd
}

func direction(higher bool) string {
	return statstore.Criterion{HigherIsBetter: higher}.Direction()
}

// lineDirection is what the BETTER column says of a best report line:
// "higher", "lower" or, never claiming one it does not know, "unknown".
func lineDirection(l statstore.Best) string {
	return statstore.Criterion{HigherIsBetter: l.HigherIsBetter, DirectionUnknown: l.DirectionUnknown}.Direction()
}

// bestReport computes the filtered best report of a run; mean-over-datasets
// lines (Dataset "") come last, and are left out when a dataset is chosen.
// The result is never nil, so that it prints as a JSON list. Superseded
// validations are left out unless f.includeSuperseded; leftOut says how
// many were. Criteria of unknown direction are refused (exit status 2,
// naming --preset and --meta); criteria a DaCapo directory inferred from
// their count are noted on notes.
func bestReport(ctx context.Context, s statstore.StatsStore, run string, f bestFilter, notes io.Writer) (_ []statstore.Best, _ statstore.Metadata, leftOut int, _ error) {
	vs, err := retrieveValidation(ctx, s, run)
	if err != nil {
		return nil, statstore.Metadata{}, 0, err
	}
	if f.parameters != "" {
		if vs, err = onlyParameters(vs, f.parameters); err != nil {
			return nil, statstore.Metadata{}, 0, err
		}
	}
	if f.dataset != "" && !slices.Contains(vs.Datasets, f.dataset) {
		return nil, statstore.Metadata{}, 0, notIn("dataset", f.dataset, run, vs.Datasets)
	}
	keep := map[string]bool{}
	for _, c := range f.criteria {
		if _, ok := vs.Criterion(c); !ok {
			return nil, statstore.Metadata{}, 0, notIn("criterion", c, run, vs.Criteria())
		}
		keep[c] = true
	}
	if err := vs.CheckDirections(f.criteria...); err != nil {
		return nil, statstore.Metadata{}, 0, unknownDirectionError(s, run, vs.Metadata, err)
	}
	inferredNote(notes, run, inferredPreset(s, run, len(vs.EvaluationScores)), len(vs.EvaluationScores))
	rep := vs.BestReportIncluding(f.includeSuperseded)
	all := rep.PerDataset
	if f.dataset == "" {
		all = append(all, rep.OverDatasets...)
	}
	lines := []statstore.Best{}
	for _, b := range all {
		if (len(keep) == 0 || keep[b.Criterion]) && (f.dataset == "" || b.Dataset == f.dataset) {
			lines = append(lines, b)
		}
	}
	return lines, vs.Metadata, rep.Superseded, nil
}

// maxParameterLabel is the width of a table's parameter column: a longer
// display name (a class repr) is shown as its values (ParameterSet.Label).
const maxParameterLabel = 32

// parameterLabel is the parameter set of a best line as a table shows it.
func parameterLabel(meta statstore.Metadata, l statstore.Best) string {
	for _, p := range meta.Parameters {
		if p.ID == l.ParameterID {
			return p.Label(maxParameterLabel)
		}
	}
	return l.Parameters
}

// perDatasetOnly leaves out the mean-over-datasets lines.
func perDatasetOnly(lines []statstore.Best) []statstore.Best {
	out := make([]statstore.Best, 0, len(lines))
	for _, l := range lines {
		if l.Dataset != "" {
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
