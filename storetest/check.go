package storetest

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/statstore/statstore"
)

// sentinels are the root errors a store call may wrap, in the order
// errorClass tries them.
var sentinels = []error{
	statstore.ErrInvalidRunName,
	statstore.ErrMetadataMismatch,
	statstore.ErrDuplicateIteration,
	statstore.ErrOutOfOrder,
	statstore.ErrShapeMismatch,
	statstore.ErrInvalidArgument,
	statstore.ErrNotFound,
	statstore.ErrReadOnly,
	statstore.ErrClosed,
	statstore.ErrCorrupt,
}

// errorClass names the first sentinel err wraps: "nil" for nil and
// "unclassified" for an error that wraps none.
func errorClass(err error) string {
	if err == nil {
		return "nil"
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return "unclassified"
}

// wantErr fails unless err wraps target.
func (e *env) wantErr(what string, err, target error) {
	e.t.Helper()
	if !errors.Is(err, target) {
		e.t.Errorf("%s: got error %v, want an error wrapping %q", what, err, target)
	}
}

// ok fails the test now if err is not nil.
func (e *env) ok(what string, err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("%s: got error %v, want nil", what, err)
	}
}

// storeTraining stores stats, which must succeed.
func (e *env) storeTraining(run string, stats *statstore.TrainingStats) {
	e.t.Helper()
	e.ok(fmt.Sprintf("StoreTrainingStats(%q, %s)", run, fmtTraining(stats)), e.s.StoreTrainingStats(e.ctx, run, stats))
}

// storeScores stores scores, which must succeed.
func (e *env) storeScores(run string, scores *statstore.ValidationScores) {
	e.t.Helper()
	e.ok(fmt.Sprintf("StoreValidationIterationScores(%q, %s)", run, fmtScoresArg(scores)), e.s.StoreValidationIterationScores(e.ctx, run, scores))
}

// training retrieves the run's training entries, which must succeed and be
// strictly increasing.
func (e *env) training(run string) []statstore.TrainingIterationStats {
	e.t.Helper()
	got, err := e.s.RetrieveTrainingStats(e.ctx, run)
	e.ok(fmt.Sprintf("RetrieveTrainingStats(%q)", run), err)
	if got == nil {
		e.t.Fatalf("RetrieveTrainingStats(%q): got nil stats, want non-nil (empty for an unknown run)", run)
	}
	if err := got.Validate(); err != nil {
		e.t.Errorf("RetrieveTrainingStats(%q): got invalid stats (%v), want strictly increasing iterations", run, err)
	}
	e.wantAppended(run, got.IterationStats)
	return got.IterationStats
}

// wantAppended fails unless statstore.AppendTrainingStats (the store's own
// when it is a statstore.TrainingAppender) appends want, bit-exactly, to a
// slice holding entries of the caller's, keeping them: once into spare
// capacity that holds stale entries, once into a slice too small.
func (e *env) wantAppended(run string, want []statstore.TrainingIterationStats) {
	e.t.Helper()
	mine := []statstore.TrainingIterationStats{{Iteration: -7, Loss: 7, Time: 7}, {Iteration: -3, Loss: math.NaN(), Time: 3}}
	roomy := make([]statstore.TrainingIterationStats, len(mine), len(mine)+len(want)+5)
	copy(roomy, mine)
	for i := len(mine); i < cap(roomy); i++ {
		roomy[:cap(roomy)][i] = statstore.TrainingIterationStats{Iteration: 1 << 40, Loss: -1, Time: -1} // stale
	}
	for _, dst := range [][]statstore.TrainingIterationStats{roomy, slices.Clip(slices.Clone(mine))} {
		got, err := statstore.AppendTrainingStats(e.ctx, e.s, run, dst)
		e.ok(fmt.Sprintf("AppendTrainingStats(%q) to %d entries with room for %d more", run, len(dst), cap(dst)-len(dst)), err)
		if len(got) < len(mine) || diffTraining(got[:len(mine)], mine) != "" {
			e.t.Fatalf("AppendTrainingStats(%q): the caller's %d entries were changed: got %v", run, len(mine), got[:min(len(got), len(mine))])
		}
		if d := diffTraining(got[len(mine):], want); d != "" {
			e.t.Fatalf("AppendTrainingStats(%q) and RetrieveTrainingStats disagree: %s", run, d)
		}
	}
}

// validation retrieves the run's validation scores with both retrieve
// methods, which must succeed and agree.
func (e *env) validation(run string) *statstore.ValidationScores {
	e.t.Helper()
	got, err := e.s.RetrieveValidationScores(e.ctx, run)
	e.ok(fmt.Sprintf("RetrieveValidationScores(%q)", run), err)
	if got == nil {
		e.t.Fatalf("RetrieveValidationScores(%q): got nil, want non-nil (empty for an unknown run)", run)
	}
	entries, err := e.s.RetrieveValidationIterationScores(e.ctx, run)
	e.ok(fmt.Sprintf("RetrieveValidationIterationScores(%q)", run), err)
	if d := diffScores(entries, got.Scores); d != "" {
		e.t.Errorf("run %q: RetrieveValidationIterationScores and RetrieveValidationScores disagree: %s", run, d)
	}
	if len(got.Scores) > 0 {
		if err := got.Validate(); err != nil {
			e.t.Errorf("RetrieveValidationScores(%q): got invalid scores (%v), want sorted, unique entries that fit the metadata", run, err)
		}
	}
	return got
}

// wantTraining fails unless the run's training entries are want, bit-exactly.
func (e *env) wantTraining(run string, want []statstore.TrainingIterationStats) {
	e.t.Helper()
	if d := diffTraining(e.training(run), want); d != "" {
		e.t.Errorf("run %q: training stats: %s", run, d)
	}
}

// wantScores fails unless the run's validation scores are want with
// metadata meta (ignored when want is empty: an empty run has no metadata).
func (e *env) wantScores(run string, meta statstore.Metadata, want []statstore.ValidationIterationScores) {
	e.t.Helper()
	got := e.validation(run)
	if d := diffScores(got.Scores, want); d != "" {
		e.t.Errorf("run %q: validation scores: %s", run, d)
	}
	if len(want) > 0 && !got.Metadata.Equal(meta) {
		e.t.Errorf("run %q: validation metadata: got %s, want %s (%s)", run, fmtMeta(got.Metadata), fmtMeta(meta), got.Metadata.Diff(meta))
	}
}

// snapshot is everything stored for one run.
type snapshot struct {
	training []statstore.TrainingIterationStats
	scores   *statstore.ValidationScores
}

func (e *env) snapshot(run string) snapshot {
	e.t.Helper()
	return snapshot{training: e.training(run), scores: e.validation(run)}
}

// wantUnchanged fails unless the run still holds what snap recorded.
func (e *env) wantUnchanged(run string, snap snapshot, after string) {
	e.t.Helper()
	if d := diffTraining(e.training(run), snap.training); d != "" {
		e.t.Errorf("run %q after %s: training stats changed: %s", run, after, d)
	}
	got := e.validation(run)
	if d := diffScores(got.Scores, snap.scores.Scores); d != "" {
		e.t.Errorf("run %q after %s: validation scores changed: %s", run, after, d)
	}
	if len(snap.scores.Scores) > 0 && !got.Metadata.Equal(snap.scores.Metadata) {
		e.t.Errorf("run %q after %s: validation metadata changed: got %s, want %s", run, after, fmtMeta(got.Metadata), fmtMeta(snap.scores.Metadata))
	}
}

// wantRuns fails unless ListRuns gives want.
func (e *env) wantRuns(want ...statstore.RunInfo) {
	e.t.Helper()
	got, err := e.s.ListRuns(e.ctx)
	e.ok("ListRuns", err)
	if got := withoutLastWrite(got); !slices.Equal(got, want) {
		e.t.Errorf("ListRuns: got %+v, want %+v", got, want)
	}
}

// withoutLastWrite returns runs with LastWrite zeroed: the times are the
// stores' clocks', checked by lastWriteTests, not compared between stores.
func withoutLastWrite(runs []statstore.RunInfo) []statstore.RunInfo {
	out := slices.Clone(runs)
	for i := range out {
		out[i].LastWrite = time.Time{}
	}
	return out
}

// sameFloat reports bit-exact equality (NaN payloads and the sign of zero
// included).
func sameFloat(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

func sameEntry(a, b statstore.TrainingIterationStats) bool {
	return a.Iteration == b.Iteration && sameFloat(a.Loss, b.Loss) && sameFloat(a.Time, b.Time)
}

// diffTraining describes how got differs from want, bit-exactly; "" when
// they are equal.
func diffTraining(got, want []statstore.TrainingIterationStats) string {
	n := min(len(got), len(want))
	for i := 0; i < n; i++ {
		if !sameEntry(got[i], want[i]) {
			return fmt.Sprintf("entry %d: got %s, want %s (got %s, want %s)", i, fmtEntry(got[i]), fmtEntry(want[i]), fmtEntries(got), fmtEntries(want))
		}
	}
	if len(got) != len(want) {
		return fmt.Sprintf("got %d entries %s, want %d entries %s", len(got), fmtEntries(got), len(want), fmtEntries(want))
	}
	return ""
}

// diffScores describes how got differs from want, bit-exactly; "" when they
// are equal.
func diffScores(got, want []statstore.ValidationIterationScores) string {
	n := min(len(got), len(want))
	for i := 0; i < n; i++ {
		if !got[i].Equal(want[i]) {
			return fmt.Sprintf("entry %d: got iteration %d %v, want iteration %d %v (iterations: got %v, want %v)",
				i, got[i].Iteration, fmtArray(got[i].Scores), want[i].Iteration, fmtArray(want[i].Scores), scoreIters(got), scoreIters(want))
		}
	}
	if len(got) != len(want) {
		return fmt.Sprintf("got %d entries at iterations %v, want %d at %v", len(got), scoreIters(got), len(want), scoreIters(want))
	}
	return ""
}

func scoreIters(s []statstore.ValidationIterationScores) []int {
	out := make([]int, len(s))
	for i, e := range s {
		out[i] = e.Iteration
	}
	return out
}

// fmtFloat prints a float with its bits when printing alone would hide a
// difference (NaN payloads, -0).
func fmtFloat(f float64) string {
	if math.IsNaN(f) || f == 0 {
		return fmt.Sprintf("%v(%#016x)", f, math.Float64bits(f))
	}
	return fmt.Sprint(f)
}

func fmtEntry(s statstore.TrainingIterationStats) string {
	return fmt.Sprintf("{it %d loss %s time %s}", s.Iteration, fmtFloat(s.Loss), fmtFloat(s.Time))
}

// fmtEntries prints the iterations of at most 12 entries.
func fmtEntries(s []statstore.TrainingIterationStats) string {
	its := make([]string, 0, 13)
	for i, e := range s {
		if len(s) > 12 && i == 6 {
			its = append(its, "...")
		}
		if len(s) <= 12 || i < 6 || i >= len(s)-6 {
			its = append(its, fmt.Sprint(e.Iteration))
		}
	}
	return "[" + strings.Join(its, " ") + "]"
}

func fmtTraining(t *statstore.TrainingStats) string {
	if t == nil {
		return "nil"
	}
	return "iterations " + fmtEntries(t.IterationStats)
}

func fmtScoresArg(v *statstore.ValidationScores) string {
	if v == nil {
		return "nil"
	}
	return fmt.Sprintf("iterations %v", scoreIters(v.Scores))
}

func fmtArray(a [][][]float64) string {
	var parts []string
	for _, d := range a {
		for _, p := range d {
			for _, x := range p {
				parts = append(parts, fmtFloat(x))
			}
		}
	}
	if len(parts) > 8 {
		parts = append(parts[:8], "...")
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func fmtMeta(m statstore.Metadata) string {
	return fmt.Sprintf("{datasets %v parameters %v criteria %v}", m.Datasets, m.ParameterDisplayNames(), m.Criteria())
}
