package main

import (
	"github.com/spf13/cobra"
)

// newRootCmd builds the command tree of one invocation. Each subcommand
// lives in its own file and is added here with one line.
func newRootCmd(app *App) *cobra.Command {
	root := &cobra.Command{
		Use:   "statstore",
		Short: "Keep, query and plot the statistics of training runs",
		Long: `statstore keeps the loss of every training iteration and the validation
scores of every checkpoint, and answers which checkpoint and which
post-processing parameters are best.

The store is named by --store (or $STATSTORE; default ./stats):
  a directory            a statstore file store (created on first write)
  a DaCapo stats dir     read in place, read-only (convert: statstore import dacapo)
  postgres://... URL     a PostgreSQL database

Exit status: 0 success, 1 error, 2 usage error, 3 corrupt store data,
130 or 143 stopped by SIGINT (Ctrl+C) or SIGTERM. A command stops within
about a second of the first signal; a second signal exits at once.

New here? Run "statstore demo" and follow what it prints.`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return app.setup() },
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	app.global.register(root)

	root.AddCommand(newRunsCmd(app))
	root.AddCommand(newShowCmd(app))
	root.AddCommand(newBestCmd(app))
	root.AddCommand(newCompareCmd(app))
	root.AddCommand(newExportCmd(app))
	root.AddCommand(newPutCmd(app))
	root.AddCommand(newDeleteCmd(app))
	root.AddCommand(newFsckCmd(app))
	root.AddCommand(newRepairCmd(app))
	root.AddCommand(newPlotCmd(app))
	root.AddCommand(newDemoCmd(app))
	root.AddCommand(newImportCmd(app))
	root.AddCommand(newCopyCmd(app))
	root.AddCommand(newServeCmd(app))
	root.AddCommand(newBenchCmd(app))
	return root
}
