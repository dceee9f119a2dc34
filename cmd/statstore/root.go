package main

import (
	"fmt"
	"strings"

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
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if takesRuns(cmd) {
				app.runArgs = args
			}
			return app.setup(cmd)
		},
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageError{flagValueError(cmd, err)} })
	root.SetVersionTemplate("statstore {{.Version}}\n")
	app.global.register(root)

	root.AddCommand(newRunsCmd(app))
	root.AddCommand(newLeaderboardCmd(app))
	root.AddCommand(newShowCmd(app))
	root.AddCommand(newBestCmd(app))
	root.AddCommand(newCompareCmd(app))
	root.AddCommand(newExportCmd(app))
	root.AddCommand(newPutCmd(app))
	root.AddCommand(newDeleteCmd(app))
	root.AddCommand(newKeepCmd(app))
	root.AddCommand(newGridCmd(app))
	root.AddCommand(newPlanValidationCmd(app))
	root.AddCommand(newCheckCmd(app))
	root.AddCommand(newTrashCmd(app))
	root.AddCommand(newTagCmd(app))
	root.AddCommand(newConfigCmd(app))
	root.AddCommand(newDiffCmd(app))
	root.AddCommand(newFsckCmd(app))
	root.AddCommand(newRepairCmd(app))
	root.AddCommand(newPlotCmd(app))
	root.AddCommand(newDemoCmd(app))
	root.AddCommand(newImportCmd(app))
	root.AddCommand(newDaCapoCmd(app))
	root.AddCommand(newCopyCmd(app))
	root.AddCommand(newServeCmd(app))
	root.AddCommand(newSyncCmd(app))
	root.AddCommand(newBenchCmd(app))
	showDaCapoFlags(root)
	return root
}

// flagValueError rewords pflag's error for a value that does not parse,
// which names Go functions (invalid argument "abc" for "--iterations"
// flag: strconv.ParseInt: parsing "abc": invalid syntax), into what was
// expected.
func flagValueError(cmd *cobra.Command, err error) error {
	rest, ok := strings.CutPrefix(err.Error(), `invalid argument "`)
	if !ok {
		return err
	}
	i := strings.LastIndex(rest, `" for "`)
	if i < 0 {
		return err
	}
	value := rest[:i]
	flag, _, ok := strings.Cut(rest[i+len(`" for "`):], `" flag: `)
	if !ok {
		return err
	}
	if _, long, ok := strings.Cut(flag, ", "); ok {
		flag = long // "-n, --name"
	}
	name := strings.TrimPrefix(flag, "--")
	f := cmd.Flags().Lookup(name)
	if f == nil {
		return err
	}
	var want string
	switch typ := f.Value.Type(); {
	case typ == "bool":
		want = "true or false"
	case strings.HasPrefix(typ, "int"), strings.HasPrefix(typ, "uint"):
		want = "an integer"
	case strings.HasPrefix(typ, "float"):
		want = "a number"
	case typ == "duration":
		want = "a duration such as 30s, 5m or 1h30m"
	default:
		return err
	}
	return fmt.Errorf("invalid value %q for --%s: want %s", value, name, want)
}

// takesRuns reports whether cmd's arguments are run names (its usage line
// names RUN arguments).
func takesRuns(cmd *cobra.Command) bool {
	return strings.Contains(cmd.Use, " RUN")
}
