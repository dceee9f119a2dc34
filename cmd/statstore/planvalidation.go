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
	"github.com/statstore/statstore/dacapo"
)

func newPlanValidationCmd(app *App) *cobra.Command {
	var (
		opts    statstore.ProposalOptions
		weights string
		every   int
		out     outputFlags
	)
	cmd := &cobra.Command{
		Use:   "plan-validation RUN",
		Short: "Propose which checkpoints to validate next and which parameter values to drop",
		Long: `Validation is DaCapo's bottleneck: hours per checkpoint over a grid of
post-processing parameters. plan-validation proposes which existing but
unvalidated checkpoints to validate next, within --budget, coarse to fine
around the current best (the checkpoint most often best over the
dataset × criterion lines that count), and which parameter sets and values
can be dropped from the grid: those never within --epsilon of a
checkpoint's best, on any dataset × criterion that counts (store_best
ones, or every one with --all-criteria), over the last --recent
validations. Every proposal says why.

The candidate checkpoints are the weights files with --weights DIR
(DaCapo's runs_base_dir), else every --every N iterations up to the end of
training (default: the spacing of the validated checkpoints). Superseded
validations count as not validated.`,
		Example: `  statstore plan-validation my_run --weights /data/dacapo/runs --budget 4
  statstore plan-validation my_run --every 1000 --recent 3 --json`,
		Args:              usageArgs(cobra.ExactArgs(1)),
		ValidArgsFunction: completeRuns(app, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if weights != "" && every > 0 {
				return usageError{fmt.Errorf("--weights and --every both name the candidate checkpoints: give one")}
			}
			ctx := cmd.Context()
			return app.withStore(ctx, readOnly, func(s statstore.StatsStore) error {
				run := args[0]
				vs, err := retrieveValidation(ctx, s, run)
				if err != nil {
					return withRunSuggestions(ctx, s, err, args)
				}
				cands, how, err := candidateCheckpoints(ctx, s, run, vs, weights, every)
				if err != nil {
					return err
				}
				p, err := statstore.ProposeValidations(vs, cands, opts)
				if err != nil {
					return err
				}
				if out.json {
					return writeJSON(app.Stdout, p)
				}
				return printProposal(app.Stdout, run, how, p)
			})
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.Budget, "budget", 3, "how many checkpoints to propose")
	f.IntVar(&opts.Recent, "recent", 5, "judge parameter sets over the last K validations")
	f.Float64Var(&opts.Epsilon, "epsilon", 0, "distance to a checkpoint's best within which a parameter set is worth keeping (0: 1% of each criterion's range)")
	f.BoolVar(&opts.AllCriteria, "all-criteria", false, "judge by every criterion, not only those whose store_best is set")
	f.StringVar(&weights, "weights", "", "DaCapo weights directory (runs_base_dir): its checkpoints are the candidates")
	f.IntVar(&every, "every", 0, "candidates every N iterations up to the end of training (default: the validated checkpoints' spacing)")
	_ = cmd.MarkFlagDirname("weights")
	out.register(cmd)
	return cmd
}

// candidateCheckpoints returns the checkpoints that may be validated, and
// a phrase saying where they come from.
func candidateCheckpoints(ctx context.Context, s statstore.StatsStore, run string, vs *statstore.ValidationScores, weights string, every int) ([]int, string, error) {
	if weights != "" {
		cps, _, err := dacapo.ReadCheckpoints(weights, run)
		if err != nil {
			return nil, "", err
		}
		out := make([]int, len(cps))
		for i, c := range cps {
			out[i] = c.Iteration
		}
		return out, fmt.Sprintf("%d weights files in %s", len(out), dacapo.WeightsDir(weights, run)), nil
	}
	info, _, err := statstore.FindRun(ctx, s, run)
	if err != nil {
		return nil, "", err
	}
	out, spacing, err := statstore.CheckpointsEvery(vs, info.TrainedUntil, every)
	if err != nil {
		return nil, "", &userError{msg: err.Error(), hint: "name the candidates with --every N or --weights DIR", code: exitUsage, err: err}
	}
	how := fmt.Sprintf("every %d iterations", spacing)
	if every == 0 {
		how += " (the validated checkpoints' spacing; --every sets it)"
	}
	if len(out) > 0 {
		how += fmt.Sprintf(" up to %d", out[len(out)-1])
	}
	return out, how, nil
}

func printProposal(w io.Writer, run, how string, p statstore.ValidationProposal) error {
	fmt.Fprintf(w, "run %s: candidates %s\n", run, how)
	if p.Best >= 0 {
		fmt.Fprintf(w, "current best checkpoint: %d (by %s)\n", p.Best, strings.Join(p.Criteria, ", "))
	}
	if len(p.Checkpoints) == 0 {
		fmt.Fprintln(w, "validate next: nothing, every candidate is validated")
	} else {
		fmt.Fprintln(w, "validate next:")
		t := newTable(w, "  ITERATION", "WHY")
		for _, c := range p.Checkpoints {
			t.row("  "+strconv.Itoa(c.Iteration), c.Reason)
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	judged := make([]string, len(p.Judged))
	for i, it := range p.Judged {
		judged[i] = strconv.Itoa(it)
	}
	fmt.Fprintf(w, "parameter sets, judged over checkpoints %s:\n", orNone(strings.Join(judged, ", ")))
	t := newTable(w, "  PARAMETERS", "DECISION", "WHY")
	for _, j := range p.Parameters {
		d := "keep"
		if j.Droppable {
			d = "can drop"
		}
		t.row("  "+j.Parameters, d, j.Reason)
	}
	if err := t.flush(); err != nil {
		return err
	}
	var drop []string
	for _, v := range p.Values {
		if v.Droppable {
			drop = append(drop, fmt.Sprintf("%s=%v", v.Name, v.Value))
		}
	}
	slices.Sort(drop)
	_, err := fmt.Fprintf(w, "parameter values the grid can drop: %s\n", orNone(strings.Join(drop, ", ")))
	return err
}
