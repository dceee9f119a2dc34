package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// lockedWrite runs a write of the run in one transaction holding the run's
// lock, in as few round trips as the write allows: BEGIN goes with the lock
// (SELECT ... FOR UPDATE of the run's row, which does not write the row as
// lockRunForWrite's upsert does; only a new run's first write then creates
// the row with the upsert) in one batch, and the statements fn queues go
// with COMMIT in another, so an append that reads nothing else costs two
// round trips instead of four (BEGIN, lock, write, COMMIT). fn
// may also run statements of its own on tx, inside the transaction. When
// fn or anything else fails the transaction is rolled back.
func (s *Store) lockedWrite(ctx context.Context, what, run string, fn func(tx pgx.Tx, r *runRow, b *pgx.Batch) error) error {
	return s.do(ctx, what, func(c *pgxConn) error {
		tx := pipelinedTx{c: c.Conn()}
		var begin pgx.Batch
		begin.Queue("BEGIN")
		begin.Queue("SELECT "+runColumns+" FROM statstore_runs WHERE name = $1 FOR UPDATE", run)
		br := tx.c.SendBatch(ctx, &begin)
		_, err := br.Exec()
		var r runRow
		if err == nil {
			r, err = scanRun(br.QueryRow())
		}
		if cerr := br.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if errors.Is(err, pgx.ErrNoRows) {
			// A new run: create its row (or lock the one a concurrent
			// writer created meanwhile).
			r, err = scanRun(tx.QueryRow(ctx, lockRunSQL, run, countersCRC(run, runRow{})))
		}
		if err != nil {
			err = fmt.Errorf("lock run: %w", err)
		}
		committed := false
		defer func() {
			if !committed {
				// A broken connection is dropped by do; nothing to undo.
				_ = tx.Rollback(context.WithoutCancel(ctx))
			}
		}()
		if err != nil {
			return err
		}
		if err := verifyRow(run, r); err != nil {
			return err
		}
		if err := checkLegacyCounters(ctx, tx, run, r); err != nil {
			return err
		}
		var b pgx.Batch
		if err := fn(tx, &r, &b); err != nil {
			return err
		}
		b.Queue("COMMIT")
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return err
		}
		committed = true
		return nil
	})
}

// pipelinedTx is the pgx.Tx of a transaction that lockedWrite began on a
// connection with BEGIN sent in a batch (pgx begins its own transactions
// in a round trip of their own).
type pipelinedTx struct{ c *pgx.Conn }

var _ pgx.Tx = pipelinedTx{}

// errNestedTx is Begin's error.
var errNestedTx = errors.New("postgres: nested transactions are not supported here")

// Begin refuses: lockedWrite's transactions have no savepoints.
func (t pipelinedTx) Begin(context.Context) (pgx.Tx, error) { return nil, errNestedTx }

// Commit commits the transaction.
func (t pipelinedTx) Commit(ctx context.Context) error {
	_, err := t.c.Exec(ctx, "COMMIT")
	return err
}

// Rollback rolls the transaction back.
func (t pipelinedTx) Rollback(ctx context.Context) error {
	_, err := t.c.Exec(ctx, "ROLLBACK")
	return err
}

// CopyFrom runs COPY in the transaction.
func (t pipelinedTx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	return t.c.CopyFrom(ctx, table, columns, src)
}

// SendBatch sends a batch in the transaction.
func (t pipelinedTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return t.c.SendBatch(ctx, b)
}

// LargeObjects is not supported: the store keeps none.
func (t pipelinedTx) LargeObjects() pgx.LargeObjects { return pgx.LargeObjects{} }

// Prepare prepares a statement on the connection.
func (t pipelinedTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	return t.c.Prepare(ctx, name, sql)
}

// Exec runs a statement in the transaction.
func (t pipelinedTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return t.c.Exec(ctx, sql, args...)
}

// Query runs a query in the transaction.
func (t pipelinedTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return t.c.Query(ctx, sql, args...)
}

// QueryRow runs a query of one row in the transaction.
func (t pipelinedTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return t.c.QueryRow(ctx, sql, args...)
}

// Conn returns the connection.
func (t pipelinedTx) Conn() *pgx.Conn { return t.c }
