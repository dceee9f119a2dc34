package storetest

import (
	"time"
)

// lastWriteSlack is how far a run's LastWrite may lie outside the times
// the suite takes around the write: a file store reports modification
// times, which Linux takes from a coarse clock one kernel tick (at most
// 10 ms) behind the real one, and PostgreSQL keeps microseconds. A file
// system that dates files in whole seconds would fail the suite.
const lastWriteSlack = 50 * time.Millisecond

// lastWriteTests check RunInfo.LastWrite: every kind of write sets it to a
// time between the write's start and end (within lastWriteSlack), and a
// later write moves it forward.
func lastWriteTests() []test {
	return []test{
		{"EveryWrite", func(e *env) {
			m := Metadata()
			var prev time.Time
			for _, w := range []struct {
				what  string
				write func() error
			}{
				{"first training stats", func() error { return e.s.StoreTrainingStats(e.ctx, "run", Training(0, 1, 2)) }},
				{"a training append", func() error { return e.s.StoreTrainingStats(e.ctx, "run", Training(0, 1, 2, 3)) }},
				{"a training replace", func() error { return e.s.StoreTrainingStats(e.ctx, "run", Training(0, 1)) }},
				{"first validation scores", func() error { return e.s.StoreValidationIterationScores(e.ctx, "run", Scores(m, 0, 10)) }},
				{"a late validation", func() error { return e.s.StoreValidationIterationScores(e.ctx, "run", Scores(m, 5)) }},
				{"DeleteValidationAfter", func() error { return e.s.DeleteValidationAfter(e.ctx, "run", 5) }},
			} {
				start := time.Now()
				e.ok(w.what, w.write())
				end := time.Now()
				got := e.lastWrite("run")
				if got.Before(start.Add(-lastWriteSlack)) || got.After(end.Add(lastWriteSlack)) {
					e.t.Errorf("LastWrite after %s: got %s, want between %s and %s (± %s)", w.what, fmtTime(got), fmtTime(start), fmtTime(end), lastWriteSlack)
				}
				if got.Before(prev) {
					e.t.Errorf("LastWrite after %s: got %s, before the previous write's %s", w.what, fmtTime(got), fmtTime(prev))
				}
				prev = got
			}
		}},
		{"MovesForward", func(e *env) {
			e.storeTraining("run", Training(0))
			first := e.lastWrite("run")
			// One wait past the coarsest clock the suite allows, so that
			// a store that dates only a run's first write is caught.
			time.Sleep(time.Until(first.Add(2 * lastWriteSlack)))
			e.storeTraining("run", Training(0, 1))
			if got := e.lastWrite("run"); !got.After(first) {
				e.t.Errorf("LastWrite after an append %s later: got %s, want after the first write's %s", 2*lastWriteSlack, fmtTime(got), fmtTime(first))
			}
		}},
		{"PerRun", func(e *env) {
			e.storeTraining("early", Training(0))
			early := e.lastWrite("early")
			time.Sleep(time.Until(early.Add(2 * lastWriteSlack)))
			e.storeTraining("late", Training(0))
			if got := e.lastWrite("early"); !got.Equal(early) {
				e.t.Errorf("LastWrite of run %q after a write of another run: got %s, want %s", "early", fmtTime(got), fmtTime(early))
			}
			if late := e.lastWrite("late"); !late.After(early) {
				e.t.Errorf("LastWrite of the later run: got %s, want after %s", fmtTime(late), fmtTime(early))
			}
		}},
	}
}

// lastWrite returns the run's LastWrite from ListRuns, failing the test
// when the run is not listed or the time is zero.
func (e *env) lastWrite(run string) time.Time {
	e.t.Helper()
	runs, err := e.s.ListRuns(e.ctx)
	e.ok("ListRuns", err)
	for _, r := range runs {
		if r.Run == run {
			if r.LastWrite.IsZero() {
				e.t.Fatalf("ListRuns: run %q has a zero LastWrite, want the time of its last write", run)
			}
			return r.LastWrite
		}
	}
	e.t.Fatalf("ListRuns: run %q not listed (got %+v)", run, runs)
	return time.Time{}
}

// fmtTime formats t in UTC with nanoseconds.
func fmtTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
