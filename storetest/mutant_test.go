package storetest_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/memstore"
)

// mutant is memstore with one deliberate bug, named by kind: the suite must
// fail on every one of them. Most are bugs DaCapo's file store has or a
// backend could plausibly have.
type mutant struct {
	*memstore.Store
	kind   string
	closed bool
	mu     sync.Mutex
	meta   map[string]statstore.Metadata // keeps-input-metadata: the caller's, not a copy
}

// mutants lists the bugs, the group of Run that must catch each, and
// whether the random model test must catch it too.
var mutants = []struct {
	kind, group string
	model       bool
}{
	{"positional-slicing", "Training", true},   // DaCapo: append new[len(stored):]
	{"validation-rewrite", "Validation", true}, // DaCapo: appends rewrite the file with only the new entries
	{"late-dropped", "Validation", true},       // checkpoints validated late are ignored
	{"partial-bad-write", "BadInput", true},    // the valid prefix of bad stats is written
	{"mismatch-replaces", "Validation", true},  // other metadata replace instead of failing
	{"nan-canonical", "Floats", false},         // NaN payloads are lost
	{"delete-accepts-bad-name", "RunNames", false},
	{"no-closed-check", "Closed", false},
	{"list-unsorted", "ListRuns", false},
	{"range-to-inclusive", "Range", true},
	{"subsample-drops-last", "Subsample", true},
	{"shape-as-invalid", "BadInput", true}, // ErrShapeMismatch reported as ErrInvalidArgument
	{"case-insensitive", "RunNames", true},
	{"unknown-run-error", "Unknown", true},        // retrieving an unknown run fails with ErrNotFound
	{"keeps-input-metadata", "Aliasing", false},   // metadata alias the caller's slices
	{"revalidation-ignored", "Validation", true},  // a re-validated checkpoint keeps its old scores
	{"unsorted-rejected", "Validation", true},     // DaCapo's unsorted or repeated list is refused
	{"superseded-not-marked", "Validation", true}, // a training rewind leaves later validations current
}

func newMutant(kind string) *mutant {
	return &mutant{Store: memstore.New(nil), kind: kind, meta: map[string]statstore.Metadata{}}
}

func (m *mutant) name(run string) string {
	if m.kind == "case-insensitive" {
		return strings.ToLower(run)
	}
	return run
}

func (m *mutant) Close() error {
	m.closed = true
	if m.kind == "no-closed-check" {
		return nil
	}
	return m.Store.Close()
}

func (m *mutant) StoreTrainingStats(ctx context.Context, run string, stats *statstore.TrainingStats) error {
	run = m.name(run)
	switch m.kind {
	case "superseded-not-marked":
		before, err := m.Store.RetrieveValidationScores(ctx, run)
		if err != nil {
			return err
		}
		if err := m.Store.StoreTrainingStats(ctx, run, stats); err != nil {
			return err
		}
		after, err := m.Store.RetrieveValidationScores(ctx, run)
		if err != nil || statstore.CountSuperseded(after.Scores) == statstore.CountSuperseded(before.Scores) {
			return err
		}
		if err := m.Store.DeleteValidationScores(ctx, run); err != nil {
			return err
		}
		return m.Store.StoreValidationIterationScores(ctx, run, before)
	case "positional-slicing":
		stored, err := m.Store.RetrieveTrainingStats(ctx, run)
		if err != nil || stats == nil || stats.TrainedUntil() <= stored.TrainedUntil() || stored.Len() == 0 {
			break
		}
		merged := slices.Concat(stored.IterationStats, stats.IterationStats[min(stored.Len(), stats.Len()):])
		if err := m.Store.DeleteTrainingStats(ctx, run); err != nil {
			return err
		}
		return m.Store.StoreTrainingStats(ctx, run, &statstore.TrainingStats{IterationStats: merged})
	case "partial-bad-write":
		if stats != nil && stats.Validate() != nil {
			var ok statstore.TrainingStats
			for _, s := range stats.IterationStats {
				if ok.AddIterationStats(s) != nil {
					break
				}
			}
			if err := m.Store.StoreTrainingStats(ctx, run, &ok); err != nil {
				return err
			}
		}
	case "nan-canonical":
		if stats != nil {
			c := &statstore.TrainingStats{IterationStats: slices.Clone(stats.IterationStats)}
			for i := range c.IterationStats {
				if math.IsNaN(c.IterationStats[i].Loss) {
					c.IterationStats[i].Loss = math.NaN()
				}
			}
			stats = c
		}
	}
	return m.Store.StoreTrainingStats(ctx, run, stats)
}

func (m *mutant) StoreValidationIterationScores(ctx context.Context, run string, scores *statstore.ValidationScores) error {
	_, err := m.MergeValidationScores(ctx, run, scores)
	return err
}

func (m *mutant) MergeValidationScores(ctx context.Context, run string, scores *statstore.ValidationScores) (statstore.ValidationMerge, error) {
	run = m.name(run)
	if m.kind == "shape-as-invalid" {
		r, err := m.Store.MergeValidationScores(ctx, run, scores)
		if errors.Is(err, statstore.ErrShapeMismatch) {
			return r, fmt.Errorf("bad scores: %w", statstore.ErrInvalidArgument)
		}
		return r, err
	}
	if m.kind == "unsorted-rejected" && scores != nil && scores.Validate() != nil {
		return statstore.ValidationMerge{}, fmt.Errorf("unsorted: %w", statstore.ErrOutOfOrder)
	}
	if scores == nil || len(scores.Scores) == 0 {
		return m.Store.MergeValidationScores(ctx, run, scores)
	}
	sorted, _ := statstore.SortValidationEntries(scores.Scores)
	norm := &statstore.ValidationScores{Metadata: scores.Metadata, Scores: sorted}
	if norm.Validate() != nil {
		return m.Store.MergeValidationScores(ctx, run, scores)
	}
	stored, err := m.Store.RetrieveValidationScores(ctx, run)
	if err != nil {
		return statstore.ValidationMerge{}, err
	}
	have := map[int]bool{}
	for _, e := range stored.Scores {
		have[e.Iteration] = true
	}
	until := stored.ValidatedUntil()
	keep := func(f func(e statstore.ValidationIterationScores) bool) *statstore.ValidationScores {
		out := &statstore.ValidationScores{Metadata: scores.Metadata}
		for _, e := range sorted {
			if f(e) {
				out.Scores = append(out.Scores, e)
			}
		}
		return out
	}
	switch m.kind {
	case "keeps-input-metadata":
		if len(stored.Scores) == 0 {
			m.mu.Lock()
			m.meta[run] = scores.Metadata
			m.mu.Unlock()
		}
	case "validation-rewrite":
		if len(stored.Scores) > 0 && stored.Metadata.Equal(scores.Metadata) {
			rest := keep(func(e statstore.ValidationIterationScores) bool { return e.Iteration >= until })
			if len(rest.Scores) == 0 {
				return m.Store.MergeValidationScores(ctx, run, scores)
			}
			if err := m.Store.DeleteValidationScores(ctx, run); err != nil {
				return statstore.ValidationMerge{}, err
			}
			return m.Store.MergeValidationScores(ctx, run, rest)
		}
	case "late-dropped":
		if len(stored.Scores) > 0 {
			scores = keep(func(e statstore.ValidationIterationScores) bool { return e.Iteration >= until || have[e.Iteration] })
		}
	case "revalidation-ignored":
		scores = keep(func(e statstore.ValidationIterationScores) bool { return !have[e.Iteration] })
	case "mismatch-replaces":
		if len(stored.Scores) > 0 && !stored.Metadata.Equal(scores.Metadata) {
			if err := m.Store.DeleteValidationScores(ctx, run); err != nil {
				return statstore.ValidationMerge{}, err
			}
		}
	}
	return m.Store.MergeValidationScores(ctx, run, scores)
}

func (m *mutant) RetrieveTrainingStats(ctx context.Context, run string) (*statstore.TrainingStats, error) {
	if m.kind == "no-closed-check" && m.closed {
		return &statstore.TrainingStats{}, nil
	}
	run = m.name(run)
	got, err := m.Store.RetrieveTrainingStats(ctx, run)
	if m.kind == "unknown-run-error" && err == nil && got.Len() == 0 {
		return nil, fmt.Errorf("run %q: %w", run, statstore.ErrNotFound)
	}
	return got, err
}

func (m *mutant) RetrieveValidationIterationScores(ctx context.Context, run string) ([]statstore.ValidationIterationScores, error) {
	return m.Store.RetrieveValidationIterationScores(ctx, m.name(run))
}

func (m *mutant) RetrieveValidationScores(ctx context.Context, run string) (*statstore.ValidationScores, error) {
	got, err := m.Store.RetrieveValidationScores(ctx, m.name(run))
	m.mu.Lock()
	meta, ok := m.meta[run]
	m.mu.Unlock()
	if ok && err == nil && len(got.Scores) > 0 {
		got.Metadata = meta
	}
	return got, err
}

func (m *mutant) DeleteTrainingStats(ctx context.Context, run string) error {
	return m.Store.DeleteTrainingStats(ctx, m.name(run))
}

func (m *mutant) DeleteValidationScores(ctx context.Context, run string) error {
	return m.Store.DeleteValidationScores(ctx, m.name(run))
}

func (m *mutant) DeleteRun(ctx context.Context, run string) error {
	if m.kind == "delete-accepts-bad-name" && statstore.ValidateRunName(run) != nil {
		return nil
	}
	return m.Store.DeleteRun(ctx, m.name(run))
}

func (m *mutant) ListRuns(ctx context.Context) ([]statstore.RunInfo, error) {
	runs, err := m.Store.ListRuns(ctx)
	if m.kind == "list-unsorted" {
		slices.Reverse(runs)
	}
	return runs, err
}

func (m *mutant) RetrieveTrainingRange(ctx context.Context, run string, r statstore.IterationRange) (*statstore.TrainingStats, error) {
	if m.kind == "range-to-inclusive" && r.To != 0 {
		r.To++
	}
	return m.Store.RetrieveTrainingRange(ctx, m.name(run), r)
}

func (m *mutant) SubsampleTraining(ctx context.Context, run string, opts statstore.SubsampleOptions) ([]statstore.TrainingIterationStats, error) {
	got, err := m.Store.SubsampleTraining(ctx, m.name(run), opts)
	if m.kind == "subsample-drops-last" && len(got) > 2 {
		got = got[:len(got)-1]
	}
	return got, err
}
