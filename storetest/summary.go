package storetest

import (
	"slices"

	"github.com/statstore/statstore"
)

// wantSummaries fails unless the summaries s keeps (when it implements
// statstore.Summarizer) are exactly the runs ListRuns lists, each equal
// (statstore.EqualSummaries) to statstore.Summarize of the history s
// returns, with ListRuns' LastWrite. The model sequences call it after
// every operation; store packages call it after kills and crashes.
func (e *env) wantSummaries(after string) {
	e.t.Helper()
	sm, ok := e.s.(statstore.Summarizer)
	if !ok {
		return
	}
	page, err := sm.RunSummaries(e.ctx, statstore.RunQuery{})
	e.ok("RunSummaries", err)
	infos, err := e.s.ListRuns(e.ctx)
	e.ok("ListRuns", err)
	if page.Total != len(infos) || len(page.Runs) != len(infos) {
		e.t.Fatalf("after %s: RunSummaries holds %d runs (total %d), ListRuns %d", after, len(page.Runs), page.Total, len(infos))
	}
	for i, info := range infos {
		got := page.Runs[i]
		want, err := statstore.SummarizeRun(e.ctx, e.s, info.Run)
		e.ok("SummarizeRun", err)
		want.LastWrite = info.LastWrite
		want.Tags, want.MetaDigest = got.Tags, got.MetaDigest // metadata: checked by the metadata tests
		if !statstore.EqualSummaries(got, want) || got.RunInfo != info {
			e.t.Fatalf("after %s: run %q: kept summary\n%+v\nwant (recomputed from the history)\n%+v\nListRuns: %+v", after, info.Run, got, want, info)
		}
	}
}

// summaryTests check RunSummaries' filter, sort and paging on a store that
// implements statstore.Summarizer, and that its summaries follow every
// kind of write.
func summaryTests() []test {
	return []test{
		{"FollowsWrites", func(e *env) {
			if !e.summarizer() {
				return
			}
			m := Metadata()
			for _, w := range []struct {
				what  string
				write func() error
			}{
				{"first training stats", func() error { return e.s.StoreTrainingStats(e.ctx, "run", Training(0, 1, 2)) }},
				{"an append", func() error { return e.s.StoreTrainingStats(e.ctx, "run", Training(0, 1, 2, 3, 4)) }},
				{"first validation", func() error { return e.s.StoreValidationIterationScores(e.ctx, "run", Scores(m, 0, 2, 4)) }},
				{"a replace (rewind)", func() error { return e.s.StoreTrainingStats(e.ctx, "run", TrainingVersion(1, 0, 1)) }},
				{"a re-validation", func() error { return e.s.StoreValidationIterationScores(e.ctx, "run", ScoresVersion(m, 2, 4)) }},
				{"DeleteValidationAfter", func() error { return e.s.DeleteValidationAfter(e.ctx, "run", 3) }},
				{"DeleteTrainingStats", func() error { return e.s.DeleteTrainingStats(e.ctx, "run") }},
				{"another run", func() error { return e.s.StoreTrainingStats(e.ctx, "other", Training(0, 5)) }},
				{"DeleteValidationScores", func() error { return e.s.DeleteValidationScores(e.ctx, "run") }},
				{"DeleteRun", func() error { return e.s.DeleteRun(e.ctx, "other") }},
			} {
				e.ok(w.what, w.write())
				e.wantSummaries(w.what)
			}
		}},
		{"FilterSortPage", func(e *env) {
			if !e.summarizer() {
				return
			}
			m := Metadata()
			for i, run := range []string{"unet__1", "unet__2", "fcn__1", "fcn__2", "other"} {
				e.storeTraining(run, Training(Iters(0, 10*(i+1), 1)...))
				if run != "other" {
					e.storeScores(run, ScoresVersion(m, i, 0, 5))
				}
			}
			sm := e.s.(statstore.Summarizer)
			for _, tc := range []struct {
				filter, sort  string
				limit, offset int
				want          []string
				total         int
			}{
				{"", "", 0, 0, []string{"fcn__1", "fcn__2", "other", "unet__1", "unet__2"}, 5},
				{"name~unet", "-trained_until", 0, 0, []string{"unet__2", "unet__1"}, 2},
				{"repetition>=2", "name", 0, 0, []string{"fcn__2", "unet__2"}, 2},
				{"validation_iterations=0", "", 0, 0, []string{"other"}, 1},
				// voi is lower-is-better; higher versions score higher.
				{"", "best.crop_a.voi", 2, 1, []string{"unet__2", "fcn__1"}, 5},
				{"best.crop_a.voi<2e6", "-best.crop_a.voi", 0, 0, []string{"unet__2", "unet__1"}, 2},
				{"", "-trained_until", 2, 4, []string{"unet__1"}, 5},
			} {
				f, err := statstore.ParseRunFilter(tc.filter)
				e.ok("ParseRunFilter", err)
				s, err := statstore.ParseRunSort(tc.sort)
				e.ok("ParseRunSort", err)
				page, err := sm.RunSummaries(e.ctx, statstore.RunQuery{Filter: f, Sort: s, Limit: tc.limit, Offset: tc.offset})
				e.ok("RunSummaries", err)
				var got []string
				for _, r := range page.Runs {
					got = append(got, r.Run)
				}
				if !slices.Equal(got, tc.want) || page.Total != tc.total || page.Offset != tc.offset || page.Limit != tc.limit {
					e.t.Errorf("filter %q sort %q limit %d offset %d: got %q (total %d, offset %d, limit %d), want %q (total %d)",
						tc.filter, tc.sort, tc.limit, tc.offset, got, page.Total, page.Offset, page.Limit, tc.want, tc.total)
				}
			}
			if _, err := sm.RunSummaries(e.ctx, statstore.RunQuery{Offset: -1}); err == nil {
				e.t.Errorf("RunSummaries with offset -1: no error, want one wrapping ErrInvalidArgument")
			}
		}},
	}
}

// summarizer reports whether the store keeps summaries (the tests of
// summaries have nothing to check otherwise, and say so).
func (e *env) summarizer() bool {
	_, ok := e.s.(statstore.Summarizer)
	if !ok {
		e.t.Log("the store does not implement statstore.Summarizer: nothing to check")
	}
	return ok
}
