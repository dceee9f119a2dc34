package postgres

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
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
		{"gap", fstest.MapFS{"migrations/0001_a.sql": file("A"), "migrations/0003_c.sql": file("C")}, nil, "want version 2"},
		{"repeat", fstest.MapFS{"migrations/0001_a.sql": file("A"), "migrations/001_b.sql": file("B")}, nil, "want version 2"},
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
		if v != i+1 {
			t.Fatalf("statstore_schema_migrations lists %v, want 1..%d", got, len(all))
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
