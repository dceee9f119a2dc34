package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/dacapo"
)

func newExportDaCapoCmd(app *App) *cobra.Command {
	var runs []string
	cmd := &cobra.Command{
		Use:   "dacapo DST",
		Short: "Write runs as a DaCapo stats directory (pickle files)",
		Long: `Write the store's runs (all, or --run) as a directory that DaCapo's
FileStatsStore and Python's pickle.load read: DST/training_stats/<run> and
DST/validation_scores/<run>, lists of DaCapo's documents.`,
		Example: `  statstore export dacapo /data/dacapo/stats --run demo_unet`,
		Args:    usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return app.withStore(cmd.Context(), readOnly, func(s statstore.StatsStore) error {
				if len(runs) == 0 {
					infos, err := s.ListRuns(cmd.Context())
					if err != nil {
						return err
					}
					for _, i := range infos {
						runs = append(runs, i.Run)
					}
				}
				if err := dacapo.Export(cmd.Context(), s, args[0], runs); err != nil {
					return err
				}
				fmt.Fprintf(app.Stdout, "exported %d run(s) to %s\n", len(runs), args[0])
				return nil
			})
		},
	}
	cmd.Flags().StringSliceVar(&runs, "run", nil, "only these runs (repeat or comma-separate)")
	_ = cmd.RegisterFlagCompletionFunc("run", completeRuns(app, 0))
	return cmd
}
