package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
)

func newCopyCmd(app *App) *cobra.Command {
	var from, to string
	var runs []string
	cmd := &cobra.Command{
		Use:   "copy --to STORE [--from STORE] [--run RUN]",
		Short: "Copy runs between any two stores (file store, PostgreSQL, DaCapo directory as source)",
		Long: `Copy runs, training stats and validation scores with their metadata, from
one store to another: a file store, a PostgreSQL URL, or (as the source
only) a DaCapo directory read with the metadata flags. --from defaults to
--store. Each run is written with the stores' extend-or-overwrite rules.`,
		Example: `  statstore copy --from ./stats --to postgres://user@db/stats
  statstore copy --from ./stats --to /backup/stats --run demo_unet`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" {
				from = app.storeSpec()
			}
			if from == to {
				return usageError{fmt.Errorf("--from and --to are both %s: copy needs two different stores", from)}
			}
			if classify(from) == kindDaCapo {
				// Bad pickles are reported (exit 3), not skipped silently.
				return app.importDaCapo(cmd.Context(), from, to, runs, "copied")
			}
			n, err := app.copyRuns(cmd.Context(), from, to, runs, "copying")
			if err != nil {
				return err
			}
			fmt.Fprintf(app.Stdout, "copied %d run(s) from %s to %s\n", n, redactURL(from), redactURL(to))
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "source store (default: --store)")
	cmd.Flags().StringVar(&to, "to", "", "destination store (required)")
	cmd.Flags().StringSliceVar(&runs, "run", nil, "only these runs (repeat or comma-separate; default all)")
	_ = cmd.MarkFlagRequired("to")
	_ = cmd.MarkFlagDirname("from")
	_ = cmd.MarkFlagDirname("to")
	return cmd
}

// copyRuns copies runs (all when none are named) from one store to another
// with statstore.CopyRun, showing progress, and returns how many it copied.
func (a *App) copyRuns(ctx context.Context, fromSpec, toSpec string, runs []string, verb string) (n int, err error) {
	src, err := a.openStore(ctx, fromSpec, readOnly)
	if err != nil {
		return 0, err
	}
	defer func() {
		if cerr := src.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close %s: %w", redactURL(fromSpec), cerr)
		}
	}()
	if len(runs) == 0 {
		infos, err := src.ListRuns(ctx)
		if err != nil {
			return 0, err
		}
		for _, i := range infos {
			runs = append(runs, i.Run)
		}
	} else {
		for _, r := range runs {
			if err := statstore.ValidateRunName(r); err != nil {
				return 0, err
			}
		}
	}
	dst, err := a.openStore(ctx, toSpec, readWrite)
	if err != nil {
		return 0, err
	}
	defer func() {
		if cerr := dst.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close %s: %w", redactURL(toSpec), cerr)
		}
	}()
	bar := a.newProgress(len(runs), verb)
	defer bar.done()
	for _, run := range runs {
		bar.step(run)
		if err := statstore.CopyRun(ctx, src, dst, run); err != nil {
			return n, fmt.Errorf("%s run %q: %w", verb, run, err)
		}
		a.log().Info("copied run", "run", run, "from", redactURL(fromSpec), "to", redactURL(toSpec))
		n++
	}
	return n, nil
}
