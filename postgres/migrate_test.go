package postgres

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/storetest"
)

func TestLoadMigrations(t *testing.T) {
	file := func(sql string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(sql)} }
	tests := []struct {
		name    string
		fs      fstest.MapFS
		want    []int
		wantErr string
	}{
		{"in order", fstest.MapFS{"migrations/0002_b.sql": file("B"), "migrations/0001_a.sql": file("A")}, []int{1, 2}, ""},
		{"none", fstest.MapFS{}, nil, ""},
		{"gap", fstest.MapFS{"migrations/0001_a.sql": file("A"), "migrations/0003_c.sql": file("C")}, []int{1, 3}, ""},
		{"repeat", fstest.MapFS{"migrations/0001_a.sql": file("A"), "migrations/001_b.sql": file("B")}, nil, "the same version twice"},
		{"no number", fstest.MapFS{"migrations/init.sql": file("A")}, nil, "want NNNN_name.sql"},
		{"zero", fstest.MapFS{"migrations/0000_a.sql": file("A")}, nil, "want NNNN_name.sql"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := loadMigrations(tc.fs)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d migrations, want %d", len(got), len(tc.want))
			}
			for i, m := range got {
				if m.Version != tc.want[i] {
					t.Errorf("migration %d: got version %d, want %d", i, m.Version, tc.want[i])
				}
			}
		})
	}
	if _, err := loadMigrations(migrationFS); err != nil {
		t.Errorf("embedded migrations: %v", err)
	}
}

// appliedMigrations returns the versions recorded in statstore_schema_migrations.
func appliedMigrations(t *testing.T, url string) []int {
	t.Helper()
	ctx := context.Background()
	conn := connect(t, url)
	rows, err := conn.Query(ctx, "SELECT version FROM statstore_schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	return versions
}

func wantAllMigrations(t *testing.T, url string) {
	t.Helper()
	all, err := loadMigrations(migrationFS)
	if err != nil {
		t.Fatal(err)
	}
	got := appliedMigrations(t, url)
	if len(got) != len(all) {
		t.Fatalf("statstore_schema_migrations lists %v, want each of the %d migrations once", got, len(all))
	}
	for i, v := range got {
		if v != all[i].Version {
			t.Fatalf("statstore_schema_migrations lists %v, want each embedded migration's version once", got)
		}
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	ctx := context.Background()
	s, url := openStore(t, Options{})
	if err := s.StoreTrainingStats(ctx, "run", killStats(0, 5)); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		s2, err := Open(ctx, url, Options{})
		if err != nil {
			t.Fatalf("open #%d: %v", i+2, err)
		}
		got, err := s2.RetrieveTrainingStats(ctx, "run")
		if err != nil || got.Len() != 5 {
			t.Fatalf("open #%d: got %v entries (error %v), want the 5 stored before", i+2, got, err)
		}
		if err := s2.Close(); err != nil {
			t.Fatal(err)
		}
	}
	wantAllMigrations(t, url)
}

func TestConcurrentOpen(t *testing.T) {
	const openers = 8
	url := testServer.Schema(t)
	var wg sync.WaitGroup
	errs := make([]error, openers)
	for i := range openers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(context.Background(), url, Options{MaxConns: 1})
			if err == nil {
				err = s.StoreTrainingStats(context.Background(), "run", killStats(i, 3))
				s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("opener %d: %v", i, err)
		}
	}
	wantAllMigrations(t, url)
}

func TestNewerSchema(t *testing.T) {
	ctx := context.Background()
	_, url := openStore(t, Options{})
	conn := connect(t, url)
	if _, err := conn.Exec(ctx, "INSERT INTO statstore_schema_migrations (version, name) VALUES (999, 'future')"); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, url, Options{})
	if err == nil || !strings.Contains(err.Error(), "newer than this statstore knows") {
		t.Fatalf("open a database of schema version 999: got %v, want an error asking to upgrade statstore", err)
	}
}

// TestUpgradeToChecksums opens a database whose schema is at version 1
// (no checksums) and holds a run: migration 0002 applies, the run reads
// as before, and its next writes store the checksums, which then catch
// damage.
func TestUpgradeToChecksums(t *testing.T) {
	ctx := context.Background()
	url := testServer.Schema(t)
	conn := connect(t, url)
	migrateTo(t, conn, 1)
	// The run as version 1 stored it: training 0 and 1, validation of 10.
	meta := storetest.Metadata()
	doc, err := encodeMetadata(meta)
	if err != nil {
		t.Fatal(err)
	}
	want := storetest.Scores(meta, 10)
	var id int64
	if err := conn.QueryRow(ctx, `INSERT INTO statstore_runs (name, training_count, trained_until, validation_count, validated_until, validation_metadata)
		VALUES ('run', 2, 2, 1, 11, $1) RETURNING id`, string(doc)).Scan(&id); err != nil {
		t.Fatal(err)
	}
	training := storetest.Training(0, 1)
	insertTraining(t, conn, id, training)
	if _, err := conn.Exec(ctx, "INSERT INTO statstore_validation VALUES ($1, 10, $2)", id, flatten(want.Scores[0].Scores)); err != nil {
		t.Fatal(err)
	}

	s, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	wantAllMigrations(t, url)
	got, err := s.RetrieveValidationScores(ctx, "run")
	if err != nil || !got.Metadata.Equal(meta) || len(got.Scores) != 1 || !reflect.DeepEqual(got.Scores, want.Scores) {
		t.Fatalf("validation scores stored before the upgrade: got %v, %v, want %v", got, err, want)
	}
	if st, err := s.RetrieveTrainingStats(ctx, "run"); err != nil || !st.Equal(training) {
		t.Fatalf("training stats stored before the upgrade: got %v, %v", st, err)
	}
	checksums := func() string {
		var c, m *int64
		if err := conn.QueryRow(ctx, "SELECT counters_crc32c, validation_metadata_crc32c FROM statstore_runs WHERE id = $1", id).Scan(&c, &m); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("counters %v, metadata %v", c != nil, m != nil)
	}
	if got := checksums(); got != "counters false, metadata false" {
		t.Fatalf("before any write: %s, want neither", got)
	}
	if err := s.StoreTrainingStats(ctx, "run", storetest.Training(0, 1, 2)); err != nil {
		t.Fatal(err)
	}
	if got := checksums(); got != "counters true, metadata false" {
		t.Fatalf("after a training write: %s, want the counters' only", got)
	}
	if err := s.StoreValidationIterationScores(ctx, "run", storetest.Scores(meta, 10, 20)); err != nil {
		t.Fatal(err)
	}
	if got := checksums(); got != "counters true, metadata true" {
		t.Fatalf("after a validation write: %s, want both", got)
	}
	if _, err := conn.Exec(ctx, "UPDATE statstore_runs SET validated_until = 19 WHERE id = $1", id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ListRuns(ctx); !errors.Is(err, statstore.ErrCorrupt) {
		t.Errorf("ListRuns with a damaged counter after the upgrade: got %v, want ErrCorrupt", err)
	}
}

// migrateTo brings the database of conn to schema version n (an older
// one than the store's, to test upgrades).
func migrateTo(tb testing.TB, conn *pgx.Conn, n int) {
	tb.Helper()
	all, err := loadMigrations(migrationFS)
	if err != nil {
		tb.Fatal(err)
	}
	upTo := slices.IndexFunc(all, func(m migration) bool { return m.Version > n })
	if upTo < 0 {
		tb.Fatalf("no migration after version %d, want one to test an upgrade", n)
	}
	err = pgx.BeginFunc(context.Background(), conn, func(tx pgx.Tx) error {
		_, err := migrate(context.Background(), tx, all[:upTo])
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// insertTraining writes stats into statstore_training as a run's rows,
// bypassing the store (a run written by an older version).
func insertTraining(tb testing.TB, conn *pgx.Conn, runID int64, stats *statstore.TrainingStats) {
	tb.Helper()
	for _, e := range stats.IterationStats {
		if _, err := conn.Exec(context.Background(), "INSERT INTO statstore_training VALUES ($1, $2, $3, $4)", runID, e.Iteration, e.Loss, e.Time); err != nil {
			tb.Fatal(err)
		}
	}
}

// TestUpgradeToLastWrite opens a database whose schema is at version 4
// (before last_write) and holds a run: migration 0005 applies, the run
// lists with a zero LastWrite (unknown), and its next write dates it. The
// time is outside the counters' checksum: changing it is no corruption.
func TestUpgradeToLastWrite(t *testing.T) {
	ctx := context.Background()
	url := testServer.Schema(t)
	conn := connect(t, url)
	migrateTo(t, conn, 4)
	old := runRow{TrainingCount: 2, TrainedUntil: 2}
	var id int64
	if err := conn.QueryRow(ctx, `INSERT INTO statstore_runs (name, training_count, trained_until, counters_crc32c)
		VALUES ('run', 2, 2, $1) RETURNING id`, countersCRC("run", old)).Scan(&id); err != nil {
		t.Fatal(err)
	}
	insertTraining(t, conn, id, storetest.Training(0, 1))

	s, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	wantAllMigrations(t, url)
	listed := func() statstore.RunInfo {
		t.Helper()
		runs, err := s.ListRuns(ctx)
		if err != nil || len(runs) != 1 {
			t.Fatalf("ListRuns: got %+v, %v, want the one run", runs, err)
		}
		return runs[0]
	}
	if got := listed(); got.LastWrite != (time.Time{}) || got.TrainingIterations != 2 {
		t.Fatalf("a run written before the upgrade: got %+v, want 2 entries and a zero LastWrite", got)
	}
	start := time.Now()
	if err := s.StoreTrainingStats(ctx, "run", storetest.Training(0, 1, 2)); err != nil {
		t.Fatal(err)
	}
	// now() is the transaction's start on the server's clock, in
	// microseconds: the same machine's clock here.
	if got := listed(); got.LastWrite.Before(start.Truncate(time.Millisecond)) || got.TrainingIterations != 3 {
		t.Fatalf("after a write: got %+v, want 3 entries and LastWrite at or after %s", got, start)
	}
	aged := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if _, err := conn.Exec(ctx, "UPDATE statstore_runs SET last_write = $2 WHERE id = $1", id, aged); err != nil {
		t.Fatal(err)
	}
	if got := listed(); !got.LastWrite.Equal(aged) {
		t.Fatalf("after setting last_write: got LastWrite %s, want %s (and no checksum error)", got.LastWrite, aged)
	}
}
