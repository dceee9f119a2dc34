package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/storetest"
)

// wantSummariesRecomputed fails unless every run's kept summary equals
// the recomputation from its history (statstore.EqualSummaries), with
// ListRuns' counters and last write.
func wantSummariesRecomputed(t *testing.T, s *Store, after string) {
	t.Helper()
	ctx := context.Background()
	page, err := s.RunSummaries(ctx, statstore.RunQuery{})
	if err != nil {
		t.Fatalf("after %s: RunSummaries: %v", after, err)
	}
	infos, err := s.ListRuns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Runs) != len(infos) {
		t.Fatalf("after %s: RunSummaries holds %d runs, ListRuns %d", after, len(page.Runs), len(infos))
	}
	for i, info := range infos {
		got := page.Runs[i]
		want, err := statstore.SummarizeRun(ctx, s, info.Run)
		if err != nil {
			t.Fatal(err)
		}
		want.LastWrite = info.LastWrite
		want.Tags, want.MetaDigest = got.Tags, got.MetaDigest
		if !statstore.EqualSummaries(got, want) || got.RunInfo != info {
			t.Fatalf("after %s: run %q: kept summary\n%+v\nwant (recomputed from the history)\n%+v", after, info.Run, got, want)
		}
	}
}

// TestSummaryAbortedWrites cancels writes of every kind at random moments
// (before, during and after their transactions): whatever committed, each
// run's kept summary equals the recomputation from its history.
func TestSummaryAbortedWrites(t *testing.T) {
	s, _ := openStore(t, Options{})
	ctx := context.Background()
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	t.Logf("seed %d", seed)
	m := storetest.Metadata()
	if err := s.StoreTrainingStats(ctx, "run", storetest.Training(storetest.Iters(0, 400, 1)...)); err != nil {
		t.Fatal(err)
	}
	until, version, canceled := 400, 0, 0
	writes := []func(ctx context.Context) error{
		func(ctx context.Context) error { // an append, fast or ordinary
			n := 1 + rng.IntN(400)
			err := s.StoreTrainingStats(ctx, "run", storetest.TrainingVersion(version, storetest.Iters(0, until+n, 1)...))
			if err == nil {
				until += n
			}
			return err
		},
		func(ctx context.Context) error { // a replace: a rewind
			version++
			until = 1 + rng.IntN(until)
			return s.StoreTrainingStats(ctx, "run", storetest.TrainingVersion(version, storetest.Iters(0, until, 1)...))
		},
		func(ctx context.Context) error { // a (re-)validation
			return s.StoreValidationIterationScores(ctx, "run", storetest.ScoresVersion(m, rng.IntN(5), rng.IntN(until+1), rng.IntN(until+1)))
		},
		func(ctx context.Context) error { return s.DeleteValidationAfter(ctx, "run", rng.IntN(until+1)) },
		func(ctx context.Context) error {
			return s.SetRunTags(ctx, "run", map[string]string{"k": fmt.Sprint(rng.IntN(9))}, nil)
		},
	}
	for i := range 150 {
		k := rng.IntN(len(writes))
		wctx, cancel := context.WithCancel(ctx)
		timer := time.AfterFunc(time.Duration(rng.IntN(3000))*time.Microsecond, cancel)
		err := writes[k](wctx)
		timer.Stop()
		cancel()
		if errors.Is(err, context.Canceled) || wctx.Err() != nil && err != nil {
			canceled++
			// What the store holds now decides the next writes.
			ts, rerr := s.RetrieveTrainingStats(ctx, "run")
			if rerr != nil {
				t.Fatal(rerr)
			}
			until = ts.TrainedUntil()
			if until == 0 {
				until = 1
			}
		} else if err != nil {
			t.Fatalf("write %d (kind %d): %v", i, k, err)
		}
		wantSummariesRecomputed(t, s, fmt.Sprintf("write %d (kind %d, error %v)", i, k, err))
	}
	t.Logf("%d of 150 writes canceled", canceled)
	if canceled == 0 {
		t.Errorf("no write was canceled: the test checked nothing it means to")
	}
}

// TestSummaryMigrationFills opens a database whose schema lacks migration
// 0007 (as one at 0008 written by a build without it): Open applies it
// and fills in the summaries of the existing runs, live and trashed, from
// their histories.
func TestSummaryMigrationFills(t *testing.T) {
	s, url := openStore(t, Options{})
	ctx := context.Background()
	m := storetest.Metadata()
	for i, run := range []string{"a", "b", "c"} {
		if err := s.StoreTrainingStats(ctx, run, storetest.Training(storetest.Iters(0, 100*(i+1), 1)...)); err != nil {
			t.Fatal(err)
		}
		if err := s.StoreValidationIterationScores(ctx, run, storetest.ScoresVersion(m, i, 0, 50, 90)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetRunTags(ctx, "b", map[string]string{"arch": "unet"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TrashRun(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	want, err := s.RunSummaries(ctx, statstore.RunQuery{})
	if err != nil {
		t.Fatal(err)
	}
	conn := connect(t, url)
	if _, err := conn.Exec(ctx, "DROP TABLE statstore_run_summaries; DELETE FROM statstore_schema_migrations WHERE version = 7"); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM statstore_run_summaries").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("after the migration: %d summary rows, want 3 (two live runs, one trashed)", n)
	}
	wantSummariesRecomputed(t, s2, "migration 0007")
	got, err := s2.RunSummaries(ctx, statstore.RunQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Runs) != len(want.Runs) {
		t.Fatalf("got %d runs, want %d", len(got.Runs), len(want.Runs))
	}
	for i := range got.Runs {
		if !statstore.EqualSummaries(got.Runs[i], want.Runs[i]) || got.Runs[i].MetaDigest != want.Runs[i].MetaDigest {
			t.Errorf("run %q: got %+v, want %+v", got.Runs[i].Run, got.Runs[i], want.Runs[i])
		}
	}
	e, err := s2.ListTrash(ctx)
	if err != nil || len(e) != 1 {
		t.Fatalf("trash: %v, %v", e, err)
	}
	if _, err := s2.RestoreRun(ctx, e[0].ID, ""); err != nil {
		t.Fatal(err)
	}
	wantSummariesRecomputed(t, s2, "restore")
}
