package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/dacapo"
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
			n, err := app.copyRuns(cmd.Context(), from, to, runs, "copying", nil)
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
// From a DaCapo directory the runs are listed without being read, so each
// pickle is decoded once, by the copy, and the bar counts bytes; with bad
// non-nil, a run whose pickles cannot be read (damaged, or over the memory
// budget) is not copied but added to *bad, and the others are copied.
func (a *App) copyRuns(ctx context.Context, fromSpec, toSpec string, runs []string, verb string, bad *[]*dacapo.RunError) (n int, err error) {
	src, err := a.openStore(ctx, fromSpec, readOnly)
	if err != nil {
		return 0, err
	}
	defer func() {
		if cerr := src.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close %s: %w", redactURL(fromSpec), cerr)
		}
	}()
	ds, fromDaCapo := src.(*dacapo.Store)
	if len(runs) == 0 {
		if runs, err = runNames(ctx, src); err != nil {
			return 0, err
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
	var bar *progress
	if fromDaCapo {
		bar = a.newBytesProgress(pickleBytes(ds.Dir(), runs), verb)
	} else {
		bar = a.newProgress(len(runs), verb)
	}
	defer bar.done()
	for _, run := range runs {
		if !fromDaCapo {
			bar.step(run)
		}
		err := statstore.CopyRun(ctx, src, dst, run)
		if cause := unreadable(ds, err); bad != nil && cause != nil {
			*bad = append(*bad, &dacapo.RunError{Run: run, Err: cause})
			continue
		}
		if err != nil {
			return n, fmt.Errorf("%s run %q: %w", verb, run, err)
		}
		a.log().Info("copied run", "run", run, "from", redactURL(fromSpec), "to", redactURL(toSpec))
		n++
	}
	return n, nil
}

// runNames lists the runs of s by name: for a DaCapo directory without
// reading the pickles (each is decoded later, once, by what reads the
// run), else with ListRuns.
func runNames(ctx context.Context, s statstore.StatsStore) ([]string, error) {
	if ds, ok := s.(*dacapo.Store); ok {
		return ds.RunNames(ctx)
	}
	infos, err := s.ListRuns(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(infos))
	for i, info := range infos {
		names[i] = info.Run
	}
	return names, nil
}

// unreadable returns the cause when err is a pickle of the DaCapo
// directory ds that cannot be read: damaged (a corruption naming a file in
// it) or over the memory budget; else nil (also when ds is nil).
func unreadable(ds *dacapo.Store, err error) error {
	var be *dacapo.BudgetError
	var ce *statstore.CorruptError
	switch {
	case ds == nil || err == nil:
		return nil
	case errors.As(err, &be):
		return be
	case errors.As(err, &ce):
		if rel, rerr := filepath.Rel(ds.Dir(), ce.Path); rerr == nil && !strings.HasPrefix(rel, "..") {
			return ce
		}
	}
	return nil
}
