package statstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"math"
	"reflect"
	"slices"
	"time"
)

// RunSummary is what listing a run shows without reading its history: the
// RunInfo counts and last write, the last and the minimum training loss,
// the best value per dataset × criterion, the health flags, the tags and a
// digest of the run's metadata. Stores that implement Summarizer keep it
// up to date on every write, in the same atomic step; Summarize computes
// it from a history and is the reference they are tested against.
type RunSummary struct {
	RunInfo
	// LastLoss is the loss of the last training entry, NaN without
	// training stats.
	LastLoss float64
	// MinLoss is the lowest loss that is not NaN (NaN when every loss is
	// NaN or there are none); MinLossIteration is where it was first seen
	// (-1 when MinLoss is NaN).
	MinLoss          float64
	MinLossIteration int
	// Best holds one line per dataset × criterion (dataset-major, in the
	// metadata's axis order), as ValidationScores.BestReport finds it:
	// superseded entries left out, each criterion by its own direction, a
	// criterion of unknown direction with DirectionUnknown set and nothing
	// found.
	Best []Best
	// LastValidated is the last iteration with current (not superseded)
	// scores, -1 when none; ValidationEvery is the spacing of the current
	// validated checkpoints (the gcd of their iterations, 0 when none).
	// They keep the validation lag flag up to date as training goes on.
	LastValidated   int
	ValidationEvery int
	// Health holds the kinds of the health findings kept in a summary (see
	// SummaryHealth), worst first; empty for a healthy run.
	Health []string
	// Tags are the run's tags (RunMeta.Tags), nil when it has none.
	Tags map[string]string
	// MetaDigest is MetaDigest(the run's RunMeta): empty when it has none.
	MetaDigest string
}

// Summarizer is implemented by stores that keep a RunSummary per run, so
// that listing runs with their best values, filtered, sorted and paged,
// reads no history.
type Summarizer interface {
	// RunSummaries returns the page of the summaries q selects.
	RunSummaries(ctx context.Context, q RunQuery) (RunPage, error)
}

// RunPage is one page of run summaries: Runs, in the query's order, are
// the ones at Offset.. of the Total runs the filter selected. Limit is
// the query's limit (0: no limit).
type RunPage struct {
	Runs   []RunSummary
	Total  int
	Offset int
	Limit  int
}

// Summarize computes the summary of a run from its history: training and v
// may be nil. LastWrite, Tags and MetaDigest are left for the caller
// (the store's clock; SetMeta).
func Summarize(run string, training *TrainingStats, v *ValidationScores) RunSummary {
	s := RunSummary{RunInfo: RunInfo{Run: run}, LastLoss: math.NaN(), MinLoss: math.NaN(), MinLossIteration: -1, LastValidated: -1}
	if training != nil {
		s.AppendTraining(training.IterationStats)
	}
	s.SetValidation(v)
	return s
}

// AppendTraining updates s with training entries appended after the ones
// it summarises (their iterations above s.TrainedUntil-1): O(len(entries)).
// The validation part of the health flags is brought up to date too.
func (s *RunSummary) AppendTraining(entries []TrainingIterationStats) {
	if len(entries) == 0 {
		return
	}
	if s.TrainingIterations == 0 {
		s.LastLoss, s.MinLoss, s.MinLossIteration = math.NaN(), math.NaN(), -1
	}
	nonFinite := s.TrainingIterations > 0 && slices.Contains(s.Health, FindingNonFiniteLoss)
	for _, e := range entries {
		if !math.IsNaN(e.Loss) && (math.IsNaN(s.MinLoss) || e.Loss < s.MinLoss) {
			s.MinLoss, s.MinLossIteration = e.Loss, e.Iteration
		}
	}
	if _, ok := nonFiniteLoss(entries); ok {
		nonFinite = true
	}
	last := entries[len(entries)-1]
	s.LastLoss = last.Loss
	s.TrainingIterations += len(entries)
	s.TrainedUntil = last.Iteration + 1
	s.Health = s.health(nonFinite, slices.Contains(s.Health, FindingPlateau))
}

// SetValidation replaces the validation part of s with what v holds (nil:
// no validation scores): counts, best values and the health flags that
// depend on it. O(len(v.Scores)), with no training history needed.
func (s *RunSummary) SetValidation(v *ValidationScores) {
	s.ValidatedUntil, s.ValidationIterations, s.Best = 0, 0, nil
	s.LastValidated, s.ValidationEvery = -1, 0
	plateaued := false
	if v != nil && len(v.Scores) > 0 {
		s.ValidatedUntil, s.ValidationIterations = v.ValidatedUntil(), len(v.Scores)
		s.Best = v.BestReport().PerDataset
		cur, _ := v.Current()
		for _, e := range cur.Scores {
			s.ValidationEvery = gcd(s.ValidationEvery, e.Iteration)
		}
		if n := len(cur.Scores); n > 0 {
			s.LastValidated = cur.Scores[n-1].Iteration
		}
		_, plateaued = plateau(cur, HealthOptions{}.withDefaults().Plateau)
	}
	s.Health = s.health(slices.Contains(s.Health, FindingNonFiniteLoss), plateaued)
}

// SetMeta sets s's Tags and MetaDigest from the run's metadata.
func (s *RunSummary) SetMeta(m RunMeta) {
	s.Tags = maps.Clone(m.Tags)
	if len(s.Tags) == 0 {
		s.Tags = nil
	}
	s.MetaDigest = MetaDigest(m)
}

// MetaDigest returns a short hex digest of m (its configuration in
// CompactRunConfig's form and its tags), so that two runs' metadata can
// be told equal without reading them; empty for zero metadata.
func MetaDigest(m RunMeta) string {
	if m.IsZero() {
		return ""
	}
	h := sha256.New()
	if c, err := CompactRunConfig(m.Config); err == nil {
		h.Write(c)
	} else {
		h.Write(m.Config)
	}
	h.Write([]byte{0})
	for _, k := range slices.Sorted(maps.Keys(m.Tags)) {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(m.Tags[k]))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// AttachRunMeta sets the Tags and MetaDigest of sums from s's run metadata
// when s implements RunMetaStore (and leaves them as they are otherwise),
// one RetrieveRunMeta per run. It is what a store's summaries must equal;
// a store may get the same faster (the file store lists its metadata
// files once and caches them by file stamp).
func AttachRunMeta(ctx context.Context, s any, sums []RunSummary) error {
	ms, ok := s.(RunMetaStore)
	if !ok {
		return nil
	}
	for i := range sums {
		m, err := ms.RetrieveRunMeta(ctx, sums[i].Run)
		if err != nil {
			return err
		}
		sums[i].SetMeta(m)
	}
	return nil
}

// SummaryHealth lists the kinds of health findings a summary keeps, the
// ones that can be kept up to date from appended entries and the merged
// validation scores alone, with CheckHealth's default options:
// FindingNonFiniteLoss (some loss was NaN or ±Inf), FindingValidationLag
// and FindingPlateau. FindingDiverging needs the medians of the whole
// history and FindingStalled the time of asking: `statstore check` reports
// them.
func SummaryHealth() []string {
	return []string{FindingNonFiniteLoss, FindingValidationLag, FindingPlateau}
}

// health returns the summary's flags, in SummaryHealth's order, from
// nonFinite, plateau and the lag of training behind LastValidated.
func (s *RunSummary) health(nonFinite, plateau bool) []string {
	var out []string
	if nonFinite {
		out = append(out, FindingNonFiniteLoss)
	}
	if s.TrainingIterations > 0 && s.LastValidated >= 0 {
		o := HealthOptions{}.withDefaults()
		last := []TrainingIterationStats{{Iteration: s.TrainedUntil - 1, Loss: s.LastLoss}}
		cur := &ValidationScores{Scores: []ValidationIterationScores{{Iteration: s.LastValidated}}}
		if _, ok := validationLag(last, cur, o.Lag, s.ValidationEvery); ok {
			out = append(out, FindingValidationLag)
		}
	}
	if plateau {
		out = append(out, FindingPlateau)
	}
	return out
}

// SummarizeRun reads run's history from s and summarises it (Summarize),
// with the LastWrite s.ListRuns would report left to the caller.
func SummarizeRun(ctx context.Context, s StatsStore, run string) (RunSummary, error) {
	ts, err := s.RetrieveTrainingStats(ctx, run)
	if err != nil {
		return RunSummary{}, err
	}
	v, err := s.RetrieveValidationScores(ctx, run)
	if err != nil {
		return RunSummary{}, err
	}
	return Summarize(run, ts, v), nil
}

// ListRunSummaries answers q from s: through s's own summaries when it
// implements Summarizer, else by summarising every listed run's history
// (a store that keeps no summaries, such as a DaCapo directory).
func ListRunSummaries(ctx context.Context, s StatsStore, q RunQuery) (RunPage, error) {
	if sm, ok := s.(Summarizer); ok {
		return sm.RunSummaries(ctx, q)
	}
	if err := q.Validate(); err != nil {
		return RunPage{}, err
	}
	infos, err := s.ListRuns(ctx)
	if err != nil {
		return RunPage{}, err
	}
	sums := make([]RunSummary, 0, len(infos))
	for _, info := range infos {
		sum, err := SummarizeRun(ctx, s, info.Run)
		if err != nil {
			return RunPage{}, err
		}
		sum.LastWrite = info.LastWrite
		sums = append(sums, sum)
	}
	if err := AttachRunMeta(ctx, s, sums); err != nil {
		return RunPage{}, err
	}
	return q.Apply(sums)
}

// EqualSummaries reports whether a and b summarise the same: every field
// but LastWrite equal, NaN equal to NaN, nil and empty lists alike. Tests
// of the stores compare kept summaries with Summarize's by it.
func EqualSummaries(a, b RunSummary) bool {
	a.LastWrite, b.LastWrite = time.Time{}, time.Time{}
	if !sameFloat(a.LastLoss, b.LastLoss) || !sameFloat(a.MinLoss, b.MinLoss) || len(a.Best) != len(b.Best) ||
		!slices.Equal(a.Health, b.Health) || !maps.Equal(a.Tags, b.Tags) {
		return false
	}
	for i := range a.Best {
		x, y := a.Best[i], b.Best[i]
		if !sameFloat(x.Value, y.Value) {
			return false
		}
		x.Value, y.Value = 0, 0
		if x != y {
			return false
		}
	}
	a.LastLoss, a.MinLoss, a.Best, a.Health, a.Tags = 0, 0, nil, nil, nil
	b.LastLoss, b.MinLoss, b.Best, b.Health, b.Tags = 0, 0, nil, nil, nil
	return reflect.DeepEqual(a, b)
}
