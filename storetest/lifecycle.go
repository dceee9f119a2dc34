package storetest

import (
	"slices"
	"strings"

	"github.com/statstore/statstore"
)

// unknownTests check that an unknown run reads as empty and deletes without
// error, and that reading it does not create it.
func unknownTests() []test {
	return []test{
		{"RetrieveIsEmpty", func(e *env) {
			e.storeTraining("other", Training(0, 1))
			e.storeScores("other", Scores(Metadata(), 0))
			e.wantTraining("never-stored", nil)
			v := e.validation("never-stored")
			if len(v.Scores) != 0 || !v.Metadata.IsZero() {
				e.t.Errorf("RetrieveValidationScores of an unknown run: got metadata %s and %d entries, want zero metadata and none", fmtMeta(v.Metadata), len(v.Scores))
			}
			r, err := e.s.RetrieveTrainingRange(e.ctx, "never-stored", statstore.IterationRange{From: 0, To: 10})
			e.ok("RetrieveTrainingRange of an unknown run", err)
			if r == nil || r.Len() != 0 {
				e.t.Errorf("RetrieveTrainingRange of an unknown run: got %s, want empty stats", fmtTraining(r))
			}
			sub, err := e.s.SubsampleTraining(e.ctx, "never-stored", statstore.SubsampleOptions{})
			e.ok("SubsampleTraining of an unknown run", err)
			if len(sub) != 0 {
				e.t.Errorf("SubsampleTraining of an unknown run: got %d entries, want none", len(sub))
			}
			e.wantRuns(statstore.RunInfo{Run: "other", TrainedUntil: 2, TrainingIterations: 2, ValidatedUntil: 1, ValidationIterations: 1})
		}},
		{"DeleteIsNoError", func(e *env) {
			e.ok("DeleteTrainingStats of an unknown run", e.s.DeleteTrainingStats(e.ctx, "never-stored"))
			e.ok("DeleteValidationScores of an unknown run", e.s.DeleteValidationScores(e.ctx, "never-stored"))
			e.ok("DeleteRun of an unknown run", e.s.DeleteRun(e.ctx, "never-stored"))
			e.wantRuns()
		}},
		{"DeleteTwice", func(e *env) {
			e.storeTraining("run", Training(0, 1))
			e.storeScores("run", Scores(Metadata(), 0))
			for range 2 {
				e.ok("DeleteRun", e.s.DeleteRun(e.ctx, "run"))
				e.ok("DeleteTrainingStats", e.s.DeleteTrainingStats(e.ctx, "run"))
				e.ok("DeleteValidationScores", e.s.DeleteValidationScores(e.ctx, "run"))
			}
			e.wantRuns()
		}},
	}
}

// deleteTests check DeleteTrainingStats, DeleteValidationScores and
// DeleteRun: each removes what it names, only for its run, and the run can
// be stored again afterwards as a new one.
func deleteTests() []test {
	m := Metadata()
	// setup stores training and validation for runs "a" and "b".
	setup := func(e *env) {
		for v, run := range []string{"a", "b"} {
			e.storeTraining(run, TrainingVersion(v, Iters(0, 10, 1)...))
			e.storeScores(run, ScoresVersion(m, v, 0, 5))
		}
	}
	wantB := func(e *env) {
		e.wantTraining("b", Entries(1, Iters(0, 10, 1)...))
		e.wantScores("b", m, entries(m, 1, 0, 5))
	}
	return []test{
		{"TrainingStats", func(e *env) {
			setup(e)
			e.ok("DeleteTrainingStats", e.s.DeleteTrainingStats(e.ctx, "a"))
			e.wantTraining("a", nil)
			e.wantScores("a", m, entries(m, 0, 0, 5))
			wantB(e)
			e.wantRuns(
				statstore.RunInfo{Run: "a", ValidatedUntil: 6, ValidationIterations: 2},
				statstore.RunInfo{Run: "b", TrainedUntil: 10, TrainingIterations: 10, ValidatedUntil: 6, ValidationIterations: 2})
			// After a delete the run starts afresh: a short history is
			// stored as it is, not compared with the deleted one.
			e.storeTraining("a", TrainingVersion(2, 0, 1))
			e.wantTraining("a", Entries(2, 0, 1))
		}},
		{"ValidationScores", func(e *env) {
			setup(e)
			e.ok("DeleteValidationScores", e.s.DeleteValidationScores(e.ctx, "a"))
			e.wantScores("a", statstore.Metadata{}, nil)
			if v := e.validation("a"); !v.Metadata.IsZero() {
				e.t.Errorf("metadata after DeleteValidationScores: got %s, want zero metadata", fmtMeta(v.Metadata))
			}
			e.wantTraining("a", Entries(0, Iters(0, 10, 1)...))
			wantB(e)
			// The metadata went with the scores: other metadata is now
			// accepted, and an earlier iteration is stored as it is.
			other := otherMetadata()
			e.storeScores("a", ScoresVersion(other, 2, 1))
			e.wantScores("a", other, entries(other, 2, 1))
		}},
		{"Run", func(e *env) {
			setup(e)
			e.ok("DeleteRun", e.s.DeleteRun(e.ctx, "a"))
			e.wantTraining("a", nil)
			e.wantScores("a", statstore.Metadata{}, nil)
			wantB(e)
			e.wantRuns(statstore.RunInfo{Run: "b", TrainedUntil: 10, TrainingIterations: 10, ValidatedUntil: 6, ValidationIterations: 2})
			e.storeTraining("a", TrainingVersion(3, 0))
			e.storeScores("a", ScoresVersion(otherMetadata(), 3, 0))
			e.wantTraining("a", Entries(3, 0))
			e.wantScores("a", otherMetadata(), entries(otherMetadata(), 3, 0))
		}},
		{"BothKindsLeavesNoRun", func(e *env) {
			setup(e)
			e.ok("DeleteTrainingStats", e.s.DeleteTrainingStats(e.ctx, "a"))
			e.ok("DeleteValidationScores", e.s.DeleteValidationScores(e.ctx, "a"))
			e.wantRuns(statstore.RunInfo{Run: "b", TrainedUntil: 10, TrainingIterations: 10, ValidatedUntil: 6, ValidationIterations: 2})
		}},
	}
}

// listTests check ListRuns: sorted by name byte-wise (Go's string order,
// not a locale's collation), with each run's counts and reach, including
// runs that hold only one kind of data.
func listTests() []test {
	return []test{
		{"Empty", func(e *env) { e.wantRuns() }},
		{"SortedWithCounts", func(e *env) {
			m := Metadata()
			// Stored out of order; byte order puts upper case before lower
			// case and ASCII before other UTF-8.
			e.storeTraining("b-run", Training(Iters(0, 100, 10)...))
			e.storeScores("b-run", Scores(m, 0, 50, 90))
			e.storeScores("B-validation-only", Scores(m, 3, 7))
			e.storeTraining("a-training-only", Training(5, 6, 7))
			e.storeTraining("é-unicode", Training(0))
			e.storeTraining("z", Training(0, 1))
			want := []statstore.RunInfo{
				{Run: "B-validation-only", ValidatedUntil: 8, ValidationIterations: 2},
				{Run: "a-training-only", TrainedUntil: 8, TrainingIterations: 3},
				{Run: "b-run", TrainedUntil: 91, TrainingIterations: 10, ValidatedUntil: 91, ValidationIterations: 3},
				{Run: "z", TrainedUntil: 2, TrainingIterations: 2},
				{Run: "é-unicode", TrainedUntil: 1, TrainingIterations: 1},
			}
			if !slices.IsSortedFunc(want, func(a, b statstore.RunInfo) int { return strings.Compare(a.Run, b.Run) }) {
				e.t.Fatal("test bug: want is not sorted")
			}
			e.wantRuns(want...)
		}},
		{"FollowsWrites", func(e *env) {
			m := Metadata()
			e.storeTraining("run", Training(Iters(0, 10, 1)...))
			e.wantRuns(statstore.RunInfo{Run: "run", TrainedUntil: 10, TrainingIterations: 10})
			e.storeTraining("run", Training(Iters(0, 20, 2)...)) // appends 10..18
			e.wantRuns(statstore.RunInfo{Run: "run", TrainedUntil: 19, TrainingIterations: 15})
			e.storeTraining("run", Training(0, 3)) // replaces
			e.wantRuns(statstore.RunInfo{Run: "run", TrainedUntil: 4, TrainingIterations: 2})
			e.storeScores("run", Scores(m, 0, 10))
			e.storeScores("run", Scores(m, 5, 20)) // 5 is late
			e.wantRuns(statstore.RunInfo{Run: "run", TrainedUntil: 4, TrainingIterations: 2, ValidatedUntil: 21, ValidationIterations: 4})
			e.storeScores("run", Scores(m, 1)) // merged: late
			e.wantRuns(statstore.RunInfo{Run: "run", TrainedUntil: 4, TrainingIterations: 2, ValidatedUntil: 21, ValidationIterations: 5})
			e.ok("DeleteValidationAfter", e.s.DeleteValidationAfter(e.ctx, "run", 5))
			e.wantRuns(statstore.RunInfo{Run: "run", TrainedUntil: 4, TrainingIterations: 2, ValidatedUntil: 2, ValidationIterations: 2})
		}},
	}
}

// isolationTests check that many runs do not see each other's data.
func isolationTests() []test {
	return []test{
		{"ManyRuns", func(e *env) {
			const n = 20
			m := Metadata()
			names := make([]string, n)
			for i := range names {
				names[i] = string(rune('a'+i%26)) + "-run-" + strings.Repeat("x", i)
			}
			iters := func(i int) []int { return Iters(i, 10+3*i, i%3+1) }
			for i, run := range names {
				e.storeTraining(run, TrainingVersion(i, iters(i)...))
				if i%2 == 0 {
					e.storeScores(run, ScoresVersion(m, i, i, 2*i+1))
				}
			}
			// Delete some, in various ways; the others must be intact.
			e.ok("DeleteRun", e.s.DeleteRun(e.ctx, names[3]))
			e.ok("DeleteTrainingStats", e.s.DeleteTrainingStats(e.ctx, names[4]))
			e.ok("DeleteValidationScores", e.s.DeleteValidationScores(e.ctx, names[6]))
			var want []statstore.RunInfo
			for i, run := range names {
				wantT := Entries(i, iters(i)...)
				var wantV []statstore.ValidationIterationScores
				if i%2 == 0 {
					wantV = entries(m, i, i, 2*i+1)
				}
				switch i {
				case 3:
					wantT, wantV = nil, nil
				case 4:
					wantT = nil
				case 6:
					wantV = nil
				}
				e.wantTraining(run, wantT)
				e.wantScores(run, m, wantV)
				if len(wantT)+len(wantV) > 0 {
					info := statstore.RunInfo{Run: run, TrainingIterations: len(wantT), ValidationIterations: len(wantV)}
					if len(wantT) > 0 {
						info.TrainedUntil = wantT[len(wantT)-1].Iteration + 1
					}
					if len(wantV) > 0 {
						info.ValidatedUntil = wantV[len(wantV)-1].Iteration + 1
					}
					want = append(want, info)
				}
			}
			sortRuns(want)
			e.wantRuns(want...)
		}},
		{"PrefixNames", func(e *env) {
			// Names that are prefixes of each other, or differ only in
			// case, must not share storage.
			names := []string{"run", "run1", "run10", "Run", "RUN", "ru"}
			for i, run := range names {
				e.storeTraining(run, TrainingVersion(i, 0, i+1))
			}
			e.ok("DeleteRun", e.s.DeleteRun(e.ctx, "run1"))
			for i, run := range names {
				var want []statstore.TrainingIterationStats
				if run != "run1" {
					want = Entries(i, 0, i+1)
				}
				e.wantTraining(run, want)
			}
		}},
	}
}

// sortRuns sorts run infos by name, byte-wise.
func sortRuns(r []statstore.RunInfo) {
	slices.SortFunc(r, func(a, b statstore.RunInfo) int { return strings.Compare(a.Run, b.Run) })
}
