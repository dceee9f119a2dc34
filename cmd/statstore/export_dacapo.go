package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/dacapo"
)

func newExportDaCapoCmd(app *App) *cobra.Command {
	var runs []string
	var force bool
	cmd := &cobra.Command{
		Use:   "dacapo DST",
		Short: "Write runs as a DaCapo stats directory (pickle files)",
		Long: `Write the store's runs (all, or --run) as a directory that DaCapo's
FileStatsStore and Python's pickle.load read: DST/training_stats/<run> and
DST/validation_scores/<run>, lists of DaCapo's documents. A run without
validation scores gets no validation_scores file. The names of each run's
datasets, parameter sets and criteria, which DaCapo's pickles do not hold,
go to DST/` + dacapo.DescriptionFile + ` (entries of other runs are kept), so
statstore reads the export back with its names; DaCapo ignores that file.

DST may already hold other runs: they are left alone. A file of an
exported run that already exists with other contents, or that the export
would remove (the old validation scores of a run exported without any), is
not touched: the command fails, names the files and writes nothing. With
--force it replaces them, after copying each one to
DST/.backup/<UTC time>/training_stats/<run> (or validation_scores/<run>),
and prints where. DaCapo never reads DST/.backup. Files already holding
exactly what the export writes are left as they are. Every file is
replaced atomically. A directory of statstore's own files is refused.`,
		Example: `  statstore export dacapo /data/dacapo/stats --run demo_unet
  statstore export dacapo /data/dacapo/stats --run demo_unet --force`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			dst := args[0]
			return app.withStore(cmd.Context(), readOnly, func(s statstore.StatsStore) error {
				if len(runs) == 0 {
					var err error
					if runs, err = runNames(cmd.Context(), s); err != nil {
						return err
					}
				}
				bar := app.newProgress(len(runs), "exporting")
				defer bar.done()
				res, err := dacapo.ExportWith(cmd.Context(), s, dst, runs, dacapo.ExportOptions{Force: force, OnRun: bar.step})
				if res != nil && len(res.Replaced) > 0 {
					// Said even when a later file fails: these backups exist.
					fmt.Fprintf(app.Stdout, "replaced %d existing file(s); the old ones are in %s\n", len(res.Replaced), res.BackupDir)
					app.log().Warn("export dacapo replaced existing files after a backup", "dst", dst, "backup", res.BackupDir, "files", strings.Join(res.Replaced, ", "))
				}
				if errors.Is(err, dacapo.ErrExists) {
					return &userError{
						msg:  err.Error(),
						hint: fmt.Sprintf("export to an empty directory, or pass --force to replace them (each is first copied to %s/.backup/<UTC time>/)", dst),
						err:  err,
					}
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(app.Stdout, "exported %d run(s) to %s\n", res.Runs, dst)
				return nil
			})
		},
	}
	cmd.Flags().StringSliceVar(&runs, "run", nil, "only these runs (repeat or comma-separate)")
	cmd.Flags().BoolVar(&force, "force", false, "replace existing files of the exported runs, after a backup to DST/.backup/<UTC time>/")
	_ = cmd.RegisterFlagCompletionFunc("run", completeRuns(app, 0))
	return cmd
}
