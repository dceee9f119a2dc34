package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/dacapo"
)

func newCopyCmd(app *App) *cobra.Command {
	var from, to, since string
	var runs []string
	cmd := &cobra.Command{
		Use:   "copy --to STORE [--from STORE] [--run RUN]",
		Short: "Copy runs between any two stores (file store, PostgreSQL, DaCapo directory as source)",
		Long: `Copy runs, training stats and validation scores with their metadata, from
one store to another: a file store, a PostgreSQL URL, a statstore server
(http(s)://), or (as the source only) a DaCapo directory read with the
metadata flags. --from defaults to --store.

Copies are incremental: a run the destination already holds is compared by
its summary (trained-until, entry counts, last entry); when the
destination's history is a prefix of the source's only the new entries are
read and appended, an equal one is left alone, and a different one (the
source resumed from an earlier checkpoint) is replaced. Validation scores
are merged by iteration (re-validations replace, nothing is lost). --since
copies only runs written since a time (RFC 3339) or within a duration (2h,
3d). A progress bar shows on a terminal.`,
		Example: `  statstore copy --from ./stats --to postgres://user@db/stats
  statstore copy --from ./stats --to /backup/stats --run demo_unet
  statstore copy --from http://stats-host:8080 --to ./mirror --since 24h`,
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
			var cutoff time.Time
			if since != "" {
				var err error
				if cutoff, err = parseSince(since, time.Now()); err != nil {
					return err
				}
			}
			st, err := app.copyIncremental(cmd.Context(), from, to, runs, cutoff)
			if err != nil {
				return err
			}
			fmt.Fprintf(app.Stdout, "copied %d run(s) from %s to %s: %s\n", st.runs, redactURL(from), redactURL(to), st)
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "source store (default: --store)")
	cmd.Flags().StringVar(&to, "to", "", "destination store (required)")
	cmd.Flags().StringSliceVar(&runs, "run", nil, "only these runs (repeat or comma-separate; default all)")
	cmd.Flags().StringVar(&since, "since", "", "only runs written since this time (RFC 3339) or within this duration (e.g. 2h, 3d)")
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

// copyStats counts what copyIncremental did.
type copyStats struct {
	runs, copied, appended, upToDate, notSince, entries, validations int
}

// String says what was transferred, e.g. "1 copied whole, 2 extended (300
// new entries), 4 up to date, 3 validation entries merged".
func (s copyStats) String() string {
	parts := []string{fmt.Sprintf("%d copied whole", s.copied), fmt.Sprintf("%d extended (%d new entries)", s.appended, s.entries),
		fmt.Sprintf("%d up to date", s.upToDate)}
	if s.notSince > 0 {
		parts = append(parts, fmt.Sprintf("%d not written since --since", s.notSince))
	}
	return strings.Join(append(parts, fmt.Sprintf("%d validation entries merged", s.validations)), ", ")
}

// parseSince reads --since: an RFC 3339 time, or a duration back from now
// (time.ParseDuration's units, and d for days).
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(s)
	if days, ok := strings.CutSuffix(s, "d"); ok && err != nil {
		var n float64
		if _, serr := fmt.Sscanf(days, "%g", &n); serr == nil && n >= 0 {
			d, err = time.Duration(n*24*float64(time.Hour)), nil
		}
	}
	if err != nil || d < 0 {
		return time.Time{}, usageError{fmt.Errorf("--since %q: want an RFC 3339 time (2026-12-05T08:00:00Z) or a duration (2h, 3d)", s)}
	}
	return now.Add(-d), nil
}

// copyIncremental brings runs (all when none are named) up to date in toSpec with
// statstore.SyncRun, transferring only what is new, showing progress. From
// a DaCapo directory it copies (import's path). With since, runs whose
// last write the source reports before it are left alone.
func (a *App) copyIncremental(ctx context.Context, fromSpec, toSpec string, runs []string, since time.Time) (st copyStats, err error) {
	if classify(fromSpec) == kindDaCapo {
		n, err := a.copyRuns(ctx, fromSpec, toSpec, runs, "copying", nil)
		return copyStats{runs: n, copied: n}, err
	}
	src, err := a.openStore(ctx, fromSpec, readOnly)
	if err != nil {
		return st, err
	}
	defer func() {
		if cerr := src.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close %s: %w", redactURL(fromSpec), cerr)
		}
	}()
	srcInfos, err := src.ListRuns(ctx)
	if err != nil {
		return st, err
	}
	byName := map[string]statstore.RunInfo{}
	for _, i := range srcInfos {
		byName[i.Run] = i
	}
	if len(runs) == 0 {
		for _, i := range srcInfos {
			runs = append(runs, i.Run)
		}
	}
	for _, r := range runs {
		if err := statstore.ValidateRunName(r); err != nil {
			return st, err
		}
		if _, ok := byName[r]; !ok {
			return st, withRunSuggestions(ctx, src, &userError{msg: fmt.Sprintf("run %q is not in %s", r, redactURL(fromSpec)), err: statstore.ErrNotFound}, []string{r})
		}
	}
	dst, err := a.openStore(ctx, toSpec, readWrite)
	if err != nil {
		return st, err
	}
	defer func() {
		if cerr := dst.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close %s: %w", redactURL(toSpec), cerr)
		}
	}()
	dstInfos, err := dst.ListRuns(ctx)
	if err != nil {
		return st, err
	}
	have := map[string]*statstore.RunInfo{}
	for i := range dstInfos {
		have[dstInfos[i].Run] = &dstInfos[i]
	}
	bar := a.newProgress(len(runs), "copying")
	defer bar.done()
	for _, run := range runs {
		bar.step(run)
		info := byName[run]
		if !since.IsZero() && !info.LastWrite.IsZero() && info.LastWrite.Before(since) {
			st.notSince++
			continue
		}
		res, err := statstore.SyncRun(ctx, src, dst, run, info, have[run])
		if err != nil {
			return st, err
		}
		st.runs++
		switch {
		case res.Skipped:
			st.upToDate++
		case res.Appended > 0:
			st.appended++
			st.entries += res.Appended
		default:
			st.copied++
		}
		st.validations += len(res.ValidationMerge.Inserted) + len(res.ValidationMerge.Replaced)
		a.log().Info("copied run", "run", run, "from", redactURL(fromSpec), "to", redactURL(toSpec), "appended", res.Appended, "copied", res.Copied)
	}
	return st, nil
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
