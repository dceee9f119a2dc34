package postgres

import (
	"context"
	"errors"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/storetest"
)

// TestUpgradeToTrash: a database at schema version 3 holding a run (its
// row written before checksums, too) migrates to the trash columns; the
// run is live, and is trashed and restored with its data and checksums.
func TestUpgradeToTrash(t *testing.T) {
	ctx := context.Background()
	url := testServer.Schema(t)
	conn := connect(t, url)
	migrateTo(t, conn, 3)
	var id int64
	if err := conn.QueryRow(ctx, `INSERT INTO statstore_runs (name, training_count, trained_until) VALUES ('old', 2, 2) RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	insertTraining(t, conn, id, storetest.Training(0, 1))
	s, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	wantAllMigrations(t, url)
	if err := s.StoreTrainingStats(ctx, "new", storetest.Training(0, 1, 2)); err != nil {
		t.Fatal(err)
	}
	for _, run := range []string{"old", "new"} {
		e, err := s.TrashRun(ctx, run)
		if err != nil {
			t.Fatalf("TrashRun(%s): %v", run, err)
		}
		if runs, err := s.ListRuns(ctx); err != nil || len(runs) != 1 || runs[0].Run == run {
			t.Fatalf("ListRuns after trashing %s: %+v, %v; want only the other run", run, runs, err)
		}
		if got, err := s.RestoreRun(ctx, e.ID, ""); err != nil || got != run {
			t.Fatalf("RestoreRun(%s): %q, %v", e.ID, got, err)
		}
	}
	st, err := s.RetrieveTrainingStats(ctx, "old")
	if err != nil || !st.Equal(storetest.Training(0, 1)) {
		t.Errorf("the pre-upgrade run after trash and restore: %v, %v", st, err)
	}
	// A trashed row's counters stay checked.
	e, err := s.TrashRun(ctx, "new")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "UPDATE statstore_runs SET training_count = 7 WHERE trash_id = $1", e.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ListTrash(ctx); !errors.Is(err, statstore.ErrCorrupt) {
		t.Errorf("ListTrash with a damaged trashed row: %v, want ErrCorrupt", err)
	}
	if _, err := s.RestoreRun(ctx, e.ID, ""); !errors.Is(err, statstore.ErrCorrupt) {
		t.Errorf("RestoreRun of a damaged trashed row: %v, want ErrCorrupt", err)
	}
}
