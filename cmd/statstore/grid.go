package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
)

func newGridCmd(app *App) *cobra.Command {
	var (
		dataset, criterion string
		opts               statstore.GridOptions
		out                outputFlags
	)
	cmd := &cobra.Command{
		Use:   "grid RUN",
		Short: "Show a run's checkpoint × parameter-set grid and how sensitive the choice is",
		Long: `For one run, dataset and criterion, print every validated checkpoint's
value for every post-processing parameter set (the row's best marked *),
and three numbers that say how much the choice of parameters matters:

  stability  how often the best parameter set changes from one checkpoint
             to the next
  regret     what fixing the parameter set that is best on average costs
             at each checkpoint against that checkpoint's best
  width      how many parameter sets lie within epsilon of the best

Columns are labelled by the parameter value that varies across the sets
(e.g. threshold=0.5) when one does. --dataset may be left out when the run
has one dataset, --criterion when it has one criterion. Superseded
validations are left out unless --include-superseded.`,
		Example: `  statstore grid my_run --dataset crop_a --criterion f1_score
  statstore grid my_run --criterion voi --epsilon 0.005 --json`,
		Args:              usageArgs(cobra.ExactArgs(1)),
		ValidArgsFunction: completeRuns(app, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return app.withStore(cmd.Context(), readOnly, func(s statstore.StatsStore) error {
				vs, err := retrieveValidation(cmd.Context(), s, args[0])
				if err != nil {
					return err
				}
				d, err := onlyOrFlag("dataset", dataset, args[0], vs.Datasets)
				if err != nil {
					return err
				}
				c, err := onlyOrFlag("criterion", criterion, args[0], vs.Criteria())
				if err != nil {
					return err
				}
				g, err := vs.Grid(d, c, opts)
				if err != nil {
					return err
				}
				supersededNote(app.Stderr, args[0], g.Superseded)
				if out.json {
					return writeJSON(app.Stdout, g)
				}
				return printGrid(app.Stdout, args[0], g)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&dataset, "dataset", "", "the dataset (may be left out when the run has one)")
	f.StringVar(&criterion, "criterion", "", "the criterion (may be left out when the run has one)")
	f.Float64Var(&opts.Epsilon, "epsilon", 0, "distance to the best within which a parameter set counts toward width (0: 1% of the criterion's range)")
	f.BoolVar(&opts.IncludeSuperseded, "include-superseded", false, "count superseded validations as current")
	_ = cmd.RegisterFlagCompletionFunc("dataset", completeMetadata(app, func(m statstore.Metadata) []string { return m.Datasets }))
	_ = cmd.RegisterFlagCompletionFunc("criterion", completeMetadata(app, func(m statstore.Metadata) []string { return m.Criteria() }))
	out.register(cmd)
	return cmd
}

// onlyOrFlag returns the flag's value when it names one of have, the only
// one of have when the flag is empty, else an error listing the choices.
func onlyOrFlag(what, value, run string, have []string) (string, error) {
	if value == "" {
		if len(have) == 1 {
			return have[0], nil
		}
		return "", &userError{
			msg:  fmt.Sprintf("run %q has %d %ss: name one with --%s", run, len(have), what, what),
			hint: fmt.Sprintf("choose one of: %s", strings.Join(have, ", ")),
			code: exitUsage,
			err:  statstore.ErrInvalidArgument,
		}
	}
	for _, h := range have {
		if h == value {
			return value, nil
		}
	}
	return "", notIn(what, value, run, have)
}

// gridColumn is the label of parameter set p's column.
func gridColumn(g statstore.Grid, p int) string {
	if g.Axis != "" {
		return fmt.Sprintf("%s=%v", g.Axis, g.AxisValues[p])
	}
	return "#" + strconv.Itoa(g.Parameters[p].ID)
}

func printGrid(w io.Writer, run string, g statstore.Grid) error {
	dir := "lower is better"
	if g.HigherIsBetter {
		dir = "higher is better"
	}
	fmt.Fprintf(w, "run %s · dataset %s · %s (%s); * marks each checkpoint's best\n", run, g.Dataset, g.Criterion, dir)
	head := []string{"ITERATION"}
	for p := range g.Parameters {
		head = append(head, gridColumn(g, p))
	}
	t := newTable(w, append(head, "WIDTH", "REGRET")...)
	for i, it := range g.Iterations {
		row := []string{strconv.Itoa(it)}
		for p, x := range g.Values[i] {
			cell := num(x)
			if p == g.Best[i] {
				cell += "*"
			}
			row = append(row, cell)
		}
		t.row(append(row, strconv.Itoa(g.Width[i]), num(g.Regret[i]))...)
	}
	if err := t.flush(); err != nil {
		return err
	}
	if g.Axis == "" {
		for p, ps := range g.Parameters {
			fmt.Fprintf(w, "  %s = %s\n", gridColumn(g, p), ps.DisplayName())
		}
	}
	if len(g.Iterations) == 0 {
		_, err := fmt.Fprintln(w, "no validated checkpoint to judge the parameters by")
		return err
	}
	if g.Steps > 0 {
		fmt.Fprintf(w, "stability: the best parameter set changed %d times in %d steps (%.0f%%)\n", g.BestChanges, g.Steps, 100*g.BestChangeRate)
	} else {
		fmt.Fprintln(w, "stability: fewer than two checkpoints with a best, nothing to compare")
	}
	if g.Fixed >= 0 {
		fmt.Fprintf(w, "regret of fixing %s (best on average): max %s, mean %s\n", gridColumn(g, g.Fixed), num(g.MaxRegret), num(g.MeanRegret))
	}
	_, err := fmt.Fprintf(w, "width: parameter sets within ε=%s of each checkpoint's best (WIDTH column, of %d)\n", num(g.Epsilon), len(g.Parameters))
	return err
}
