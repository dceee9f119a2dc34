package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
)

func newDeleteCmd(app *App) *cobra.Command {
	var training, validation bool
	cmd := &cobra.Command{
		Use:   "delete RUN",
		Short: "Delete a run, or only its training stats or validation scores",
		Long: `Delete everything stored for a run, or with --training only its training
stats, with --validation only its validation scores and their metadata.
Deleting a run that has nothing stored is not an error.`,
		Example: `  statstore delete old_run
  statstore delete my_run --validation`,
		Args:              usageArgs(cobra.ExactArgs(1)),
		ValidArgsFunction: completeRuns(app, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			run := args[0]
			if err := statstore.ValidateRunName(run); err != nil {
				return err
			}
			return app.withStore(cmd.Context(), readWrite, func(s statstore.StatsStore) error {
				ctx := cmd.Context()
				var err error
				what := "training stats and validation scores"
				switch {
				case training && validation:
					err = s.DeleteRun(ctx, run)
				case training:
					what = "training stats"
					err = s.DeleteTrainingStats(ctx, run)
				case validation:
					what = "validation scores"
					err = s.DeleteValidationScores(ctx, run)
				default:
					err = s.DeleteRun(ctx, run)
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(app.Stdout, "deleted the %s of %s\n", what, run)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&training, "training", false, "delete only the training stats")
	cmd.Flags().BoolVar(&validation, "validation", false, "delete only the validation scores")
	return cmd
}
