package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLockKey is the pg_advisory_xact_lock key that serialises schema
// migrations: two processes opening the store at once apply them one after
// the other, and the second finds nothing left to do.
const migrationLockKey int64 = 0x5354_4154_5354_4f52 // "STATSTOR"

// migration is one versioned schema change, migrations/NNNN_name.sql.
type migration struct {
	Version int
	Name    string
	SQL     string
}

// loadMigrations reads the embedded migrations in version order. Each
// version appears once; versions may have gaps (migrations written in
// parallel branches take numbers ahead of each other, and a migration
// must not depend on one with a higher number).
func loadMigrations(fsys fs.FS) ([]migration, error) {
	paths, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, p := range paths {
		base := strings.TrimSuffix(path.Base(p), ".sql")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration file %s: want NNNN_name.sql with NNNN a positive version", p)
		}
		sql, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{Version: v, Name: name, SQL: string(sql)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migrations %04d_%s and %04d_%s: the same version twice",
				out[i-1].Version, out[i-1].Name, out[i].Version, out[i].Name)
		}
	}
	return out, nil
}

// migrate brings the schema up to date in one transaction holding an
// advisory lock: it applies, in version order, each migration that
// statstore_schema_migrations does not list (so a database migrated by a
// build without a lower-numbered migration gets it later). It is
// idempotent, and safe when several processes open the store at once. It
// returns the schema version (the highest applied).
func migrate(ctx context.Context, tx pgx.Tx, migrations []migration) (int, error) {
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLockKey); err != nil {
		return 0, fmt.Errorf("take the migration lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS statstore_schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return 0, fmt.Errorf("create statstore_schema_migrations: %w", err)
	}
	rows, err := tx.Query(ctx, "SELECT version FROM statstore_schema_migrations")
	if err != nil {
		return 0, fmt.Errorf("read the schema version: %w", err)
	}
	applied, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return 0, fmt.Errorf("read the schema version: %w", err)
	}
	known := map[int]bool{}
	for _, m := range migrations {
		known[m.Version] = true
	}
	done := map[int]bool{}
	for _, v := range applied {
		if !known[v] {
			return 0, fmt.Errorf("database schema version %d is newer than this statstore knows (it lists migration %d, unknown here): upgrade statstore", slices.Max(applied), v)
		}
		done[v] = true
	}
	version := 0
	for _, m := range migrations {
		version = max(version, m.Version)
		if done[m.Version] {
			continue
		}
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return 0, fmt.Errorf("apply migration %04d_%s: %w", m.Version, m.Name, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO statstore_schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name); err != nil {
			return 0, fmt.Errorf("record migration %04d_%s: %w", m.Version, m.Name, err)
		}
	}
	return version, nil
}
