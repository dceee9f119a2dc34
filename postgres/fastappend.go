package postgres

import (
	"context"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/statstore/statstore"
)

// A trainer appends to its run again and again through one Store. The
// Store remembers the row it left behind after each training write of a
// run (rowCache); the next append of that run is then planned against the
// remembered row and sent in one round trip: BEGIN, the run's lock, the
// new blocks and the counters, each guarded by the row being exactly the
// remembered one, and COMMIT. When anything else wrote the run meanwhile
// (another process, replica or call), the guard fails, nothing is written,
// and the write takes the ordinary path (lockedWrite), which reads and
// checks the row. The remembered row was checked against its checksum when
// it was read or written, so a row equal to it needs no check.

// rowCacheSize bounds how many runs' rows a Store remembers.
const rowCacheSize = 1024

// rowCache maps run names to the row a Store last left behind.
type rowCache struct {
	mu   sync.Mutex
	rows map[string]runRow
}

func (c *rowCache) get(run string) (runRow, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.rows[run]
	return r, ok
}

// put remembers r (which must carry its counters' checksum) for run.
func (c *rowCache) put(run string, r runRow) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rows == nil || len(c.rows) >= rowCacheSize {
		c.rows = map[string]runRow{}
	}
	r.Metadata, r.MetadataCRC = nil, nil // not used by training writes
	c.rows[run] = r
}

func (c *rowCache) forget(run string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.rows, run)
}

// rowGuard is the SQL condition that the run's row is exactly the
// remembered one: $1 to $8 are the values guardArgs gives.
const rowGuard = `id = $1 AND name = $2 AND training_count = $3 AND trained_until = $4 AND validation_count = $5
	AND validated_until = $6 AND superseded_count = $7 AND counters_crc32c = $8`

func guardArgs(run string, r runRow) []any {
	return []any{r.ID, run, r.TrainingCount, r.TrainedUntil, r.ValidationCount, r.ValidatedUntil, r.SupersededCount, *r.CountersCRC}
}

// fastAppend tries the one-round-trip append of stats to the run (see
// above). It reports done when the write is settled (err says how);
// otherwise nothing was written and the caller takes the ordinary path.
func (s *Store) fastAppend(ctx context.Context, what, run string, stats *statstore.TrainingStats) (plan statstore.TrainingPlan, cached runRow, done bool, err error) {
	cached, ok := s.rows.get(run)
	if !ok || cached.CountersCRC == nil {
		return plan, cached, false, nil
	}
	plan, err = statstore.PlanTraining(int(cached.TrainedUntil), stats)
	if err != nil || plan.Action != statstore.WriteAppend || len(plan.Entries) < mergeBelow {
		// An append of a few entries may rewrite the last block, which
		// it reads first; anything else is not an append.
		return plan, cached, false, nil
	}
	next := cached
	next.TrainingCount += int64(len(plan.Entries))
	next.TrainedUntil = int64(plan.Entries[len(plan.Entries)-1].Iteration) + 1
	sum := countersCRC(run, next)
	next.CountersCRC = &sum

	args := guardArgs(run, cached)
	var b pgx.Batch
	b.Queue("BEGIN")
	// The lock is taken whatever the row holds, so that the guards below
	// are evaluated under it (a row deleted meanwhile cannot come back
	// with the same id).
	b.Queue("SELECT id FROM statstore_runs WHERE id = $1 FOR UPDATE", cached.ID)
	chunks := splitChunks(plan.Entries)
	for _, c := range chunks {
		b.Queue(`INSERT INTO statstore_training_chunks (run_id, first_iteration, last_iteration, entries, step, data, crc32c)
			SELECT $1, $9, $10, $11, $12, $13, $14 WHERE EXISTS (SELECT FROM statstore_runs WHERE `+rowGuard+`)`,
			append(args, c.First, c.Last, int32(c.Entries), c.Step, c.Data, *c.CRC)...)
	}
	b.Queue(`UPDATE statstore_runs SET training_count = $9, trained_until = $10, counters_crc32c = $11, last_write = now()
		WHERE `+rowGuard, append(args, next.TrainingCount, next.TrainedUntil, sum)...)
	b.Queue("COMMIT")

	var updated int64
	err = s.do(ctx, what, func(c *pgxConn) error {
		updated = 0
		err := sendGuarded(ctx, c.Conn(), &b, len(chunks), &updated)
		if err != nil && !c.Conn().IsClosed() {
			// A failed batch leaves its transaction open (aborted):
			// end it before the connection goes back to the pool.
			_, _ = c.Conn().Exec(context.WithoutCancel(ctx), "ROLLBACK")
		}
		return err
	})
	if err != nil {
		s.rows.forget(run)
		return plan, cached, true, err
	}
	if updated != 1 {
		// The row is not the remembered one: nothing was written.
		s.rows.forget(run)
		return plan, cached, false, nil
	}
	s.rows.put(run, next)
	return plan, cached, true, nil
}

// sendGuarded sends fastAppend's batch (BEGIN, the lock, the given number
// of inserts, the counters' update, COMMIT) and sets updated to the rows the
// update changed.
func sendGuarded(ctx context.Context, conn *pgx.Conn, b *pgx.Batch, inserts int, updated *int64) error {
	br := conn.SendBatch(ctx, b)
	for range 2 + inserts {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return err
		}
	}
	tag, err := br.Exec()
	if err != nil {
		br.Close()
		return err
	}
	*updated = tag.RowsAffected()
	if _, err := br.Exec(); err != nil { // COMMIT
		br.Close()
		return err
	}
	return br.Close()
}
