package statstore

import (
	"context"
	"fmt"
	"maps"
)

// CopyRunMeta makes run's metadata in to equal to its metadata in from
// (configuration replaced or removed, tags set and removed in one step),
// writing nothing when they are equal already. It does nothing when
// either store keeps no metadata (does not implement RunMetaStore).
// CopyRun and SyncRun call it after the statistics.
func CopyRunMeta(ctx context.Context, from, to StatsStore, run string) error {
	src, ok := from.(RunMetaStore)
	if !ok {
		return nil
	}
	dst, ok := to.(RunMetaStore)
	if !ok {
		return nil
	}
	m, err := src.RetrieveRunMeta(ctx, run)
	if err != nil {
		return fmt.Errorf("copy run %q: read metadata: %w", run, err)
	}
	have, err := dst.RetrieveRunMeta(ctx, run)
	if err != nil {
		return fmt.Errorf("copy run %q: read the destination's metadata: %w", run, err)
	}
	if m.Equal(have) {
		return nil
	}
	if !have.Equal(RunMeta{Config: m.Config, Tags: have.Tags}) {
		if err := dst.SetRunConfig(ctx, run, m.Config); err != nil {
			return fmt.Errorf("copy run %q: write configuration: %w", run, err)
		}
	}
	if !maps.Equal(m.Tags, have.Tags) {
		var remove []string
		for k := range have.Tags {
			if _, ok := m.Tags[k]; !ok {
				remove = append(remove, k)
			}
		}
		if err := dst.SetRunTags(ctx, run, m.Tags, remove); err != nil {
			return fmt.Errorf("copy run %q: write tags: %w", run, err)
		}
	}
	return nil
}
