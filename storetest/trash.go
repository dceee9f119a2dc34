package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/statstore/statstore"
)

// ClockOpener returns a fresh, empty store whose clock (the one that dates
// trash entries) is now, as Opener does.
type ClockOpener = func(t *testing.T, now func() time.Time) statstore.StatsStore

// Clock is a clock a test sets: what a ClockOpener's store reads as now.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set sets the clock's time.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// trashEpoch is the suite clock's first time: whole seconds, which every
// backend keeps exactly.
var trashEpoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// RunTrash runs the conformance suite of statstore.Trasher against the
// stores open returns (which must implement it): trashing, trashed runs
// invisible to every read, reusing a trashed name, restoring (also under
// another name, and refused over a live run), purging by age under the
// injected clock and by id.
func RunTrash(t *testing.T, open ClockOpener) {
	t.Helper()
	for _, tc := range trashTests() {
		t.Run(tc.name, func(t *testing.T) {
			clock := &Clock{t: trashEpoch}
			e := newEnv(t, func(t *testing.T) statstore.StatsStore { return open(t, clock.Now) })
			tr, ok := e.s.(statstore.Trasher)
			if !ok {
				t.Fatalf("%T does not implement statstore.Trasher", e.s)
			}
			tc.fn(&trashEnv{env: e, tr: tr, clock: clock})
		})
	}
}

// trashEnv is env with the store's Trasher and clock.
type trashEnv struct {
	*env
	tr    statstore.Trasher
	clock *Clock
}

type trashTest struct {
	name string
	fn   func(e *trashEnv)
}

// fill stores version v of a run: 3 training entries and 2 validations.
func (e *trashEnv) fill(run string, v int) {
	e.t.Helper()
	e.storeTraining(run, TrainingVersion(v, 0, 10, 20))
	e.storeScores(run, ScoresVersion(Metadata(), v, 0, 10))
}

// wantFilled fails unless run holds version v as fill stored it.
func (e *trashEnv) wantFilled(run string, v int) {
	e.t.Helper()
	e.wantTraining(run, Entries(v, 0, 10, 20))
	e.wantScores(run, Metadata(), ScoresVersion(Metadata(), v, 0, 10).Scores)
}

// wantGone fails unless every read sees nothing of run.
func (e *trashEnv) wantGone(run string) {
	e.t.Helper()
	e.wantTraining(run, nil)
	e.wantScores(run, Metadata(), nil)
	r, err := e.s.RetrieveTrainingRange(e.ctx, run, statstore.IterationRange{})
	e.ok("RetrieveTrainingRange", err)
	if r.Len() != 0 {
		e.t.Errorf("RetrieveTrainingRange(%q) of a trashed run: got %d entries, want none", run, r.Len())
	}
	sub, err := e.s.SubsampleTraining(e.ctx, run, statstore.SubsampleOptions{})
	e.ok("SubsampleTraining", err)
	if len(sub) != 0 {
		e.t.Errorf("SubsampleTraining(%q) of a trashed run: got %d entries, want none", run, len(sub))
	}
	runs, err := e.s.ListRuns(e.ctx)
	e.ok("ListRuns", err)
	for _, r := range runs {
		if r.Run == run {
			e.t.Errorf("ListRuns lists trashed run %q: %+v", run, r)
		}
	}
}

func (e *trashEnv) trash(run string) statstore.TrashEntry {
	e.t.Helper()
	te, err := e.tr.TrashRun(e.ctx, run)
	e.ok("TrashRun("+run+")", err)
	return te
}

// wantTrash fails unless ListTrash gives the entries with ids, in order.
func (e *trashEnv) wantTrash(want ...statstore.TrashEntry) {
	e.t.Helper()
	got, err := e.tr.ListTrash(e.ctx)
	e.ok("ListTrash", err)
	if len(got) != len(want) {
		e.t.Fatalf("ListTrash: got %d entries %+v, want %d %+v", len(got), got, len(want), want)
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.Run != w.Run || !g.DeletedAt.Equal(w.DeletedAt) ||
			g.TrainingIterations != w.TrainingIterations || g.ValidationIterations != w.ValidationIterations {
			e.t.Errorf("ListTrash[%d]: got %+v, want %+v", i, g, w)
		}
	}
}

func trashTests() []trashTest {
	return []trashTest{
		{"Trash", func(e *trashEnv) {
			e.fill("run", 1)
			e.fill("other", 2)
			te := e.trash("run")
			if err := te.Validate(); err != nil {
				e.t.Errorf("TrashRun: got an invalid entry %+v: %v", te, err)
			}
			if te.Run != "run" || !te.DeletedAt.Equal(trashEpoch) || te.TrainingIterations != 3 || te.ValidationIterations != 2 {
				e.t.Errorf("TrashRun: got %+v, want run \"run\" deleted at %v holding 3 training iterations and 2 validations", te, trashEpoch)
			}
			e.wantTrash(te)
			e.wantFilled("other", 2)
		}},
		{"Invisible", func(e *trashEnv) {
			e.fill("run", 1)
			e.fill("other", 2)
			e.trash("run")
			e.wantGone("run")
			e.wantRuns(statstore.RunInfo{Run: "other", TrainedUntil: 21, TrainingIterations: 3, ValidatedUntil: 11, ValidationIterations: 2})
		}},
		{"UnknownRun", func(e *trashEnv) {
			_, err := e.tr.TrashRun(e.ctx, "never-stored")
			e.wantErr("TrashRun of an unknown run", err, statstore.ErrNotFound)
			_, err = e.tr.TrashRun(e.ctx, "a/b")
			e.wantErr("TrashRun of an invalid name", err, statstore.ErrInvalidRunName)
			e.wantTrash()
		}},
		{"ReuseName", func(e *trashEnv) {
			e.fill("run", 1)
			first := e.trash("run")
			e.fill("run", 2)
			e.wantFilled("run", 2)
			e.clock.Set(trashEpoch.Add(time.Minute))
			second := e.trash("run")
			if first.ID == second.ID {
				e.t.Fatalf("two trashings of run \"run\" got the same id %q", first.ID)
			}
			e.wantTrash(first, second)
			e.wantGone("run")
		}},
		{"Restore", func(e *trashEnv) {
			e.fill("run", 1)
			te := e.trash("run")
			name, err := e.tr.RestoreRun(e.ctx, te.ID, "")
			e.ok("RestoreRun", err)
			if name != "run" {
				e.t.Errorf("RestoreRun: got name %q, want %q", name, "run")
			}
			e.wantFilled("run", 1)
			e.wantTrash()
			// It lives again: it can be written and trashed again.
			e.storeTraining("run", TrainingVersion(1, 0, 10, 20, 30))
			e.trash("run")
			_, err = e.tr.RestoreRun(e.ctx, te.ID, "")
			e.wantErr("RestoreRun of an entry already restored", err, statstore.ErrNotFound)
		}},
		{"RestoreConflict", func(e *trashEnv) {
			e.fill("run", 1)
			te := e.trash("run")
			e.fill("run", 2)
			_, err := e.tr.RestoreRun(e.ctx, te.ID, "")
			e.wantErr("RestoreRun over a live run", err, statstore.ErrRunExists)
			e.wantFilled("run", 2)
			e.wantTrash(te)
			name, err := e.tr.RestoreRun(e.ctx, te.ID, "run-restored")
			e.ok("RestoreRun under another name", err)
			if name != "run-restored" {
				e.t.Errorf("RestoreRun: got name %q, want %q", name, "run-restored")
			}
			e.wantFilled("run-restored", 1)
			e.wantFilled("run", 2)
			e.wantTrash()
		}},
		{"RestoreBadInput", func(e *trashEnv) {
			e.fill("run", 1)
			te := e.trash("run")
			_, err := e.tr.RestoreRun(e.ctx, "20260301-120000-00000000", "")
			e.wantErr("RestoreRun of an unknown id", err, statstore.ErrNotFound)
			_, err = e.tr.RestoreRun(e.ctx, "../x", "")
			e.wantErr("RestoreRun of an invalid id", err, statstore.ErrInvalidArgument)
			_, err = e.tr.RestoreRun(e.ctx, te.ID, "a/b")
			e.wantErr("RestoreRun under an invalid name", err, statstore.ErrInvalidRunName)
			e.wantTrash(te)
			e.wantGone("run")
		}},
		{"PurgeByAge", func(e *trashEnv) {
			e.fill("old", 1)
			e.fill("new", 2)
			old := e.trash("old")
			e.clock.Set(trashEpoch.Add(10 * 24 * time.Hour))
			recent := e.trash("new")
			now := trashEpoch.Add(31 * 24 * time.Hour)
			got, err := e.tr.PurgeTrash(e.ctx, statstore.PurgeOlderThan(now, statstore.DefaultTrashRetention))
			e.ok("PurgeTrash older than 30 days", err)
			if len(got) != 1 || got[0].ID != old.ID {
				e.t.Errorf("PurgeTrash older than 30 days: got %+v, want only %s", got, old.ID)
			}
			e.wantTrash(recent)
			_, err = e.tr.RestoreRun(e.ctx, old.ID, "")
			e.wantErr("RestoreRun of a purged entry", err, statstore.ErrNotFound)
			e.wantGone("old")
			// The cutoff is strict: an entry trashed exactly at it stays.
			got, err = e.tr.PurgeTrash(e.ctx, statstore.PurgeSelection{Before: recent.DeletedAt})
			e.ok("PurgeTrash at the cutoff", err)
			if len(got) != 0 {
				e.t.Errorf("PurgeTrash before %v: got %+v, want nothing", recent.DeletedAt, got)
			}
			e.wantTrash(recent)
		}},
		{"ConcurrentWrites", func(e *trashEnv) {
			// A writer appends while the run is trashed again and again:
			// every write lands whole in the live run or in one entry.
			const writes, trashes = 40, 5
			done := make(chan error, 1)
			go func() {
				var err error
				for i := range writes {
					if err = e.s.StoreTrainingStats(e.ctx, "run", Training(Iters(0, i+1, 1)...)); err != nil {
						break
					}
				}
				done <- err
			}()
			for range trashes {
				if _, err := e.tr.TrashRun(e.ctx, "run"); err != nil && !errors.Is(err, statstore.ErrNotFound) {
					e.t.Errorf("TrashRun during writes: %v", err)
				}
			}
			e.ok("StoreTrainingStats during trashes", <-done)
			entries, err := e.tr.ListTrash(e.ctx)
			e.ok("ListTrash", err)
			for i, te := range entries {
				name := fmt.Sprintf("restored-%d", i)
				_, err := e.tr.RestoreRun(e.ctx, te.ID, name)
				e.ok("RestoreRun", err)
				got := e.training(name)
				if len(got) != te.TrainingIterations || len(got) == 0 || got[len(got)-1].Iteration != len(got)-1 {
					e.t.Errorf("entry %s (%d training iterations): restored %s, want iterations 0 to n-1", te.ID, te.TrainingIterations, fmtEntries(got))
				}
			}
		}},
		{"PurgeNamed", func(e *trashEnv) {
			e.fill("a", 1)
			e.fill("b", 2)
			ta := e.trash("a")
			e.clock.Set(trashEpoch.Add(time.Second)) // ListTrash is oldest first
			tb := e.trash("b")
			_, err := e.tr.PurgeTrash(e.ctx, statstore.PurgeSelection{IDs: []string{tb.ID, "20260301-120000-00000000"}})
			e.wantErr("PurgeTrash naming an unknown id", err, statstore.ErrNotFound)
			_, err = e.tr.PurgeTrash(e.ctx, statstore.PurgeSelection{})
			e.wantErr("PurgeTrash without a selection", err, statstore.ErrInvalidArgument)
			e.wantTrash(ta, tb)
			got, err := e.tr.PurgeTrash(e.ctx, statstore.PurgeSelection{IDs: []string{tb.ID}})
			e.ok("PurgeTrash by id", err)
			if len(got) != 1 || got[0].ID != tb.ID {
				e.t.Errorf("PurgeTrash by id: got %+v, want only %s", got, tb.ID)
			}
			e.wantTrash(ta)
			got, err = e.tr.PurgeTrash(e.ctx, statstore.PurgeSelection{All: true})
			e.ok("PurgeTrash all", err)
			if len(got) != 1 || got[0].ID != ta.ID {
				e.t.Errorf("PurgeTrash all: got %+v, want only %s", got, ta.ID)
			}
			e.wantTrash()
			e.wantGone("a")
			e.wantGone("b")
		}},
	}
}
