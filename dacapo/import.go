package dacapo

import (
	"context"
	"errors"
	"fmt"

	"github.com/statstore/statstore"
)

// Import copies runs of the DaCapo directory src (every run when runs is
// empty) into dst with statstore.CopyRun, so dst applies its own
// extend-or-overwrite rules; into an empty dst, each run arrives exactly as
// src reads it, with the metadata src's Options give it. Without named
// runs, a run whose pickle cannot be read is one bad run: the others are
// imported, and the error then joins a *RunError for each bad one (each
// wrapping statstore.ErrCorrupt when the file is damaged).
func Import(ctx context.Context, src *Store, dst statstore.StatsStore, runs []string) error {
	var bad []*RunError
	if len(runs) == 0 {
		infos, b, err := src.ListRunsChecked(ctx)
		if err != nil {
			return fmt.Errorf("dacapo: import: %w", err)
		}
		bad = b
		for _, info := range infos {
			runs = append(runs, info.Run)
		}
	}
	for _, run := range runs {
		if err := statstore.CopyRun(ctx, src, dst, run); err != nil {
			return fmt.Errorf("dacapo: import from %s: %w", src.Dir(), err)
		}
	}
	if len(bad) > 0 {
		errs := make([]error, len(bad))
		for i, b := range bad {
			errs[i] = b
		}
		return fmt.Errorf("dacapo: import from %s: %d run(s) not imported: %w", src.Dir(), len(bad), errors.Join(errs...))
	}
	return nil
}
