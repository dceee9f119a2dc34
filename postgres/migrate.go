package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
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

// loadMigrations reads the embedded migrations in version order. Versions
// must run 1, 2, 3, ... without gaps or repeats.
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
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %04d_%s: want version %d (versions run 1, 2, 3, ... without gaps or repeats)", m.Version, m.Name, i+1)
		}
	}
	return out, nil
}

// migrate brings the schema up to date in one transaction holding an
// advisory lock: it is idempotent, and safe when several processes open
// the store at once. It returns the schema version.
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
	var current int
	if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM statstore_schema_migrations").Scan(&current); err != nil {
		return 0, fmt.Errorf("read the schema version: %w", err)
	}
	if current > len(migrations) {
		return 0, fmt.Errorf("database schema version %d is newer than this statstore knows (%d): upgrade statstore", current, len(migrations))
	}
	for _, m := range migrations[current:] {
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return 0, fmt.Errorf("apply migration %04d_%s: %w", m.Version, m.Name, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO statstore_schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name); err != nil {
			return 0, fmt.Errorf("record migration %04d_%s: %w", m.Version, m.Name, err)
		}
	}
	return len(migrations), nil
}
