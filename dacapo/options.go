package dacapo

import (
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/bytesize"
)

// Options configure Open. DaCapo stores no names for the axes of validation
// scores; they come from Metadata, or else from Preset, Datasets and
// Parameters, and whatever is still missing gets the generic names of
// statstore.GenericMetadata, with a warning.
type Options struct {
	// Logger receives warnings (generic names, run-name mismatches); nil
	// discards them.
	Logger *slog.Logger
	// Metadata names every axis. Its shape must match every run's scores.
	// It excludes Preset, Datasets and Parameters.
	Metadata *statstore.Metadata
	// Preset names the criteria (see statstore.Preset), e.g.
	// "binary_segmentation". Its number of criteria must match the scores.
	Preset string
	// Datasets names the validation datasets, in axis order.
	Datasets []string
	// Parameters are the post-processing parameter sets, in axis order (see
	// ParseParameters).
	Parameters []statstore.ParameterSet
	// MemoryBudget is how many bytes reading one pickle may hold: the
	// file's bytes and what decoding them makes, as the decoder estimates
	// it. 0 means DefaultMemoryBudget. A pickle that would need more is
	// refused with a *BudgetError naming it, before it is read when its
	// size alone is over the budget. Hostile pickles (shared lists nested
	// into a "billion laughs", lengths beyond the file) are refused whatever
	// the budget: a pickle may never need much more memory than a DaCapo
	// file of its size.
	MemoryBudget int64
	// OnDecode, when set, is called as the pickle at path is decoded: with
	// done < size as it advances (the bytes decoded so far, for a progress
	// display), then once with done == size when the file is decoded. A
	// run's training pickle decoded for one call and needed again by the
	// next (validation scores are marked against the training's end)
	// is decoded once, while the file is unchanged. It is called from the
	// goroutine that reads.
	OnDecode func(path string, done, size int64)
}

// check reports options that contradict each other or are invalid.
func (o Options) check() error {
	if o.MemoryBudget < 0 {
		return fmt.Errorf("dacapo: memory budget %d is negative, want 0 (the default, %s) or a number of bytes: %w", o.MemoryBudget, bytesize.Format(DefaultMemoryBudget), statstore.ErrInvalidArgument)
	}
	if o.Metadata != nil {
		if o.Preset != "" || len(o.Datasets) > 0 || len(o.Parameters) > 0 {
			return fmt.Errorf("dacapo: give either Metadata or Preset/Datasets/Parameters, not both: %w", statstore.ErrInvalidArgument)
		}
		if err := o.Metadata.Validate(); err != nil {
			return fmt.Errorf("dacapo: metadata: %w", err)
		}
		return nil
	}
	if o.Preset != "" {
		if _, err := statstore.Preset(o.Preset); err != nil {
			return fmt.Errorf("dacapo: %w", err)
		}
	}
	partial := statstore.Metadata{Datasets: o.Datasets, Parameters: o.Parameters}
	if err := partial.Validate(); err != nil {
		return fmt.Errorf("dacapo: %w", err)
	}
	return nil
}

// metadataFor names the axes of scores of the given shape (datasets ×
// parameter sets × criteria). It returns the axes that got generic names, for
// the caller to warn about.
func (o Options) metadataFor(shape [3]int) (statstore.Metadata, []string, error) {
	mismatch := func(what string, given, stored int) error {
		return fmt.Errorf("%d %s given, but the stored scores have %d: %w: %w", given, what, stored, statstore.ErrInvalidArgument, statstore.ErrShapeMismatch)
	}
	if o.Metadata != nil {
		if got := o.Metadata.Shape(); got != shape {
			return statstore.Metadata{}, nil, fmt.Errorf("metadata of shape %d×%d×%d given, but the stored scores are %d×%d×%d (datasets × parameter sets × criteria): %w: %w",
				got[0], got[1], got[2], shape[0], shape[1], shape[2], statstore.ErrInvalidArgument, statstore.ErrShapeMismatch)
		}
		return *o.Metadata, nil, nil
	}
	generic := statstore.GenericMetadata(shape[0], shape[1], shape[2])
	meta := statstore.Metadata{}
	var named []string
	switch {
	case o.Preset != "":
		crit, err := statstore.Preset(o.Preset)
		if err != nil {
			return statstore.Metadata{}, nil, err
		}
		if len(crit) != shape[2] {
			return statstore.Metadata{}, nil, fmt.Errorf("preset %q has %d criteria, but the stored scores have %d: %w: %w",
				o.Preset, len(crit), shape[2], statstore.ErrInvalidArgument, statstore.ErrShapeMismatch)
		}
		meta.EvaluationScores = crit
	default:
		meta.EvaluationScores = generic.EvaluationScores
		named = append(named, "criteria")
	}
	switch {
	case len(o.Datasets) > 0 && len(o.Datasets) != shape[0]:
		return statstore.Metadata{}, nil, mismatch("dataset names", len(o.Datasets), shape[0])
	case len(o.Datasets) > 0:
		meta.Datasets = o.Datasets
	default:
		meta.Datasets = generic.Datasets
		named = append(named, "datasets")
	}
	switch {
	case len(o.Parameters) > 0 && len(o.Parameters) != shape[1]:
		return statstore.Metadata{}, nil, mismatch("parameter sets", len(o.Parameters), shape[1])
	case len(o.Parameters) > 0:
		meta.Parameters = o.Parameters
	default:
		meta.Parameters = generic.Parameters
		named = append(named, "parameters")
	}
	return meta, named, meta.Validate()
}

// ParseParameters parses parameter sets from a command-line spec:
// "threshold=0.3,0.5,0.7" gives three sets, threshold_0.3, threshold_0.5 and
// threshold_0.7, with ids 0, 1, 2. Several names separated by ";" give their
// product in order, the last name varying fastest (as itertools.product):
// "bias=0.1,0.2;context=8,16". Values that parse as integers become int64,
// other numbers float64 (so "1.0" keeps DaCapo's display name
// threshold_1.0), anything else stays a string.
func ParseParameters(spec string) ([]statstore.ParameterSet, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("parameters %q: %s (want name=v1,v2,... with names separated by ';', e.g. threshold=0.3,0.5,0.7): %w",
			spec, fmt.Sprintf(format, args...), statstore.ErrInvalidArgument)
	}
	if strings.TrimSpace(spec) == "" {
		return nil, bad("empty")
	}
	type axis struct {
		name   string
		values []any
	}
	var axes []axis
	seen := map[string]bool{}
	for _, part := range strings.Split(spec, ";") {
		name, list, ok := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, bad("%q is not name=values", part)
		}
		if seen[name] {
			return nil, bad("%q given twice", name)
		}
		seen[name] = true
		var values []any
		for _, raw := range strings.Split(list, ",") {
			raw = strings.TrimSpace(raw)
			if raw == "" {
				return nil, bad("empty value for %q", name)
			}
			values = append(values, parseValue(raw))
		}
		axes = append(axes, axis{name, values})
	}
	total := 1
	for _, a := range axes {
		total *= len(a.values)
		if total > 1<<16 {
			return nil, bad("more than %d parameter sets", 1<<16)
		}
	}
	out := make([]statstore.ParameterSet, total)
	for i := range out {
		p := statstore.ParameterSet{ID: i}
		rest := i
		p.Values = make(statstore.ParameterValues, len(axes))
		for k := len(axes) - 1; k >= 0; k-- {
			a := axes[k]
			p.Values[k] = statstore.ParameterValue{Name: a.name, Value: a.values[rest%len(a.values)]}
			rest /= len(a.values)
		}
		p.Name = p.DisplayName()
		out[i] = p
	}
	if err := (statstore.Metadata{Parameters: out}).Validate(); err != nil {
		return nil, fmt.Errorf("parameters %q: %w", spec, err)
	}
	return out, nil
}

// parseValue turns "8" into int64(8), "0.5" into 0.5 and anything else
// (including NaN and infinities, which parameter values cannot hold) into
// the string itself.
func parseValue(s string) any {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		return f
	}
	return s
}
