package dacapo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
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
// directory, each optional: a criteria Preset or a list of Criteria (not
// both), the Datasets and the Parameters sets, in axis order. Runs
// describes single runs (the runs of one directory may have other datasets
// or evaluators): for a run listed there, each axis its entry names
// replaces the directory-wide one. Its JSON is the metadata-file shape of
// statstore.Metadata, where an axis may be left out, plus "runs":
//
//	{"datasets": ["crop_a", ...],
//	 "parameters": [{"id": 0, "name": "threshold_0.3", "values": {"threshold": 0.3}}, ...],
//	 "criteria": "binary_segmentation",
//	 "runs": {"er_run": {"datasets": ["crop_c"]}}}
//
// so the file also works as a --meta file when every axis is named at the
// top.
type Description struct {
	Preset     string
	Criteria   []statstore.Criterion
	Datasets   []string
	Parameters []statstore.ParameterSet
	Runs       map[string]Description
}

// IsZero reports whether d names nothing.
func (d Description) IsZero() bool {
	return d.Preset == "" && len(d.Criteria) == 0 && len(d.Datasets) == 0 && len(d.Parameters) == 0 && len(d.Runs) == 0
}

// axesZero reports whether d names no axis of its own (Runs aside).
func (d Description) axesZero() bool {
	return d.Preset == "" && len(d.Criteria) == 0 && len(d.Datasets) == 0 && len(d.Parameters) == 0
}

// Validate reports a description that names nothing, names the criteria
// twice (a preset and a list), an unknown preset, invalid names (see
// statstore.Metadata.Validate), invalid run names, and run entries that
// name no axis or have runs of their own.
func (d Description) Validate() error {
	if d.IsZero() {
		return fmt.Errorf("dacapo: a description names nothing: give the criteria (a preset or a list), datasets or parameter sets: %w", statstore.ErrInvalidArgument)
	}
	if err := d.validateAxes(); err != nil {
		return fmt.Errorf("dacapo: description: %w", err)
	}
	for run, e := range d.Runs {
		if err := statstore.ValidateRunName(run); err != nil {
			return fmt.Errorf("dacapo: description: %w (%w)", err, statstore.ErrInvalidArgument)
		}
		if len(e.Runs) > 0 || e.axesZero() {
			return fmt.Errorf("dacapo: description of run %q: want datasets, parameters or criteria, and no runs of its own: %w", run, statstore.ErrInvalidArgument)
		}
		if err := e.validateAxes(); err != nil {
			return fmt.Errorf("dacapo: description of run %q: %w", run, err)
		}
	}
	return nil
}

// validateAxes checks d's own axes.
func (d Description) validateAxes() error {
	if d.Preset != "" && len(d.Criteria) > 0 {
		return fmt.Errorf("criteria given both as preset %q and as a list, want one: %w", d.Preset, statstore.ErrInvalidArgument)
	}
	m := statstore.Metadata{Datasets: d.Datasets, Parameters: d.Parameters, EvaluationScores: d.Criteria}
	if d.Preset != "" {
		var err error
		if m.EvaluationScores, err = statstore.Preset(d.Preset); err != nil {
			return err
		}
	}
	return m.Validate()
}

// forRun returns the axes that describe run: its entry's, else the
// directory-wide ones, axis by axis (Runs left out).
func (d Description) forRun(run string) Description {
	out := Description{Preset: d.Preset, Criteria: d.Criteria, Datasets: d.Datasets, Parameters: d.Parameters}
	e, ok := d.Runs[run]
	if !ok {
		return out
	}
	if e.Preset != "" || len(e.Criteria) > 0 {
		out.Preset, out.Criteria = e.Preset, e.Criteria
	}
	if len(e.Datasets) > 0 {
		out.Datasets = e.Datasets
	}
	if len(e.Parameters) > 0 {
		out.Parameters = e.Parameters
	}
	return out
}

// descriptionJSON is the JSON form of a Description.
type descriptionJSON struct {
	Datasets   []string                   `json:"datasets,omitempty"`
	Parameters []statstore.ParameterSet   `json:"parameters,omitempty"`
	Criteria   json.RawMessage            `json:"criteria,omitempty"`
	Runs       map[string]json.RawMessage `json:"runs,omitempty"`
}

// MarshalJSON writes the shape Description documents, criteria as the
// preset name when there is one and parameter sets with their display
// names; axes not named are left out.
func (d Description) MarshalJSON() ([]byte, error) {
	w := descriptionJSON{Datasets: d.Datasets}
	for _, p := range d.Parameters {
		p.Name = p.DisplayName()
		w.Parameters = append(w.Parameters, p)
	}
	var err error
	switch {
	case d.Preset != "":
		w.Criteria, err = json.Marshal(d.Preset)
	case len(d.Criteria) > 0:
		w.Criteria, err = json.Marshal(d.Criteria)
	}
	if err != nil {
		return nil, err
	}
	for run, e := range d.Runs {
		raw, err := json.Marshal(e)
		if err != nil {
			return nil, err
		}
		if w.Runs == nil {
			w.Runs = map[string]json.RawMessage{}
		}
		w.Runs[run] = raw
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the shape Description documents; it does not
// validate (ReadDescription does).
func (d *Description) UnmarshalJSON(data []byte) error {
	var w descriptionJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return fmt.Errorf("%v (want {\"datasets\": [...], \"parameters\": [...], \"criteria\": \"preset\" or [...], \"runs\": {...}}): %w", err, statstore.ErrInvalidArgument)
	}
	out := Description{Datasets: w.Datasets, Parameters: w.Parameters}
	var preset string
	switch {
	case len(w.Criteria) == 0 || string(w.Criteria) == "null":
	case json.Unmarshal(w.Criteria, &preset) == nil:
		out.Preset = preset
	default:
		if err := json.Unmarshal(w.Criteria, &out.Criteria); err != nil {
			return fmt.Errorf("criteria: %v (want a preset name or a list of {\"name\", \"higher_is_better\", \"bounds\", \"store_best\"}): %w", err, statstore.ErrInvalidArgument)
		}
	}
	for run, raw := range w.Runs {
		var e Description
		if err := json.Unmarshal(raw, &e); err != nil {
			return fmt.Errorf("run %q: %w", run, err)
		}
		if out.Runs == nil {
			out.Runs = map[string]Description{}
		}
		out.Runs[run] = e
	}
	*d = out
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
	// Runs, when set, makes the description one of these runs only (an
	// entry of Description.Runs each); otherwise it is the directory-wide
	// one.
	Runs []string
	// Force replaces what the file already says (the directory-wide axes,
	// or the entry of a run); without it Describe fails with ErrExists and
	// changes nothing. Adding a run's entry to a file is no replacement.
	Force bool
	// Logger receives warnings (runs that cannot be read); nil discards
	// them.
	Logger *slog.Logger
}

// Describe records d in the description file of the DaCapo directory dir
// (dir/DescriptionFile), creating it or merging d into it, and returns its
// path. d is the directory-wide description (its Runs must be empty), or,
// with opts.Runs, that of the runs named. The result is first checked
// against the validation scores of every run it describes: a description
// whose counts do not fit a run is an error naming the run
// (statstore.ErrShapeMismatch), and nothing is written. Runs whose pickles
// cannot be read are skipped with a warning; a run named in opts.Runs that
// the directory does not hold is statstore.ErrNotFound. What the file
// already says is replaced only with opts.Force (ErrExists otherwise). The
// file is replaced atomically; nothing inside training_stats/ or
// validation_scores/ is written.
func Describe(ctx context.Context, dir string, d Description, opts DescribeOptions) (string, error) {
	if len(d.Runs) > 0 {
		return "", fmt.Errorf("dacapo: describe: give runs in DescribeOptions.Runs, not in the description: %w", statstore.ErrInvalidArgument)
	}
	path := filepath.Join(dir, DescriptionFile)
	old, err := ReadDescription(dir)
	if err != nil {
		return "", err
	}
	merged := Description{}
	if old != nil {
		merged = *old
	}
	if len(opts.Runs) == 0 {
		if !merged.axesZero() && !opts.Force {
			return "", existsError(path, "the directory's criteria, datasets or parameter sets")
		}
		merged.Preset, merged.Criteria, merged.Datasets, merged.Parameters = d.Preset, d.Criteria, d.Datasets, d.Parameters
	} else {
		runs := maps.Clone(merged.Runs)
		if runs == nil {
			runs = map[string]Description{}
		}
		for _, run := range opts.Runs {
			if _, ok := runs[run]; ok && !opts.Force {
				return "", existsError(path, fmt.Sprintf("run %q", run))
			}
			runs[run] = d
		}
		merged.Runs = runs
	}
	if err := merged.Validate(); err != nil {
		return "", err
	}
	s, err := open(dir, Options{Logger: opts.Logger}, false)
	if err != nil {
		return "", err
	}
	s.desc = &merged
	s.sidecar = "the description"
	if err := s.checkDescription(ctx, opts.Runs); err != nil {
		return "", err
	}
	data, err := json.MarshalIndent(merged, "", "  ")
	if err != nil {
		return "", fmt.Errorf("dacapo: describe: %w", err)
	}
	if err := fsutil.WriteAtomic(fsutil.OS{}, dir, path, append(data, '\n'), 0o644, false); err != nil {
		return "", fmt.Errorf("dacapo: describe %s: %w", dir, err)
	}
	return path, nil
}

// existsError is the refusal to replace what the description file path
// says of what.
func existsError(path, what string) error {
	return fmt.Errorf("dacapo: %s already describes %s: it is replaced only with force: %w", path, what, ErrExists)
}

// checkDescription names the axes of the validation scores of each
// readable run (of runs, when given; each must exist) with the store's
// options and description, failing on the first run they do not fit.
func (s *Store) checkDescription(ctx context.Context, runs []string) error {
	if len(runs) == 0 {
		entries, err := os.ReadDir(filepath.Join(s.dir, ValidationDir))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("dacapo: describe: %w", err)
		}
		for _, e := range entries {
			if !isTempName(e.Name()) && statstore.ValidateRunName(e.Name()) == nil {
				runs = append(runs, e.Name())
			}
		}
	} else {
		for _, run := range runs {
			if !s.hasRun(run) {
				return fmt.Errorf("dacapo: describe: %s holds no run %q: %w", s.dir, run, statstore.ErrNotFound)
			}
		}
	}
	for _, run := range runs {
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
		if _, _, err := s.metadataFor(run, shape); err != nil {
			return fmt.Errorf("dacapo: describe: the description does not fit run %q (%s): %w", run, path, err)
		}
	}
	return nil
}

// hasRun reports whether the directory holds a file of run.
func (s *Store) hasRun(run string) bool {
	for _, sub := range []string{TrainingDir, ValidationDir} {
		if _, err := os.Lstat(filepath.Join(s.dir, sub, run)); err == nil {
			return true
		}
	}
	return false
}

// runOptions returns the options that name the axes of run: the store's
// Options, with the description's axes for run (Description.forRun) where
// Options name none. Metadata in Options overrides all of the description.
// It returns the criteria list of the description (when it lists them and
// Options name no criteria) and the axes of the description that Options
// override with something else.
func (s *Store) runOptions(run string) (Options, []statstore.Criterion, []string) {
	opts := s.opts
	if s.desc == nil {
		return opts, nil, nil
	}
	d := s.desc.forRun(run)
	if d.axesZero() {
		return opts, nil, nil
	}
	if opts.Metadata != nil {
		return opts, nil, []string{"criteria", "datasets", "parameters"}
	}
	var overridden []string
	var crit []statstore.Criterion
	switch {
	case opts.Preset != "":
		if (d.Preset != "" || len(d.Criteria) > 0) && opts.Preset != d.Preset {
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

// Description returns the path of the description file the store read and
// what it says; "" and nil when the directory has none.
func (s *Store) Description() (string, *Description) {
	return s.sidecar, s.desc
}
