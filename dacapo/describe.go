package dacapo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/fsutil"
)

// DescriptionFile is the name of the file in which statstore keeps, beside
// DaCapo's training_stats/ and validation_scores/, what DaCapo does not
// store: the names of a directory's validation datasets, parameter sets and
// criteria (with each criterion's direction). Open reads it when present,
// so a directory described once (Describe) needs no options afterwards.
// DaCapo never reads it; statstore never writes inside DaCapo's
// sub-directories.
const DescriptionFile = "statstore-dacapo.json"

// maxDescriptionFile bounds the size of a description file.
const maxDescriptionFile = 16 << 20

// Description names the axes of the validation scores of a DaCapo
// directory, each optional except the criteria: a criteria Preset or a
// list of Criteria (not both), the Datasets and the Parameters sets, in
// axis order. Its JSON is the metadata-file shape of statstore.Metadata,
// where an axis may be left empty:
//
//	{"datasets": ["crop_a", ...],
//	 "parameters": [{"id": 0, "name": "threshold_0.3", "values": {"threshold": 0.3}}, ...],
//	 "criteria": "binary_segmentation"}
//
// so the file also works as a metadata file of its own when every axis is
// named.
type Description struct {
	Preset     string
	Criteria   []statstore.Criterion
	Datasets   []string
	Parameters []statstore.ParameterSet
}

// Validate reports a description without criteria or with both a preset
// and a list, an unknown preset, and invalid names (see
// statstore.Metadata.Validate).
func (d Description) Validate() error {
	if (d.Preset == "") == (len(d.Criteria) == 0) {
		return fmt.Errorf("dacapo: a description names the criteria with a preset or a list, exactly one of them: %w", statstore.ErrInvalidArgument)
	}
	crit := d.Criteria
	if d.Preset != "" {
		var err error
		if crit, err = statstore.Preset(d.Preset); err != nil {
			return fmt.Errorf("dacapo: description: %w", err)
		}
	}
	m := statstore.Metadata{Datasets: d.Datasets, Parameters: d.Parameters, EvaluationScores: crit}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("dacapo: description: %w", err)
	}
	return nil
}

// MarshalJSON writes the metadata-file shape, criteria as the preset name
// when there is one and parameter sets with their display names.
func (d Description) MarshalJSON() ([]byte, error) {
	var crit any = d.Criteria
	if d.Preset != "" {
		crit = d.Preset
	}
	params := make([]statstore.ParameterSet, len(d.Parameters))
	for i, p := range d.Parameters {
		p.Name = p.DisplayName()
		params[i] = p
	}
	return json.Marshal(struct {
		Datasets   []string                 `json:"datasets"`
		Parameters []statstore.ParameterSet `json:"parameters"`
		Criteria   any                      `json:"criteria"`
	}{append([]string{}, d.Datasets...), params, crit})
}

// UnmarshalJSON reads the metadata-file shape (statstore.Metadata's
// rules and errors), keeping a preset's name.
func (d *Description) UnmarshalJSON(data []byte) error {
	var m statstore.Metadata
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	var raw struct {
		Criteria json.RawMessage `json:"criteria"`
	}
	var preset string
	if json.Unmarshal(data, &raw) == nil && json.Unmarshal(raw.Criteria, &preset) == nil {
		*d = Description{Preset: preset, Datasets: m.Datasets, Parameters: m.Parameters}
		return nil
	}
	*d = Description{Criteria: m.EvaluationScores, Datasets: m.Datasets, Parameters: m.Parameters}
	return nil
}

// ReadDescription reads the description file of the DaCapo directory dir;
// nil and no error when there is none. A file that does not parse is an
// error naming it and wrapping statstore.ErrInvalidArgument.
func ReadDescription(dir string) (*Description, error) {
	path := filepath.Join(dir, DescriptionFile)
	f, _, err := openRegular(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dacapo: description file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxDescriptionFile+1))
	if err != nil {
		return nil, fmt.Errorf("dacapo: read %s: %w", path, err)
	}
	if len(data) > maxDescriptionFile {
		return nil, fmt.Errorf("dacapo: %s is larger than %d bytes, want a description: %w", path, maxDescriptionFile, statstore.ErrInvalidArgument)
	}
	var d Description
	if err := json.Unmarshal(data, &d); err != nil {
		if !errors.Is(err, statstore.ErrInvalidArgument) {
			err = fmt.Errorf("%v: %w", err, statstore.ErrInvalidArgument)
		}
		return nil, fmt.Errorf("dacapo: %s (written by statstore dacapo describe; fix or remove it): %w", path, err)
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("dacapo: %s: %w", path, err)
	}
	return &d, nil
}

// DescribeOptions configure Describe.
type DescribeOptions struct {
	// Force replaces an existing description file; without it Describe
	// fails with ErrExists and changes nothing.
	Force bool
	// Logger receives warnings (runs that cannot be read); nil discards
	// them.
	Logger *slog.Logger
}

// Describe writes d as the description file of the DaCapo directory dir
// (dir/DescriptionFile) and returns its path, after checking d against
// every run's validation scores: a description whose counts do not fit a
// run is an error naming the run (ErrShapeMismatch), and nothing is
// written. Runs whose pickles cannot be read are skipped with a warning.
// An existing description file is replaced only with opts.Force; the file
// appears whole or not at all. Nothing inside training_stats/ or
// validation_scores/ is written.
func Describe(ctx context.Context, dir string, d Description, opts DescribeOptions) (string, error) {
	if err := d.Validate(); err != nil {
		return "", err
	}
	s, err := open(dir, Options{Logger: opts.Logger, Preset: d.Preset, Datasets: d.Datasets, Parameters: d.Parameters}, false)
	if err != nil {
		return "", err
	}
	s.sideCriteria, s.sidecar = d.Criteria, "the description"
	if err := s.checkDescription(ctx); err != nil {
		return "", err
	}
	path := filepath.Join(dir, DescriptionFile)
	data, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return "", fmt.Errorf("dacapo: describe: %w", err)
	}
	data = append(data, '\n')
	if opts.Force {
		if err := fsutil.WriteAtomic(fsutil.OS{}, dir, path, data, 0o644, false); err != nil {
			return "", fmt.Errorf("dacapo: describe %s: %w", dir, err)
		}
		return path, nil
	}
	if err := writeNew(dir, path, data); err != nil {
		return "", err
	}
	return path, nil
}

// writeNew creates path holding data, whole or not at all, failing with
// ErrExists when path exists: a temporary file, fsynced, is linked to path
// (which fails when path exists) and removed.
func writeNew(dir, path string, data []byte) error {
	fsys := fsutil.OS{}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("dacapo: %s already exists (replace it with force, --force on the command line): %w", path, ErrExists)
	}
	tmp, err := fsutil.TempName(dir, DescriptionFile)
	if err != nil {
		return fmt.Errorf("dacapo: describe: %w", err)
	}
	if err := fsutil.WriteAtomic(fsys, dir, tmp, data, 0o644, false); err != nil {
		return fmt.Errorf("dacapo: describe %s: %w", dir, err)
	}
	defer func() { _ = fsys.Remove(tmp) }() // best effort: path is what counts
	if err := fsys.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("dacapo: %s already exists (replace it with force, --force on the command line): %w", path, ErrExists)
		}
		return fmt.Errorf("dacapo: describe %s: %w", dir, err)
	}
	if err := fsys.SyncDir(dir); err != nil {
		return fmt.Errorf("dacapo: describe %s: fsync: %w", dir, err)
	}
	return nil
}

// checkDescription names the axes of every readable run's validation scores
// with the store's options, failing on the first run they do not fit.
func (s *Store) checkDescription(ctx context.Context) error {
	entries, err := os.ReadDir(filepath.Join(s.dir, ValidationDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("dacapo: describe: %w", err)
	}
	for _, e := range entries {
		run := e.Name()
		if isTempName(run) || statstore.ValidateRunName(run) != nil {
			continue
		}
		docs, path, err := s.validationDocs(ctx, run)
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("dacapo: describe: %w", ctxErr)
		}
		if err != nil {
			s.logger.Warn("describe: skipping a run that cannot be read", "dir", s.dir, "run", run, "error", err)
			continue
		}
		if len(docs) == 0 {
			continue
		}
		shape, ok := docs[0].scores.Shape()
		if !ok {
			continue
		}
		if _, _, err := s.metadataFor(shape); err != nil {
			return fmt.Errorf("dacapo: describe: the description does not fit run %q (%s): %w", run, path, err)
		}
	}
	return nil
}

// applyDescription merges the description file d (read from path) into
// opts: Metadata in opts overrides all of it; otherwise each axis opts
// names overrides the description's, and the others come from d. It
// returns the merged options, the criteria list of d (when d lists them and
// opts name no criteria) and the axes of d that opts overrode with
// something else.
func applyDescription(opts Options, d *Description) (Options, []statstore.Criterion, []string) {
	if d == nil {
		return opts, nil, nil
	}
	if opts.Metadata != nil {
		return opts, nil, []string{"criteria", "datasets", "parameters"}
	}
	var overridden []string
	var crit []statstore.Criterion
	switch {
	case opts.Preset != "":
		if opts.Preset != d.Preset {
			overridden = append(overridden, "criteria")
		}
	case d.Preset != "":
		opts.Preset = d.Preset
	default:
		crit = d.Criteria
	}
	switch {
	case len(opts.Datasets) > 0:
		if len(d.Datasets) > 0 && !slices.Equal(opts.Datasets, d.Datasets) {
			overridden = append(overridden, "datasets")
		}
	default:
		opts.Datasets = d.Datasets
	}
	switch {
	case len(opts.Parameters) > 0:
		if len(d.Parameters) > 0 && !(statstore.Metadata{Parameters: opts.Parameters}).Equal(statstore.Metadata{Parameters: d.Parameters}) {
			overridden = append(overridden, "parameters")
		}
	default:
		opts.Parameters = d.Parameters
	}
	return opts, crit, overridden
}

// Description returns the path of the description file the store read (""
// when the directory has none) and the axes of it ("criteria", "datasets",
// "parameters") that Options named otherwise, and so override.
func (s *Store) Description() (path string, overridden []string) {
	return s.sidecar, slices.Clone(s.overridden)
}
