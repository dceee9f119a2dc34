package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/dacapo"
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
named dataset_0, parameters_0, criterion_0, ... with a warning.

SRC is only read. A run whose pickle cannot be read (an empty file, as
DaCapo leaves one when killed mid-dump, a truncated or damaged pickle, a
FIFO) is not imported: the others are, and the command then fails naming
each bad file (exit status 3).`,
		Example: `  statstore --store ./stats import dacapo /data/dacapo/stats \
      --preset binary_segmentation --datasets crop_a,crop_b --parameters threshold=0.3,0.5,0.7`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return app.importDaCapo(cmd.Context(), args[0], app.storeSpec(), runs, "imported")
		},
	}
	cmd.Flags().StringSliceVar(&runs, "run", nil, "only these runs (repeat or comma-separate; default all)")
	return cmd
}

// importDaCapo imports runs (all when none are named) of the DaCapo
// directory src into the --store store. Without named runs, the runs whose
// pickles cannot be read are left out, the others imported, and the error
// names each bad run and file.
// importDaCapo copies the runs of the DaCapo directory src (all readable
// ones when runs is empty) into the store dst; runs whose pickles cannot be
// read are reported after the others are copied, with exit status 3.
func (a *App) importDaCapo(ctx context.Context, src, dst string, runs []string, verb string) error {
	switch classify(src) {
	case kindDaCapo:
	case kindMixed:
		return mixedError(src)
	default:
		return &userError{
			msg:  fmt.Sprintf("%s is not a DaCapo stats directory (want training_stats/ and validation_scores/ holding pickle files)", src),
			hint: "point at the stats directory DaCapo wrote, e.g. <runs_base_dir>/stats",
			code: exitUsage,
		}
	}
	// Without named runs every run is copied but those whose pickles
	// cannot be read, which are named after the others are copied: each
	// pickle is decoded once, by the copy.
	var bad []*dacapo.RunError
	var collect *[]*dacapo.RunError
	if len(runs) == 0 {
		collect = &bad
	}
	doing := strings.TrimSuffix(verb, "ed") + "ing" // importing
	if verb == "copied" {
		doing = "copying"
	}
	n, err := a.copyRuns(ctx, src, dst, runs, doing, collect)
	if err != nil {
		return dacapoError(src, err)
	}
	fmt.Fprintf(a.Stdout, "%s %d run(s) from %s into %s\n", verb, n, src, redactURL(dst))
	if len(bad) == 0 {
		return nil
	}
	msgs := make([]string, len(bad))
	errs := make([]error, len(bad))
	for i, b := range bad {
		msgs[i] = b.Error()
		errs[i] = b
	}
	joined := errors.Join(errs...)
	hint := fmt.Sprintf("%s is left as it is (statstore never changes a DaCapo directory): re-create the bad pickles with DaCapo or move them out, then run again (runs already %s are kept)", src, verb)
	code := exitCorrupt
	if bh := budgetHint(joined); bh != "" {
		hint = bh + "; " + hint
		if !errors.Is(joined, statstore.ErrCorrupt) {
			code, hint = exitError, bh
		}
	}
	return &userError{
		msg:  fmt.Sprintf("%d run(s) of %s could not be read and were not %s:\n  %s", len(bad), src, verb, strings.Join(msgs, "\n  ")),
		hint: hint,
		code: code,
		err:  joined,
	}
}
