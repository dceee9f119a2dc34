package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/filestore"
)

func newTrashCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "trash",
		Short: "List, restore or purge the runs that delete moved to the trash",
		Long: `statstore delete moves runs to the store's trash. A trashed run is gone
from every listing, report and plot and its name is free, until it is
restored or purged:

  statstore trash list                 what the trash holds, with ids
  statstore trash restore ID [--as N]  bring a run back (under another name)
  statstore trash purge                delete for good what was trashed more
                                       than 30 days ago (--older-than), the
                                       named ids, or --all
  statstore trash verify               check the trashed files as fsck checks
                                       live ones (a file store)`,
		Args: usageArgs(cobra.NoArgs),
	}
	cmd.AddCommand(newTrashListCmd(app), newTrashRestoreCmd(app), newTrashPurgeCmd(app), newTrashVerifyCmd(app))
	return cmd
}

// withTrash runs f on the current store's trash; a store without one is
// an error.
func (a *App) withTrash(ctx context.Context, acc access, f func(statstore.Trasher) error) error {
	return a.withStore(ctx, acc, func(s statstore.StatsStore) error {
		tr, ok := s.(statstore.Trasher)
		if !ok {
			return &userError{
				msg:  fmt.Sprintf("this store (%T) keeps no trash", s),
				hint: "a DaCapo directory is read in place and never written: import it to delete runs softly",
				err:  statstore.ErrInvalidArgument,
			}
		}
		return f(tr)
	})
}

func newTrashListCmd(app *App) *cobra.Command {
	var out outputFlags
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the trashed runs, oldest first",
		Long: `List the trash entries, oldest first: the id that restore and purge
take, the run's name, when it was trashed, and what it holds.`,
		Example: `  statstore trash list
  statstore trash list --json`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return app.withTrash(cmd.Context(), readOnly, func(tr statstore.Trasher) error {
				entries, err := tr.ListTrash(cmd.Context())
				if err != nil {
					return err
				}
				if out.json {
					return writeJSON(app.Stdout, entries)
				}
				if len(entries) == 0 {
					_, err := fmt.Fprintln(app.Stdout, "the trash is empty")
					return err
				}
				t := newTable(app.Stdout, "ID", "RUN", "DELETED", "TRAINING", "VALIDATIONS", "BYTES")
				for _, e := range entries {
					t.row(e.ID, e.Run, e.DeletedAt.UTC().Format(time.RFC3339), trashCount(e.TrainingIterations), trashCount(e.ValidationIterations), strconv.FormatInt(e.Bytes, 10))
				}
				return t.flush()
			})
		},
	}
	out.register(cmd)
	return cmd
}

// trashCount formats a count of a trash entry, "?" when unknown (-1).
func trashCount(n int) string {
	if n < 0 {
		return "?"
	}
	return strconv.Itoa(n)
}

func newTrashRestoreCmd(app *App) *cobra.Command {
	var as string
	cmd := &cobra.Command{
		Use:   "restore ID",
		Short: "Bring a trashed run back",
		Long: `Make the trash entry ID (see statstore trash list) a live run again,
under its old name, or under --as NAME. A live run with that name is an
error, and nothing changes: restore under another name.`,
		Example: `  statstore trash restore 20261205-075100-1a2b3c4d
  statstore trash restore 20261205-075100-1a2b3c4d --as old_run_2`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			if err := statstore.ValidateTrashID(id); err != nil {
				return &userError{msg: err.Error(), hint: "list the trash ids with statstore trash list", err: err}
			}
			if as != "" {
				if err := statstore.ValidateRunName(as); err != nil {
					return err
				}
			}
			return app.withTrash(cmd.Context(), readWrite, func(tr statstore.Trasher) error {
				name, err := tr.RestoreRun(cmd.Context(), id, as)
				switch {
				case errors.Is(err, statstore.ErrRunExists):
					return &userError{
						msg:  fmt.Sprintf("cannot restore trash entry %s: a live run has its name: nothing restored", id),
						hint: fmt.Sprintf("restore it under another name: statstore trash restore %s --as NEW_NAME", id),
						err:  err,
					}
				case errors.Is(err, statstore.ErrNotFound):
					return &userError{
						msg:  fmt.Sprintf("the trash holds no entry %s", id),
						hint: "list the trash ids with statstore trash list",
						err:  err,
					}
				case err != nil:
					return err
				}
				_, err = fmt.Fprintf(app.Stdout, "restored run %s from the trash (id %s)\n", name, id)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&as, "as", "", "restore under this run name instead of the old one")
	return cmd
}

func newTrashPurgeCmd(app *App) *cobra.Command {
	var olderThan string
	var all, yes, dryRun bool
	cmd := &cobra.Command{
		Use:   "purge [ID...]",
		Short: "Delete trashed runs for good",
		Long: `Delete for good the trash entries trashed more than --older-than ago
(default 30d), or the entries named by id, or with --all every entry.

On a terminal purge says what it will delete and asks first; --yes
purges without asking, and is required when stdin is not a terminal.
--dry-run says what would be purged and purges nothing.`,
		Example: `  statstore trash purge --dry-run
  statstore trash purge --older-than 7d --yes
  statstore trash purge 20261205-075100-1a2b3c4d
  statstore trash purge --all --yes`,
		RunE: func(cmd *cobra.Command, args []string) error {
			sel, err := purgeSelection(args, all, olderThan, cmd.Flags().Changed("older-than"), time.Now())
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			return app.withTrash(ctx, readWrite, func(tr statstore.Trasher) error {
				entries, err := tr.ListTrash(ctx)
				if err != nil {
					return err
				}
				chosen, err := statstore.SelectTrash(entries, sel)
				if err != nil {
					return &userError{msg: err.Error() + ": nothing purged", hint: "list the trash ids with statstore trash list", err: err}
				}
				if len(chosen) == 0 {
					msg := "nothing to purge: the trash is empty"
					if len(entries) > 0 {
						msg = fmt.Sprintf("nothing to purge: the trash holds %s, none trashed more than %s ago", plural(len(entries), "entry", "entries"), olderThan)
					}
					_, err := fmt.Fprintln(app.Stdout, msg)
					return err
				}
				what := fmt.Sprintf("%s (%s)", plural(len(chosen), "trash entry", "trash entries"), trashNames(chosen))
				if dryRun {
					_, err := fmt.Fprintf(app.Stdout, "would permanently delete %s (dry run: nothing purged)\n", what)
					return err
				}
				if !yes {
					ok, err := app.confirm("permanently delete " + what + "? This cannot be undone.")
					if err != nil || !ok {
						if err == nil {
							_, err = fmt.Fprintln(app.Stdout, "nothing purged")
						}
						return err
					}
				}
				purged, err := tr.PurgeTrash(ctx, statstore.PurgeSelection{IDs: trashIDs(chosen)})
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(app.Stdout, "purged %s\n", fmt.Sprintf("%s (%s)", plural(len(purged), "trash entry", "trash entries"), trashNames(purged)))
				return err
			})
		},
	}
	cmd.Flags().StringVar(&olderThan, "older-than", "30d", "purge what was trashed longer ago than this (e.g. 30d, 12h, 90m)")
	cmd.Flags().BoolVar(&all, "all", false, "purge every trash entry")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "purge without asking (required when stdin is not a terminal)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "say what would be purged and purge nothing")
	return cmd
}

// purgeSelection builds the selection of trash purge: the named ids, or
// all, or the entries older than olderThan at now. Mixing them is a
// usage error.
func purgeSelection(ids []string, all bool, olderThan string, ageSet bool, now time.Time) (statstore.PurgeSelection, error) {
	rules := 0
	for _, set := range []bool{len(ids) > 0, all, ageSet} {
		if set {
			rules++
		}
	}
	if rules > 1 {
		return statstore.PurgeSelection{}, usageError{errors.New("trash purge takes one of: trash ids, --all, --older-than")}
	}
	switch {
	case len(ids) > 0:
		for _, id := range ids {
			if err := statstore.ValidateTrashID(id); err != nil {
				return statstore.PurgeSelection{}, usageError{err}
			}
		}
		return statstore.PurgeSelection{IDs: ids}, nil
	case all:
		return statstore.PurgeSelection{All: true}, nil
	}
	age, err := parseAge(olderThan)
	if err != nil {
		return statstore.PurgeSelection{}, usageError{fmt.Errorf("invalid value %q for --older-than: %w", olderThan, err)}
	}
	return statstore.PurgeOlderThan(now, age), nil
}

// parseAge parses a duration that may also count days (30d) and weeks
// (2w), which time.ParseDuration does not.
func parseAge(s string) (time.Duration, error) {
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.ParseFloat(n, 64)
			if err != nil || v < 0 || v > 1e5 {
				return 0, errors.New("want a duration such as 30d, 2w, 12h or 90m")
			}
			return time.Duration(v * float64(unit)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, errors.New("want a duration such as 30d, 2w, 12h or 90m")
	}
	return d, nil
}

// trashNames lists entries as "run r (id ...), ...".
func trashNames(entries []statstore.TrashEntry) string {
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = fmt.Sprintf("run %s, id %s", e.Run, e.ID)
	}
	return strings.Join(names, "; ")
}

// trashIDs returns the entries' ids.
func trashIDs(entries []statstore.TrashEntry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.ID
	}
	return out
}

func newTrashVerifyCmd(app *App) *cobra.Command {
	var out outputFlags
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check the files of every trashed run, as fsck checks the live ones",
		Long: `Check every record of the files that the file store's trash holds
(--store DIR), and each entry's manifest, as statstore fsck checks the live
runs' files (fsck itself leaves the trash alone: a trashed run is not
damage). Damage exits with status 3, naming file and offset.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := app.fileStoreDir()
			if err != nil {
				return err
			}
			rep, err := filestore.VerifyTrash(cmd.Context(), dir)
			if err != nil {
				return err
			}
			return app.reportVerify(out, dir, rep, fmt.Sprintf("the trash of store %s holds damaged files", dir),
				"restore the run (statstore trash restore ID) and repair it with statstore repair, or purge it")
		},
	}
	out.register(cmd)
	return cmd
}
