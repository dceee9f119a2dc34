package main

import (
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
	var training, validation, permanent, yes, dryRun bool
	cmd := &cobra.Command{
		Use:   "delete RUN...",
		Short: "Move runs to the trash, or delete them (or a part of them) for good",
		Long: `Move runs to the store's trash, as MLflow does: a trashed run is gone
from every listing, report and plot, and its name is free for a new run,
until statstore trash restore ID brings it back or statstore trash purge
deletes it for good (after 30 days by default). delete says where each
run went and the command that restores it.

--permanent deletes the runs for good instead. --training deletes only
a run's training stats, --validation only its validation scores and their
metadata; both are permanent.

On a terminal delete says what it will do and asks first; --yes goes
ahead without asking, and is required when stdin is not a terminal (a
script). --dry-run says what would be done and does nothing. A run the
store does not list is an error (exit status 1) and nothing is deleted,
with the names of runs that look alike. A DaCapo directory is never
written: import it first.`,
		Example: `  statstore delete old_run
  statstore delete old_run other_run --dry-run
  statstore delete old_run --permanent --yes
  statstore delete my_run --validation --yes
  statstore trash list`,
		Args:              usageArgs(cobra.MinimumNArgs(1)),
		ValidArgsFunction: completeRuns(app, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, run := range args {
				if err := statstore.ValidateRunName(run); err != nil {
					return err
				}
			}
			what := deleteAll
			switch {
			case training && !validation:
				what = deleteTraining
			case validation && !training:
				what = deleteValidation
			}
			soft := what == deleteAll && !permanent
			ctx := cmd.Context()
			return app.withStore(ctx, readWrite, func(s statstore.StatsStore) error {
				var tr statstore.Trasher
				if soft {
					var ok bool
					if tr, ok = s.(statstore.Trasher); !ok {
						return &userError{
							msg:  fmt.Sprintf("this store (%T) keeps no trash: nothing deleted", s),
							hint: "delete for good with statstore delete --permanent",
							err:  statstore.ErrInvalidArgument,
						}
					}
				}
				var plans []*deletePlan
				for _, run := range args {
					p, err := planDelete(ctx, s, run, what)
					if err != nil {
						return err
					}
					p.trash = soft
					if !p.nothing(app.Stdout) {
						plans = append(plans, p)
					}
				}
				if len(plans) == 0 {
					return nil
				}
				if dryRun {
					for _, p := range plans {
						if _, err := fmt.Fprintf(app.Stdout, "would %s (dry run: nothing deleted)\n", p.action()); err != nil {
							return err
						}
					}
					return nil
				}
				if !yes {
					actions := make([]string, len(plans))
					for i, p := range plans {
						actions[i] = p.action()
					}
					ok, err := app.confirm(strings.Join(actions, "; ") + "?")
					if err != nil || !ok {
						if err == nil {
							_, err = fmt.Fprintf(app.Stdout, "nothing deleted: %s kept\n", runList(args))
						}
						return err
					}
				}
				for _, p := range plans {
					if err := p.execute(ctx, s, tr, app.Stdout, app.Stderr); err != nil {
						return err
					}
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&training, "training", false, "delete only the training stats (for good)")
	cmd.Flags().BoolVar(&validation, "validation", false, "delete only the validation scores (for good)")
	cmd.Flags().BoolVar(&permanent, "permanent", false, "delete for good instead of moving to the trash")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "go ahead without asking (required when stdin is not a terminal)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "say what would be deleted and delete nothing")
	return cmd
}

// runList names runs for a message: "run r is" or "runs a, b are".
func runList(runs []string) string {
	if len(runs) == 1 {
		return "run " + runs[0] + " is"
	}
	return "runs " + strings.Join(runs, ", ") + " are"
}

// confirm asks question on stderr and reads the answer from stdin: only
// y or yes (any case) is a yes. Without a terminal on stdin it asks
// nothing and returns an error that names --yes.
func (a *App) confirm(question string) (bool, error) {
	return a.confirmAction(question,
		"delete asks before it deletes, and stdin is not a terminal to answer on: nothing deleted",
		"pass --yes to delete without asking, or --dry-run to see what would be deleted")
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
	// trash moves the whole run to the store's trash instead.
	trash bool
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

// action is what the plan does, in one phrase for a question or a dry
// run: "move run r to the trash (3 training iterations (trained until
// 3))", "permanently delete the training stats of run r: ...".
func (p *deletePlan) action() string {
	switch {
	case p.trash && p.listErr != nil:
		return fmt.Sprintf("move run %s to the trash (the runs could not be listed to count what it holds: %v)", p.run, p.listErr)
	case p.trash:
		return fmt.Sprintf("move run %s to the trash (%s)", p.run, p.details())
	}
	return "permanently delete " + p.describe()
}

// deleteFromStore deletes what of run and reports on stdout what was
// removed, or that there was nothing to remove; a run the store does not
// list is an error. It asks nothing: the command asks before it calls it.
func deleteFromStore(ctx context.Context, s statstore.StatsStore, stdout, stderr io.Writer, run string, what deleteWhat) error {
	p, err := planDelete(ctx, s, run, what)
	if err != nil || p.nothing(stdout) {
		return err
	}
	return p.execute(ctx, s, nil, stdout, stderr)
}

// execute deletes what the plan names (moves the run to tr's trash, when
// the plan trashes) and reports it on stdout. It checks afterwards that
// the data are gone: a delete the store acknowledged without doing is an
// error, never reported as done. When the run could not be listed, stderr
// says so.
func (p *deletePlan) execute(ctx context.Context, s statstore.StatsStore, tr statstore.Trasher, stdout, stderr io.Writer) error {
	var err error
	var entry statstore.TrashEntry
	switch {
	case p.trash:
		entry, err = tr.TrashRun(ctx, p.run)
	case p.what == deleteAll:
		err = s.DeleteRun(ctx, p.run)
	case p.what == deleteTraining:
		err = s.DeleteTrainingStats(ctx, p.run)
	case p.what == deleteValidation:
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
	done := fmt.Sprintf("deleted the %s of %s", deleted, p.run)
	if p.trash {
		done = fmt.Sprintf("moved run %s to the trash (id %s)", p.run, entry.ID)
	}
	if p.listErr != nil {
		fmt.Fprintf(stderr, "statstore: warning: could not list the runs to see what %s held: %v\n", p.run, p.listErr)
		_, err = fmt.Fprintln(stdout, done)
	} else {
		_, err = fmt.Fprintf(stdout, "%s: %s\n", done, p.details())
	}
	if p.trash && err == nil {
		_, err = fmt.Fprintf(stdout, "  restore it with: statstore trash restore %s\n", entry.ID)
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
