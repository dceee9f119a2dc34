package memstore_test

import (
	"testing"
	"time"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/memstore"
	"github.com/statstore/statstore/storetest"
)

func open(t *testing.T) statstore.StatsStore {
	return memstore.New(nil)
}

func TestConformance(t *testing.T) {
	storetest.Run(t, open)
}

func TestModel(t *testing.T) {
	storetest.RunModel(t, open, storetest.ModelOptions{})
}

func TestRunMetaConformance(t *testing.T) {
	storetest.RunMeta(t, open)
}

func TestTrashConformance(t *testing.T) {
	storetest.RunTrash(t, func(t *testing.T, now func() time.Time) statstore.StatsStore {
		return memstore.NewWithClock(nil, now)
	})
}

// TestLastWriteClock: every write of a run, deletes of one part included,
// is dated by the injected clock; reads, writes that change nothing and
// writes of other runs are not.
func TestLastWriteClock(t *testing.T) {
	ctx := t.Context()
	var clock storetest.Clock
	s := memstore.NewWithClock(nil, clock.Now)
	defer s.Close()
	m := storetest.Metadata()
	at := func(h int) time.Time { return time.Date(2026, 3, 1, h, 0, 0, 0, time.UTC) }
	steps := []struct {
		what  string
		write func() error
		want  time.Time // the run's LastWrite after it, written at hour i+1
	}{
		{"first training", func() error { return s.StoreTrainingStats(ctx, "run", storetest.Training(0, 1)) }, at(1)},
		{"append", func() error { return s.StoreTrainingStats(ctx, "run", storetest.Training(0, 1, 2)) }, at(2)},
		{"empty stats", func() error { return s.StoreTrainingStats(ctx, "run", storetest.Training()) }, at(2)},
		{"replace", func() error { return s.StoreTrainingStats(ctx, "run", storetest.Training(0)) }, at(4)},
		{"validation", func() error { return s.StoreValidationIterationScores(ctx, "run", storetest.Scores(m, 0, 10)) }, at(5)},
		{"another run", func() error { return s.StoreTrainingStats(ctx, "other", storetest.Training(0)) }, at(5)},
		{"read", func() error { _, err := s.RetrieveValidationScores(ctx, "run"); return err }, at(5)},
		{"delete after", func() error { return s.DeleteValidationAfter(ctx, "run", 5) }, at(8)},
		{"delete after, nothing", func() error { return s.DeleteValidationAfter(ctx, "run", 5) }, at(8)},
		{"delete training", func() error { return s.DeleteTrainingStats(ctx, "run") }, at(10)},
	}
	for i, st := range steps {
		clock.Set(at(i + 1))
		if err := st.write(); err != nil {
			t.Fatalf("%s: %v", st.what, err)
		}
		runs, err := s.ListRuns(ctx)
		if err != nil || len(runs) == 0 || runs[len(runs)-1].Run != "run" {
			t.Fatalf("ListRuns after %s: %+v, %v", st.what, runs, err)
		}
		if got := runs[len(runs)-1].LastWrite; !got.Equal(st.want) {
			t.Errorf("LastWrite after %s: got %s, want %s", st.what, got, st.want)
		}
	}
}

func TestWatch(t *testing.T) {
	storetest.RunWatch(t, open)
}
