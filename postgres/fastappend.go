package postgres

import (
	"context"
	"errors"
	"strings"
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
	if r.Summary == nil {
		return // no fast append without the summary it updates
	}
	c.rows[run] = r
}

func (c *rowCache) forget(run string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.rows, run)
}

// rowGuard is the SQL condition that the run's row is exactly the
// remembered one, and its summary (migration 0007) the remembered
// document: $1 to $9 are the values guardArgs gives. (A re-validation
// that changes scores but no counter changes the summary.)
const rowGuard = `id = $1 AND name = $2 AND training_count = $3 AND trained_until = $4 AND validation_count = $5
	AND validated_until = $6 AND superseded_count = $7 AND counters_crc32c = $8
	AND EXISTS (SELECT FROM statstore_run_summaries WHERE run_id = $1 AND summary = $9)`

func guardArgs(run string, r runRow) []any {
	return []any{r.ID, run, r.TrainingCount, r.TrainedUntil, r.ValidationCount, r.ValidatedUntil, r.SupersededCount, *r.CountersCRC, r.Summary.Doc}
}

// fastAppend tries the one-round-trip append of stats to the run (see
// above). It reports done when the write is settled (err says how);
// otherwise nothing was written and the caller takes the ordinary path.
// When the guard finds the row changed, the batch's lock has read the row
// as it is: checked against its checksum, it is the next attempt's guess
// (once), so that a trainer whose appends alternate between replicas pays
// two round trips, as on the ordinary path, not three.
func (s *Store) fastAppend(ctx context.Context, what, run string, stats *statstore.TrainingStats) (plan statstore.TrainingPlan, cached runRow, done bool, err error) {
	cached, ok := s.rows.get(run)
	for attempt := 0; ok && cached.CountersCRC != nil && cached.Summary != nil && attempt < 2; attempt++ {
		plan, err = statstore.PlanTraining(int(cached.TrainedUntil), stats)
		if err != nil || plan.Action != statstore.WriteAppend || len(plan.Entries) < mergeBelow {
			// An append of a few entries may rewrite the last block,
			// which it reads first; anything else is not an append.
			return plan, cached, false, nil
		}
		var next, current runRow
		var updated int64
		var found bool
		next, err = s.sendGuarded(ctx, what, run, cached, plan, &updated, &found, &current)
		if err != nil {
			s.rows.forget(run)
			return plan, cached, true, err
		}
		if updated == 1 {
			s.rows.put(run, next)
			return plan, cached, true, nil
		}
		// The row is not the remembered one: nothing was written.
		s.rows.forget(run)
		// (A row renamed meanwhile, trashed, fails the next guard: its
		// name is part of it.)
		ok = found && verifyRow(run, current) == nil
		cached = current
	}
	return plan, cached, false, nil
}

// sendGuarded sends fastAppend's batch for entries planned against the
// row guess: BEGIN, the lock (which reads the row as it is into current;
// found is false when the row is gone), one insert per block, the
// counters' update (updated: the rows it changed, 1 when the guard held)
// and COMMIT. It returns the row as the update leaves it.
func (s *Store) sendGuarded(ctx context.Context, what, run string, guess runRow, plan statstore.TrainingPlan,
	updated *int64, found *bool, current *runRow) (runRow, error) {
	entries := plan.Entries
	next := guess
	next.TrainingCount += int64(len(entries))
	next.TrainedUntil = int64(entries[len(entries)-1].Iteration) + 1
	sum := countersCRC(run, next)
	next.CountersCRC = &sum
	summary := withCounters(guess.Summary.Sum, run, guess)
	summary.AppendTraining(entries)
	kept, err := newKept(summary)
	if err != nil {
		return next, err
	}
	next.Summary = kept

	args := guardArgs(run, guess)
	var b pgx.Batch
	b.Queue("BEGIN")
	// The lock is taken whatever the row holds, so that the guards below
	// are evaluated under it (a row deleted meanwhile cannot come back
	// with the same id).
	b.Queue("SELECT "+runColumns+" FROM statstore_runs WHERE id = $1 FOR UPDATE", guess.ID)
	chunks := splitChunks(entries)
	for _, c := range chunks {
		// run_id is $1, the guard's; the block's values follow the guard's.
		b.Queue(`INSERT INTO statstore_training_chunks (`+chunkWriteColumns+`)
			SELECT $1, `+chunkValueParams(len(args)+1)+` WHERE EXISTS (SELECT FROM statstore_runs WHERE `+rowGuard+`)`,
			append(args, c.writeArgs()...)...)
	}
	// The change feed's notification, under the same guard (sent at
	// COMMIT, so only when the append is).
	payload, err := notificationPayload(trainingEvents(run, guess, next, plan))
	if err != nil {
		return next, err
	}
	b.Queue(strings.Replace(notifySQL, "$1", "$10", 1)+" WHERE EXISTS (SELECT FROM statstore_runs WHERE "+rowGuard+")", append(args, payload)...)
	// The summary and the counters in one statement: both guards see the
	// row as it was before either update.
	b.Queue(`WITH kept AS (UPDATE statstore_run_summaries SET summary = $13, crc32c = $14
			WHERE run_id = $1 AND EXISTS (SELECT FROM statstore_runs WHERE `+rowGuard+`) RETURNING run_id)
		UPDATE statstore_runs SET training_count = $10, trained_until = $11, counters_crc32c = $12, last_write = now()
		WHERE `+rowGuard, append(args, next.TrainingCount, next.TrainedUntil, sum, kept.Doc, crc32c(kept.Doc))...)
	b.Queue("COMMIT")

	err = s.do(ctx, what, func(c *pgxConn) error {
		*updated, *found = 0, false
		err := readGuarded(c.Conn().SendBatch(ctx, &b), len(chunks)+1, updated, found, current)
		if err != nil && !c.Conn().IsClosed() {
			// A failed batch leaves its transaction open (aborted):
			// end it before the connection goes back to the pool.
			_, _ = c.Conn().Exec(context.WithoutCancel(ctx), "ROLLBACK")
		}
		return err
	})
	return next, err
}

// readGuarded reads the results of sendGuarded's batch (inserts: the
// statements between the lock and the update).
func readGuarded(br pgx.BatchResults, inserts int, updated *int64, found *bool, current *runRow) error {
	defer br.Close()
	if _, err := br.Exec(); err != nil { // BEGIN
		return err
	}
	r, err := scanRun(br.QueryRow())
	switch {
	case err == nil:
		*found, *current = true, r
	case !errors.Is(err, pgx.ErrNoRows):
		return err
	}
	for range inserts {
		if _, err := br.Exec(); err != nil {
			return err
		}
	}
	tag, err := br.Exec()
	if err != nil {
		return err
	}
	*updated = tag.RowsAffected()
	if _, err := br.Exec(); err != nil { // COMMIT
		return err
	}
	return br.Close()
}
