package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/dacapo"
)

// maxMetadataFile bounds the size of a metadata file.
const maxMetadataFile = 16 << 20

// readMetadataFile reads a metadata JSON file:
//
//	{"datasets": [...], "parameters": [{"id", "name", "values"}, ...],
//	 "criteria": "preset" or [{"name", "higher_is_better", "bounds", "store_best"}, ...]}
func readMetadataFile(path string) (*statstore.Metadata, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &userError{msg: fmt.Sprintf("metadata file: %v", err), hint: "pass an existing JSON file with --meta FILE", err: err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxMetadataFile+1))
	if err != nil {
		return nil, fmt.Errorf("read metadata file %s: %w", path, err)
	}
	if len(data) > maxMetadataFile {
		return nil, fmt.Errorf("metadata file %s is larger than %d bytes: %w", path, maxMetadataFile, statstore.ErrInvalidArgument)
	}
	var m statstore.Metadata
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, &userError{
			msg:  fmt.Sprintf("metadata file %s: %v", path, err),
			hint: `want {"datasets": ["crop_a"], "parameters": [{"id": 0, "name": "threshold_0.5", "values": {"threshold": 0.5}}], "criteria": "binary_segmentation"}`,
			err:  statstore.ErrInvalidArgument,
		}
	}
	return &m, nil
}

// metadataFromFlags returns the validation metadata the flags describe:
// --meta FILE, or --preset with --datasets and --parameters.
func (a *App) metadataFromFlags() (statstore.Metadata, error) {
	g := a.global
	if g.meta != "" {
		if g.preset != "" || len(g.datasets) > 0 || g.parameters != "" {
			return statstore.Metadata{}, usageError{fmt.Errorf("--meta FILE describes everything: drop --preset, --datasets and --parameters")}
		}
		m, err := readMetadataFile(g.meta)
		if err != nil {
			return statstore.Metadata{}, err
		}
		return *m, nil
	}
	if g.preset == "" || len(g.datasets) == 0 || g.parameters == "" {
		return statstore.Metadata{}, &userError{
			msg:  "validation scores need metadata: the names of their datasets, parameter sets and criteria",
			hint: `pass --meta FILE (JSON {"datasets", "parameters", "criteria"}) or all of --preset, --datasets and --parameters`,
			err:  statstore.ErrInvalidArgument,
		}
	}
	crit, err := statstore.Preset(g.preset)
	if err != nil {
		return statstore.Metadata{}, usageError{fmt.Errorf("--preset: %w", err)}
	}
	params, err := dacapo.ParseParameters(g.parameters)
	if err != nil {
		return statstore.Metadata{}, usageError{fmt.Errorf("--parameters %q: %w", g.parameters, err)}
	}
	ds := make([]string, len(g.datasets))
	for i, d := range g.datasets {
		ds[i] = strings.TrimSpace(d)
	}
	m := statstore.Metadata{Datasets: ds, Parameters: params, EvaluationScores: crit}
	if err := m.Validate(); err != nil {
		return statstore.Metadata{}, err
	}
	return m, nil
}
