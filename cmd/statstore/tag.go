package main

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
)

// metaStore returns s as a statstore.RunMetaStore, or a user error saying
// that it keeps no run metadata.
func metaStore(s statstore.StatsStore) (statstore.RunMetaStore, error) {
	ms, ok := s.(statstore.RunMetaStore)
	if !ok {
		return nil, &userError{
			msg:  fmt.Sprintf("this store (%T) keeps no run metadata", s),
			hint: "a DaCapo directory is read-only: import it first (statstore import dacapo)",
			err:  statstore.ErrInvalidArgument,
		}
	}
	return ms, nil
}

func newTagCmd(app *App) *cobra.Command {
	var remove []string
	var out outputFlags
	cmd := &cobra.Command{
		Use:   "tag RUN [KEY=VALUE...] [--remove KEY]...",
		Short: "Set, remove or print a run's tags (key=value)",
		Long: `Set and remove a run's tags in one step, then print the run's tags;
with no KEY=VALUE and no --remove, print them only. A tag key is
non-empty, at most 128 bytes, without '=', spaces or control characters;
a value is at most 1024 bytes without control characters (it may be
empty: "seed="). Tags are listed by statstore runs, shown by statstore
diff and kept with the run by delete (trash), restore and copy. Tagging a
run that has no statistics yet creates it (a trainer tags before its
first iteration).`,
		Example: `  statstore tag my_run architecture=unet task=mito seed=1
  statstore tag my_run --remove seed
  statstore tag my_run
  statstore tag my_run --json`,
		Args:              usageArgs(cobra.MinimumNArgs(1)),
		ValidArgsFunction: completeRuns(app, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			run := args[0]
			if err := statstore.ValidateRunName(run); err != nil {
				return err
			}
			set := map[string]string{}
			for _, a := range args[1:] {
				k, v, err := statstore.ParseTag(a)
				if err != nil {
					return usageError{err}
				}
				set[k] = v
			}
			if _, err := statstore.ApplyTags(nil, set, remove); err != nil {
				return usageError{err}
			}
			write := len(set) > 0 || len(remove) > 0
			acc := readOnly
			if write {
				acc = readWrite
			}
			ctx := cmd.Context()
			return app.withStore(ctx, acc, func(s statstore.StatsStore) error {
				ms, err := metaStore(s)
				if err != nil {
					return err
				}
				if write {
					if err := ms.SetRunTags(ctx, run, set, remove); err != nil {
						return err
					}
				}
				return printTags(ctx, app, ms, run, out.json)
			})
		},
	}
	cmd.Flags().StringArrayVar(&remove, "remove", nil, "remove the tag KEY (repeatable)")
	out.register(cmd)
	return cmd
}

// printTags prints the run's tags, one key=value a line in key order, or
// {"run": ..., "tags": {...}} with asJSON.
func printTags(ctx context.Context, app *App, ms statstore.RunMetaStore, run string, asJSON bool) error {
	m, err := ms.RetrieveRunMeta(ctx, run)
	if err != nil {
		return err
	}
	if asJSON {
		tags := m.Tags
		if tags == nil {
			tags = map[string]string{}
		}
		return writeJSON(app.Stdout, struct {
			Run  string            `json:"run"`
			Tags map[string]string `json:"tags"`
		}{run, tags})
	}
	if len(m.Tags) == 0 {
		_, err := fmt.Fprintf(app.Stdout, "run %s has no tags\n", run)
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(m.Tags)) {
		if _, err := fmt.Fprintf(app.Stdout, "%s=%s\n", k, m.Tags[k]); err != nil {
			return err
		}
	}
	return nil
}
