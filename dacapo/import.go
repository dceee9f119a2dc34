package dacapo

import (
	"context"
	"fmt"

	"github.com/statstore/statstore"
)

// Import copies runs of the DaCapo directory src (every run when runs is
// empty) into dst with statstore.CopyRun, so dst applies its own
// extend-or-overwrite rules; into an empty dst, each run arrives exactly as
// src reads it, with the metadata src's Options give it.
func Import(ctx context.Context, src *Store, dst statstore.StatsStore, runs []string) error {
	if len(runs) == 0 {
		infos, err := src.ListRuns(ctx)
		if err != nil {
			return fmt.Errorf("dacapo: import: %w", err)
		}
		for _, info := range infos {
			runs = append(runs, info.Run)
		}
	}
	for _, run := range runs {
		if err := statstore.CopyRun(ctx, src, dst, run); err != nil {
			return fmt.Errorf("dacapo: import from %s: %w", src.Dir(), err)
		}
	}
	return nil
}
