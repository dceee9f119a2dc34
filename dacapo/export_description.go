package dacapo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"

	"github.com/statstore/statstore"
)

// runDescription returns the description of run's validation axes as src
// names them, or a zero one when there is nothing to record: no validation
// scores, only generic names (statstore.GenericMetadata), or src is itself a DaCapo directory (whose names come from its own
// description file or were inferred, and are not copied as if known).
func runDescription(ctx context.Context, src statstore.StatsStore, run string) (Description, error) {
	if _, ok := src.(*Store); ok {
		return Description{}, nil
	}
	v, err := src.RetrieveValidationScores(ctx, run)
	if err != nil {
		return Description{}, err
	}
	shape := v.Shape()
	if v.Len() == 0 || v.Metadata.IsZero() || sameMetadata(v.Metadata, statstore.GenericMetadata(shape[0], shape[1], shape[2])) {
		return Description{}, nil
	}
	return Description{
		Datasets:   slices.Clone(v.Datasets),
		Parameters: slices.Clone(v.Parameters),
		Criteria:   slices.Clone(v.EvaluationScores),
	}, nil
}

// sameMetadata reports whether a and b name the same axes.
func sameMetadata(a, b statstore.Metadata) bool {
	return sameAxes(Description{Datasets: a.Datasets, Parameters: a.Parameters, Criteria: a.EvaluationScores},
		Description{Datasets: b.Datasets, Parameters: b.Parameters, Criteria: b.EvaluationScores})
}

// sameAxes reports whether a and b name the same axes, as the description
// file writes them.
func sameAxes(a, b Description) bool {
	ja, erra := json.Marshal(Description{Preset: a.Preset, Criteria: a.Criteria, Datasets: a.Datasets, Parameters: a.Parameters})
	jb, errb := json.Marshal(Description{Preset: b.Preset, Criteria: b.Criteria, Datasets: b.Datasets, Parameters: b.Parameters})
	return erra == nil && errb == nil && bytes.Equal(ja, jb)
}

// descriptionFile is the export's change to dir's description file, so
// that the names of the exported runs' datasets, parameter sets and
// criteria (which DaCapo's pickles do not hold) survive the export: each
// exported run whose axes the file does not already give gets an entry.
// Entries of other runs and the directory-wide axes are kept. The result's
// data is nil when nothing changes; it replaces something (and so needs
// force and a backup) only when it changes what the file said of an
// exported run. ok is false when the file needs no change.
func descriptionFile(dir string, descs map[string]Description) (f exportFile, ok bool, err error) {
	path := filepath.Join(dir, DescriptionFile)
	f = exportFile{run: DescriptionFile, path: path}
	old, err := ReadDescription(dir)
	if err != nil {
		return f, false, err
	}
	merged := Description{}
	if old != nil {
		merged = *old
	}
	changed, conflict := false, false
	for _, run := range slices.Sorted(maps.Keys(descs)) {
		want := descs[run]
		if old != nil && sameAxes(old.forRun(run), want) {
			continue
		}
		if _, ok := merged.Runs[run]; ok {
			conflict = true
		}
		if !changed {
			merged.Runs = maps.Clone(merged.Runs)
			if merged.Runs == nil {
				merged.Runs = map[string]Description{}
			}
			changed = true
		}
		merged.Runs[run] = want
	}
	if !changed {
		return f, false, nil
	}
	if err := merged.Validate(); err != nil {
		return f, false, fmt.Errorf("the description of the exported runs: %w", err)
	}
	data, err := json.MarshalIndent(merged, "", "  ")
	if err != nil {
		return f, false, fmt.Errorf("the description of the exported runs: %w", err)
	}
	f.data = append(data, '\n')
	f.additive = !conflict
	return f, true, nil
}
