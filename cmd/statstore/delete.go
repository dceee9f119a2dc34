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
	var training, validation bool
	cmd := &cobra.Command{
		Use:   "delete RUN",
		Short: "Delete a run, or only its training stats or validation scores",
		Long: `Delete everything stored for a run, or with --training only its training
stats, with --validation only its validation scores and their metadata.
delete says what it removed. Deleting a run that has nothing stored is not
an error: delete says there was nothing to delete.`,
		Example: `  statstore delete old_run
  statstore delete my_run --validation`,
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
			return app.withStore(cmd.Context(), readWrite, func(s statstore.StatsStore) error {
				return deleteFromStore(cmd.Context(), s, app.Stdout, app.Stderr, run, what)
			})
		},
	}
	cmd.Flags().BoolVar(&training, "training", false, "delete only the training stats")
	cmd.Flags().BoolVar(&validation, "validation", false, "delete only the validation scores")
	return cmd
}

// deleteFromStore deletes what of run and reports on stdout what was
// removed, or that there was nothing to remove. It checks afterwards that
// the data are gone: a delete the store acknowledged without doing is an
// error, never reported as done. When the run cannot be listed (another
// run is damaged, say), the delete still happens and stderr says what
// could not be read.
func deleteFromStore(ctx context.Context, s statstore.StatsStore, stdout, stderr io.Writer, run string, what deleteWhat) error {
	before, beforeErr := runInfo(ctx, s, run)
	training := what != deleteValidation && (beforeErr != nil || before.TrainingIterations > 0)
	validation := what != deleteTraining && (beforeErr != nil || before.ValidationIterations > 0)
	if !training && !validation {
		parts := map[deleteWhat]string{
			deleteAll:        "no training stats or validation scores",
			deleteTraining:   "no training stats",
			deleteValidation: "no validation scores",
		}
		_, err := fmt.Fprintf(stdout, "nothing to delete: run %s has %s\n", run, parts[what])
		return err
	}
	var err error
	switch what {
	case deleteAll:
		err = s.DeleteRun(ctx, run)
	case deleteTraining:
		err = s.DeleteTrainingStats(ctx, run)
	case deleteValidation:
		err = s.DeleteValidationScores(ctx, run)
	}
	if err != nil {
		return err
	}
	var names, details []string
	if training {
		names = append(names, "training stats")
		details = append(details, fmt.Sprintf("%s (trained until %d)", plural(before.TrainingIterations, "entry", "entries"), before.TrainedUntil))
	}
	if validation {
		names = append(names, "validation scores")
		details = append(details, fmt.Sprintf("%s (validated until %d)", plural(before.ValidationIterations, "checkpoint", "checkpoints"), before.ValidatedUntil))
	}
	deleted := strings.Join(names, " and ")
	after, afterErr := runInfo(ctx, s, run)
	if afterErr == nil && (training && after.TrainingIterations > 0 || validation && after.ValidationIterations > 0) {
		return fmt.Errorf("the store acknowledged deleting the %s of %s, but the run still has %s and %s",
			deleted, run, plural(after.TrainingIterations, "training entry", "training entries"),
			plural(after.ValidationIterations, "validation checkpoint", "validation checkpoints"))
	}
	if beforeErr != nil {
		fmt.Fprintf(stderr, "statstore: warning: could not list the runs to see what %s held: %v\n", run, beforeErr)
		_, err = fmt.Fprintf(stdout, "deleted the %s of %s\n", deleted, run)
	} else {
		_, err = fmt.Fprintf(stdout, "deleted the %s of %s: %s\n", deleted, run, strings.Join(details, ", "))
	}
	if afterErr != nil {
		fmt.Fprintf(stderr, "statstore: warning: could not list the runs to check that the %s of %s are gone: %v\n", deleted, run, afterErr)
	}
	return err
}

// runInfo returns what ListRuns says of run (zero counts when it is not
// listed).
func runInfo(ctx context.Context, s statstore.StatsStore, run string) (statstore.RunInfo, error) {
	runs, err := s.ListRuns(ctx)
	if err != nil {
		return statstore.RunInfo{}, err
	}
	for _, r := range runs {
		if r.Run == run {
			return r, nil
		}
	}
	return statstore.RunInfo{Run: run}, nil
}

// plural formats n with the singular or plural noun.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
