package dacapo

import (
	"fmt"
	"slices"
	"strings"

	"github.com/statstore/statstore"
)

// InferPreset names the DaCapo evaluator whose scores have n criteria, when
// the count alone says which: DaCapo stores no criteria, so without a
// preset or metadata this is the only way to know whether higher or lower
// values of each are better. The counts it answers:
//
//	21  binary_segmentation (dice, jaccard, hausdorff, ...)
//	 3  instance (voi_split, voi_merge, voi)
//	 2  dummy (frizz_level, blipp_score)
//
// 21 is also the count of a multi-channel binary segmentation evaluator
// with one channel, whose criteria are the same 21 in the same order and
// with the same directions, named "<channel>__dice" and so on: the best
// checkpoints are the same, only the names differ, so 21 is unambiguous
// for what inference decides (each criterion's direction). Multiples of
// 21 are multi-channel binary segmentation with that many channels, whose
// names cannot be guessed: refused, with the preset to give. Any other
// count (DaCapo's newer instance evaluator has 4, a custom evaluator any)
// is refused. Refusals wrap statstore.ErrUnknownDirection.
func InferPreset(n int) (string, error) {
	switch {
	case n == 21:
		return statstore.PresetBinarySegmentation, nil
	case n == 3:
		return statstore.PresetInstance, nil
	case n == 2:
		return statstore.PresetDummy, nil
	case n > 21 && n%21 == 0:
		channels := make([]string, n/21)
		for i := range channels {
			channels[i] = fmt.Sprintf("<ch%d>", i+1)
		}
		return "", fmt.Errorf("%d criteria look like DaCapo's multi-channel binary segmentation with %d channels, whose names DaCapo does not store: give the preset %s:%s: %w",
			n, n/21, statstore.PresetMultiChannelBinarySegmentation, strings.Join(channels, ","), statstore.ErrUnknownDirection)
	}
	return "", fmt.Errorf("%d criteria are not the count of a DaCapo evaluator (binary_segmentation 21, instance 3, dummy 2), so their directions cannot be inferred: give a preset or metadata: %w",
		n, statstore.ErrUnknownDirection)
}

// InferredPreset reports the preset this store infers (InferPreset) for
// run's scores of n criteria: only when neither Options nor the
// directory's description file name the run's criteria, and n is a count
// InferPreset answers. Commands say so beside what they print.
func (s *Store) InferredPreset(run string, n int) (string, bool) {
	opts, crit, _ := s.runOptions(run)
	if opts.Metadata != nil || opts.Preset != "" || len(crit) > 0 {
		return "", false
	}
	p, err := InferPreset(n)
	return p, err == nil
}

// metadataFor names the axes of run's scores of the given shape: Options,
// with the description file's axes where Options name none
// (runOptions), then the description's criteria list, then criteria
// inferred from their count, and whatever is still unnamed gets generic
// names (criteria of unknown direction). It returns the axes that got
// generic names, for the caller to warn about (InferredPreset tells
// whether criteria were inferred). Options that override the description
// are warned about once per run.
func (s *Store) metadataFor(run string, shape [3]int) (statstore.Metadata, []string, error) {
	opts, sideCriteria, overridden := s.runOptions(run)
	if len(overridden) > 0 {
		s.warnOnce("options override the directory's description file", run, "file", s.sidecar, "axes", strings.Join(overridden, ", "))
	}
	meta, generic, err := opts.metadataFor(shape)
	if err != nil || !slices.Contains(generic, "criteria") {
		return meta, generic, err
	}
	var crit []statstore.Criterion
	switch {
	case len(sideCriteria) > 0:
		if len(sideCriteria) != shape[2] {
			return statstore.Metadata{}, nil, fmt.Errorf("%s names %d criteria, but the stored scores have %d: %w: %w",
				s.sidecar, len(sideCriteria), shape[2], statstore.ErrInvalidArgument, statstore.ErrShapeMismatch)
		}
		crit = sideCriteria
	default:
		p, err := InferPreset(shape[2])
		if err != nil {
			return meta, generic, nil // generic criteria, of unknown direction
		}
		if crit, err = statstore.Preset(p); err != nil {
			return statstore.Metadata{}, nil, err
		}
	}
	meta.EvaluationScores = crit
	generic = slices.DeleteFunc(slices.Clone(generic), func(g string) bool { return g == "criteria" })
	return meta, generic, meta.Validate()
}
