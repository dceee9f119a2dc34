package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newImportCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Convert data written by other tools into the store",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageError{fmt.Errorf("import needs a source kind: statstore import dacapo SRC")}
		},
	}
	cmd.AddCommand(newImportDaCapoCmd(app))
	return cmd
}

func newImportDaCapoCmd(app *App) *cobra.Command {
	var runs []string
	cmd := &cobra.Command{
		Use:   "dacapo SRC",
		Short: "Convert a DaCapo stats directory (pickle files) into the store",
		Long: `Convert the runs of a directory written by DaCapo's FileStatsStore (SRC,
holding training_stats/ and validation_scores/) into the store named by
--store. DaCapo stores no names for the score axes: give them with
--preset, --datasets and --parameters, or --meta FILE; otherwise they are
named dataset_0, parameters_0, criterion_0, ... with a warning.`,
		Example: `  statstore --store ./stats import dacapo /data/dacapo/stats \
      --preset binary_segmentation --datasets crop_a,crop_b --parameters threshold=0.3,0.5,0.7`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			src := args[0]
			if classify(src) != kindDaCapo {
				return &userError{
					msg:  fmt.Sprintf("%s is not a DaCapo stats directory (want training_stats/ and validation_scores/ holding pickle files)", src),
					hint: "point at the stats directory DaCapo wrote, e.g. <runs_base_dir>/stats",
					code: exitUsage,
				}
			}
			dst := app.storeSpec()
			n, err := app.copyRuns(cmd.Context(), src, dst, runs, "importing")
			if err != nil {
				return err
			}
			fmt.Fprintf(app.Stdout, "imported %d run(s) from %s into %s\n", n, src, redactURL(dst))
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&runs, "run", nil, "only these runs (repeat or comma-separate; default all)")
	return cmd
}
