package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
)

// deleteWhat is what statstore delete removes.
type deleteWhat int

const (
	deleteAll deleteWhat = iota
	deleteTraining
	deleteValidation
)

func newDeleteCmd(app *App) *cobra.Command {
	var training, validation, yes, dryRun bool
	cmd := &cobra.Command{
		Use:   "delete RUN",
		Short: "Delete a run, or only its training stats or validation scores",
		Long: `Delete everything stored for a run, or with --training only its training
stats, with --validation only its validation scores and their metadata.
Deletion is permanent.

On a terminal delete says what it will remove and asks first; --yes
deletes without asking, and is required when stdin is not a terminal
(a script). --dry-run says what would be deleted and deletes nothing.
delete says what it removed. A run the store does not list is an error
(exit status 1), with the names of runs that look alike.`,
		Example: `  statstore delete old_run
  statstore delete old_run --dry-run
  statstore delete my_run --validation --yes`,
		Args:              usageArgs(cobra.ExactArgs(1)),
		ValidArgsFunction: completeRuns(app, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			run := args[0]
			if err := statstore.ValidateRunName(run); err != nil {
				return err
			}
			what := deleteAll
			switch {
			case training && !validation:
				what = deleteTraining
			case validation && !training:
				what = deleteValidation
			}
			ctx := cmd.Context()
			return app.withStore(ctx, readWrite, func(s statstore.StatsStore) error {
				p, err := planDelete(ctx, s, run, what)
				if err != nil || p.nothing(app.Stdout) {
					return err
				}
				if dryRun {
					_, err := fmt.Fprintf(app.Stdout, "would delete %s (dry run: nothing deleted)\n", p.describe())
					return err
				}
				if !yes {
					ok, err := app.confirm(fmt.Sprintf("delete %s?", p.describe()))
					if err != nil || !ok {
						if err == nil {
							_, err = fmt.Fprintf(app.Stdout, "nothing deleted: run %s is kept\n", run)
						}
						return err
					}
				}
				return p.execute(ctx, s, app.Stdout, app.Stderr)
			})
		},
	}
	cmd.Flags().BoolVar(&training, "training", false, "delete only the training stats")
	cmd.Flags().BoolVar(&validation, "validation", false, "delete only the validation scores")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "delete without asking (required when stdin is not a terminal)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "say what would be deleted and delete nothing")
	return cmd
}

// confirm asks question on stderr and reads the answer from stdin: only
// y or yes (any case) is a yes. Without a terminal on stdin it asks
// nothing and returns an error that names --yes.
func (a *App) confirm(question string) (bool, error) {
	if !a.Interactive {
		return false, &userError{
			msg:  "delete asks before it deletes, and stdin is not a terminal to answer on: nothing deleted",
			hint: "pass --yes to delete without asking, or --dry-run to see what would be deleted",
			code: exitUsage,
			err:  statstore.ErrInvalidArgument,
		}
	}
	fmt.Fprintf(a.Stderr, "%s [y/N] ", question)
	line, err := bufio.NewReader(a.stdin()).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(a.Stderr)
		return false, nil // end of input: no
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// deletePlan is what a delete of one run will remove, read before it
// does.
type deletePlan struct {
	run  string
	what deleteWhat
	// before is what ListRuns said of the run; listErr why it could not
	// say (then both parts are deleted if asked for, unseen).
	before               statstore.RunInfo
	listErr              error
	training, validation bool
}

// planDelete reads what deleting what of run removes. A run the store does
// not list is an error wrapping statstore.ErrNotFound. When the runs cannot
// be listed (another run is damaged, say), the plan deletes what was asked
// for unseen.
func planDelete(ctx context.Context, s statstore.StatsStore, run string, what deleteWhat) (*deletePlan, error) {
	before, listed, err := runInfo(ctx, s, run)
	if err == nil && !listed {
		return nil, &userError{
			msg:  fmt.Sprintf("run %q is not in this store: nothing deleted", run),
			hint: "list the runs with statstore runs (and check --store)",
			err:  statstore.ErrNotFound,
		}
	}
	return &deletePlan{
		run: run, what: what, before: before, listErr: err,
		training:   what != deleteValidation && (err != nil || before.TrainingIterations > 0),
		validation: what != deleteTraining && (err != nil || before.ValidationIterations > 0),
	}, nil
}

// nothing reports, and says on stdout, that the plan removes nothing (the
// run has none of what was asked for).
func (p *deletePlan) nothing(stdout io.Writer) bool {
	if p.training || p.validation {
		return false
	}
	parts := map[deleteWhat]string{
		deleteAll:        "no training stats or validation scores",
		deleteTraining:   "no training stats",
		deleteValidation: "no validation scores",
	}
	fmt.Fprintf(stdout, "nothing to delete: run %s has %s\n", p.run, parts[p.what])
	return true
}

// parts names what the plan removes: "training stats and validation
// scores".
func (p *deletePlan) parts() string {
	var names []string
	if p.training {
		names = append(names, "training stats")
	}
	if p.validation {
		names = append(names, "validation scores")
	}
	return strings.Join(names, " and ")
}

// details says how much of each part there is: "5000 training iterations
// (trained until 5000), 10 validations (last validated checkpoint 5000)".
func (p *deletePlan) details() string {
	var out []string
	if p.training {
		out = append(out, fmt.Sprintf("%s (trained until %d)", plural(p.before.TrainingIterations, "training iteration", "training iterations"), p.before.TrainedUntil))
	}
	if p.validation {
		out = append(out, fmt.Sprintf("%s (last validated checkpoint %d)", plural(p.before.ValidationIterations, "validation", "validations"), p.before.ValidatedUntil-1))
	}
	return strings.Join(out, ", ")
}

// describe is the plan in one phrase: "the training stats of run r: 3
// training iterations (trained until 3)".
func (p *deletePlan) describe() string {
	if p.listErr != nil {
		return fmt.Sprintf("the %s of run %s (the runs could not be listed to count them: %v)", p.parts(), p.run, p.listErr)
	}
	if p.what == deleteAll {
		return fmt.Sprintf("run %s: %s", p.run, p.details())
	}
	return fmt.Sprintf("the %s of run %s: %s", p.parts(), p.run, p.details())
}

// deleteFromStore deletes what of run and reports on stdout what was
// removed, or that there was nothing to remove; a run the store does not
// list is an error. It asks nothing: the command asks before it calls it.
func deleteFromStore(ctx context.Context, s statstore.StatsStore, stdout, stderr io.Writer, run string, what deleteWhat) error {
	p, err := planDelete(ctx, s, run, what)
	if err != nil || p.nothing(stdout) {
		return err
	}
	return p.execute(ctx, s, stdout, stderr)
}

// execute deletes what the plan names and reports it on stdout. It checks
// afterwards that the data are gone: a delete the store acknowledged
// without doing is an error, never reported as done. When the run could
// not be listed, stderr says so.
func (p *deletePlan) execute(ctx context.Context, s statstore.StatsStore, stdout, stderr io.Writer) error {
	var err error
	switch p.what {
	case deleteAll:
		err = s.DeleteRun(ctx, p.run)
	case deleteTraining:
		err = s.DeleteTrainingStats(ctx, p.run)
	case deleteValidation:
		err = s.DeleteValidationScores(ctx, p.run)
	}
	if err != nil {
		return err
	}
	deleted := p.parts()
	after, _, afterErr := runInfo(ctx, s, p.run)
	if afterErr == nil && (p.training && after.TrainingIterations > 0 || p.validation && after.ValidationIterations > 0) {
		return fmt.Errorf("the store acknowledged deleting the %s of %s, but the run still has %s and %s",
			deleted, p.run, plural(after.TrainingIterations, "training entry", "training entries"),
			plural(after.ValidationIterations, "validation checkpoint", "validation checkpoints"))
	}
	if p.listErr != nil {
		fmt.Fprintf(stderr, "statstore: warning: could not list the runs to see what %s held: %v\n", p.run, p.listErr)
		_, err = fmt.Fprintf(stdout, "deleted the %s of %s\n", deleted, p.run)
	} else {
		_, err = fmt.Fprintf(stdout, "deleted the %s of %s: %s\n", deleted, p.run, p.details())
	}
	if afterErr != nil {
		fmt.Fprintf(stderr, "statstore: warning: could not list the runs to check that the %s of %s are gone: %v\n", deleted, p.run, afterErr)
	}
	return err
}

// runInfo returns what ListRuns says of run, and whether it lists it
// (zero counts when it does not).
func runInfo(ctx context.Context, s statstore.StatsStore, run string) (statstore.RunInfo, bool, error) {
	runs, err := s.ListRuns(ctx)
	if err != nil {
		return statstore.RunInfo{Run: run}, false, err
	}
	for _, r := range runs {
		if r.Run == run {
			return r, true, nil
		}
	}
	return statstore.RunInfo{Run: run}, false, nil
}

// plural formats n with the singular or plural noun.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
