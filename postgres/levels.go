package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"sort"

	"github.com/jackc/pgx/v5"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/pyramid"
)

// The run's training history summarised at coarser and coarser scales
// (migration 0012): statstore_training_levels holds, for each level l of
// package internal/pyramid from minLevel on, one row per aligned block of
// pyramid.Width(l) iterations that holds entries, with the block's M4
// summary. A bucket query of width w (TrainingBuckets) reads the blocks of
// the coarsest level no wider than w, finer ones at its edges and the raw
// entries of the last few hundred iterations at each end (pyramid.Plan):
// about as many rows as buckets, however long the history.
//
// The rows are derived from the blocks of entries, and kept in step with
// them so that a read never mixes two histories:
//
//   - an append does not touch them: the levels summarise the history up
//     to their newest block's last entry ("covered"), and a bucket query
//     summarises the entries after it itself, in memory for a few
//     (fewer than extendAt iterations) or, for more, first into the table
//     (extendLevels), in transactions that hold the run's row locked, as
//     writers do, so that the history cannot change under them;
//   - a training overwrite (replaceTraining) deletes, in its transaction,
//     the blocks that reach past the rewind point and rebuilds the newest
//     block of each level from the finer level (truncateLevels);
//   - deleting the training stats deletes them; deleting a run cascades.
//
// Each row's crc32c covers the run id, the level and the record (which has
// its own checksum), and the newest blocks of the levels must agree on the
// last entry they hold; a whole-history query checks that its buckets hold
// training_count entries. Any mismatch is a *statstore.CorruptError naming
// the table and the run.

// levelsTable names the table in errors.
const levelsTable = "statstore_training_levels"

// minLevel is the finest level kept. Level 0 (64 iterations) would be
// about 16 rows per 1,000 entries; the queries narrow enough to want it
// read the blocks of entries (chunkBuckets), whose summaries serve them.
const minLevel = 1

// extendAt: a bucket query finding the levels this many iterations or
// more behind the history stores the missing summaries first; fewer are
// summarised for its answer only (at 2^14, those up to 16,000 entries
// were half of a warm query at 1e7 when a trainer appended 10,000 at a
// time; at 2^12 a query reads at most about 15 blocks of entries more).
const extendAt = 1 << 12

// extendBlocks bounds the blocks of entries one transaction of
// extendLevels summarises (about 280,000 entries), and so how long the
// run's writers wait for it.
const extendBlocks = 1000

// errExtendFirst: the levels are too far behind for the query to
// summarise the rest in memory; it extends them and asks again.
var errExtendFirst = errors.New("levels behind the history")

// levelCRC returns the checksum of a row: the CRC-32C of run_id (8 bytes
// big-endian), level (2) and record.
func levelCRC(runID int64, level int, record []byte) int64 {
	var h [10]byte
	binary.BigEndian.PutUint64(h[:], uint64(runID))
	binary.BigEndian.PutUint16(h[8:], uint16(level))
	return int64(crc32.Update(crc32.Checksum(h[:], castagnoli), castagnoli, record))
}

// corruptLevels is damage in the run's rows of statstore_training_levels.
func corruptLevels(run, reason string) error {
	return &statstore.CorruptError{Path: fmt.Sprintf("table %s, run %q", levelsTable, run), Offset: -1,
		Reason: reason + " (the table's rows are summaries of statstore_training_chunks: deleting the run's rows there makes the next bucket query rebuild them)"}
}

// decodeLevel checks a row and returns its block.
func decodeLevel(run string, runID int64, level int, start int64, record []byte, crc int64) (statstore.TrainingBucket, error) {
	where := fmt.Sprintf("level %d block at iteration %d", level, start)
	if level < minLevel || level >= pyramid.Levels {
		return statstore.TrainingBucket{}, corruptLevels(run, where+": no such level")
	}
	if got := levelCRC(runID, level, record); got != crc {
		return statstore.TrainingBucket{}, corruptLevels(run, fmt.Sprintf("%s does not match its checksum: CRC-32C %08x, stored %08x", where, got, crc))
	}
	b, err := pyramid.DecodeRecord(record, level, false)
	if err != nil {
		return b, corruptLevels(run, fmt.Sprintf("%s: %v", where, err))
	}
	if int64(b.From) != start {
		return b, corruptLevels(run, fmt.Sprintf("%s: its record starts at iteration %d", where, b.From))
	}
	return b, nil
}

// openLevels reads the newest block of each kept level: the blocks that
// hold the last entry the levels summarise. covered is the iteration
// after it, 0 when the run has no levels. The blocks must agree (the same
// last entry, coarser levels holding at least the entries of finer ones).
func openLevels(ctx context.Context, q querier, run string, runID int64) (open [pyramid.Levels]statstore.TrainingBucket, covered int, err error) {
	rows, err := q.Query(ctx, `SELECT n.level, l.start, l.record, l.crc32c
		FROM generate_series($2::int, $3::int) AS n(level)
		LEFT JOIN LATERAL (SELECT start, record, crc32c FROM statstore_training_levels
			WHERE run_id = $1 AND level = n.level ORDER BY start DESC LIMIT 1) l ON true
		ORDER BY n.level`, runID, minLevel, pyramid.Levels-1)
	if err != nil {
		return open, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var level int32
		var start, crc *int64
		var record []byte
		if err := rows.Scan(&level, &start, &record, &crc); err != nil {
			return open, 0, err
		}
		if start == nil {
			continue
		}
		if crc == nil {
			return open, 0, corruptLevels(run, fmt.Sprintf("level %d block at iteration %d has no checksum", level, *start))
		}
		if open[level], err = decodeLevel(run, runID, int(level), *start, record, *crc); err != nil {
			return open, 0, err
		}
	}
	if err := rows.Err(); err != nil {
		return open, 0, err
	}
	last := open[minLevel]
	for l := minLevel + 1; l < pyramid.Levels; l++ {
		o := open[l]
		switch {
		case last.Count == 0 && o.Count > 0:
			return open, 0, corruptLevels(run, fmt.Sprintf("level %d has blocks, level %d none", l, minLevel))
		case last.Count == 0:
		case o.Count == 0:
			return open, 0, corruptLevels(run, fmt.Sprintf("level %d has no block, level %d's newest ends at iteration %d", l, minLevel, last.Last.Iteration))
		case !pyramid.SameEntry(o.Last, last.Last) || o.Count < open[l-1].Count:
			return open, 0, corruptLevels(run, fmt.Sprintf("the newest blocks disagree: level %d's (from iteration %d, %d entries) ends at iteration %d, level %d's (%d entries) at %d",
				l, o.From, o.Count, o.Last.Iteration, l-1, open[l-1].Count, open[l-1].Last.Iteration))
		}
	}
	if last.Count > 0 {
		covered = last.Last.Iteration + 1
	}
	return open, covered, nil
}

// levelRows are blocks to write, with their levels.
type levelRows struct {
	levels []int16
	blocks []statstore.TrainingBucket
}

func (r *levelRows) add(l int, b statstore.TrainingBucket) {
	r.levels = append(r.levels, int16(l))
	r.blocks = append(r.blocks, b)
}

// upsert writes the blocks, replacing the rows of the same blocks. They
// are sent in (level, start) order, so that the rows of one level lie
// side by side in the table's pages: a query reads one level's rows, and
// a connection pays a page fault for each shared buffer it first touches
// (about 10 µs here; 400 of them for 1,000 buckets of rows written in
// the order the builder closes them, all levels mixed).
func (r *levelRows) upsert(ctx context.Context, tx pgx.Tx, runID int64) error {
	if len(r.blocks) == 0 {
		return nil
	}
	order := make([]int, len(r.blocks))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		return r.levels[a] < r.levels[b] || r.levels[a] == r.levels[b] && r.blocks[a].From < r.blocks[b].From
	})
	levels, blocks := make([]int16, len(order)), make([]statstore.TrainingBucket, len(order))
	for i, k := range order {
		levels[i], blocks[i] = r.levels[k], r.blocks[k]
	}
	r.levels, r.blocks = levels, blocks
	starts := make([]int64, len(r.blocks))
	records := make([][]byte, len(r.blocks))
	crcs := make([]int64, len(r.blocks))
	for i, b := range r.blocks {
		starts[i] = int64(b.From)
		records[i] = pyramid.AppendRecord(nil, b)
		crcs[i] = levelCRC(runID, int(r.levels[i]), records[i])
	}
	_, err := tx.Exec(ctx, `INSERT INTO statstore_training_levels (run_id, level, start, record, crc32c)
		SELECT $1, * FROM unnest($2::smallint[], $3::bigint[], $4::bytea[], $5::bigint[])
		ON CONFLICT (run_id, level, start) DO UPDATE SET record = excluded.record, crc32c = excluded.crc32c`,
		runID, r.levels, starts, records, crcs)
	if err != nil {
		return fmt.Errorf("write %d blocks to %s: %w", len(r.blocks), levelsTable, err)
	}
	return nil
}

// entriesFrom reads the run's entries from iteration from on, at most
// limit blocks of them (0: all); more reports that there may be others
// after them.
func entriesFrom(ctx context.Context, tx pgx.Tx, run string, r runRow, from, limit int) (entries []statstore.TrainingIterationStats, more bool, err error) {
	lim := int64(limit)
	if limit == 0 {
		lim = r.TrainingCount + 1 // every block (at least one entry each)
	}
	// At most one entry per iteration from `from` on: the gap, not the
	// history, sizes the buffer.
	size := min(lim*maxChunkEntries, r.TrainingCount, max(r.TrainedUntil-int64(from), 0)+maxChunkEntries)
	entries, blocks, err := queryChunks(ctx, tx, run, size, `SELECT `+chunkColumns+`
		FROM statstore_training_chunks WHERE run_id = $1 AND `+fromOverlap+` AND last_iteration >= $2
		ORDER BY first_iteration LIMIT $3`, r.ID, int64(from), lim)
	if err != nil {
		return nil, false, err
	}
	i := sort.Search(len(entries), func(i int) bool { return entries[i].Iteration >= from })
	return entries[i:], int64(len(blocks)) == lim, nil
}

// extendLevels summarises into the run's levels the entries written after
// the ones they cover, extendBlocks blocks of entries per transaction.
// Each transaction locks the run's row (FOR NO KEY UPDATE: writers, and
// other extensions, wait; readers do not), so the history cannot change
// between the read of the levels and the write of their new blocks.
func (s *Store) extendLevels(ctx context.Context, what, run string) error {
	for {
		more := false
		err := s.tx(ctx, what, pgx.TxOptions{}, func(tx pgx.Tx) error {
			more = false
			r, err := scanRun(tx.QueryRow(ctx, "SELECT "+runColumns+" FROM statstore_runs WHERE name = $1 FOR NO KEY UPDATE", run))
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("lock run: %w", err)
			}
			if err := verifyRow(run, r); err != nil {
				return err
			}
			open, covered, err := openLevels(ctx, tx, run, r.ID)
			if err != nil || int64(covered) == r.TrainedUntil {
				return err
			}
			if int64(covered) > r.TrainedUntil {
				return corruptLevels(run, fmt.Sprintf("the levels hold entries up to iteration %d, the history ends at %d", covered-1, r.TrainedUntil-1))
			}
			if _, err := tx.Exec(ctx, indexOrder); err != nil {
				return err
			}
			entries, next, err := entriesFrom(ctx, tx, run, r, covered, extendBlocks)
			if err != nil {
				return err
			}
			if len(entries) == 0 {
				return corruptChunk(run, fmt.Sprintf("trained_until is %d, but no block holds an entry from iteration %d on", r.TrainedUntil, covered))
			}
			var out levelRows
			bd := pyramid.Builder{Open: open, Closed: func(l int, b statstore.TrainingBucket) {
				if l >= minLevel {
					out.add(l, b)
				}
			}}
			bd.Add(entries)
			for l := minLevel; l < pyramid.Levels; l++ {
				out.add(l, bd.Open[l])
			}
			more = next
			if s.beforeLevelsWrite != nil {
				s.beforeLevelsWrite()
			}
			return out.upsert(ctx, tx, r.ID)
		})
		if err != nil || !more {
			return err
		}
	}
}

// truncateLevels makes the run's levels summarise only entries before
// iteration rewind, the first a training overwrite changes, in the
// overwrite's transaction (which holds the run's row): it deletes every
// block that reaches past p (rewind rounded down to level minLevel's
// width, so that level's blocks stay whole) and rebuilds the newest block
// of each coarser level from the blocks of the level below.
func truncateLevels(ctx context.Context, tx pgx.Tx, run string, runID int64, rewind int) error {
	w := int64(pyramid.Width(minLevel))
	p := int64(rewind) / w * w
	if _, err := tx.Exec(ctx, `DELETE FROM statstore_training_levels
		WHERE run_id = $1 AND start + (1::bigint << ($3::int + $4::int * level)) > $2`, runID, p, pyramid.MinShift, pyramid.ShiftStep); err != nil {
		return fmt.Errorf("delete the summaries from iteration %d on: %w", p, err)
	}
	blocks := func(level, from, to int) ([]statstore.TrainingBucket, error) {
		rows, err := tx.Query(ctx, `SELECT start, record, crc32c FROM statstore_training_levels
			WHERE run_id = $1 AND level = $2 AND start >= $3 AND start < $4 ORDER BY start`, runID, int16(level), int64(from), int64(to))
		if err != nil {
			return nil, err
		}
		var out []statstore.TrainingBucket
		for rows.Next() {
			var start, crc int64
			var record []byte
			if err := rows.Scan(&start, &record, &crc); err != nil {
				rows.Close()
				return nil, err
			}
			b, err := decodeLevel(run, runID, level, start, record, crc)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, b)
		}
		return out, rows.Err()
	}
	// Level minLevel's newest block is whole (it ends at p or before).
	var start *int64
	if err := tx.QueryRow(ctx, `SELECT max(start) FROM statstore_training_levels WHERE run_id = $1 AND level = $2`,
		runID, int16(minLevel)).Scan(&start); err != nil {
		return err
	}
	if start == nil {
		// Nothing summarised before p: no coarser block either.
		_, err := tx.Exec(ctx, `DELETE FROM statstore_training_levels WHERE run_id = $1`, runID)
		return err
	}
	fine, err := blocks(minLevel, int(*start), int(*start)+1)
	if err != nil {
		return err
	}
	last := fine[len(fine)-1].Last.Iteration
	var rebuilt levelRows
	for l := minLevel + 1; l < pyramid.Levels; l++ {
		W := pyramid.Width(l)
		from := last / W * W
		if int64(from)+int64(W) <= p {
			continue // whole before p: kept as it is
		}
		children, err := blocks(l-1, from, from+W)
		if err != nil {
			return err
		}
		if len(children) == 0 {
			return corruptLevels(run, fmt.Sprintf("no level %d block holds the entries of iterations %d to %d, which level %d does", l-1, from, last, minLevel))
		}
		b := children[0]
		for _, c := range children[1:] {
			b = statstore.MergeBuckets(b, c)
		}
		b.From, b.To = from, from+W
		rebuilt.add(l, b)
		// The next level's rebuild reads this block.
		if err := rebuilt.upsert(ctx, tx, runID); err != nil {
			return err
		}
		rebuilt = levelRows{}
	}
	return nil
}

// levelBuckets adds to acc (whose width is at least level minLevel's) the
// buckets of the run's entries of iterations first to last, from its
// levels and, past what they cover, from its entries (summarised here).
// mayExtend: when the levels are extendAt iterations or more behind,
// return errExtendFirst instead.
func levelBuckets(ctx context.Context, tx pgx.Tx, run string, r runRow, first, last int, acc *pyramid.Acc, mayExtend bool) error {
	open, covered, err := openLevels(ctx, tx, run, r.ID)
	if err != nil {
		return err
	}
	switch behind := r.TrainedUntil - int64(covered); {
	case behind < 0:
		return corruptLevels(run, fmt.Sprintf("the levels hold entries up to iteration %d, the history ends at %d", covered-1, r.TrainedUntil-1))
	case behind >= extendAt && mayExtend:
		return errExtendFirst
	}
	// The blocks of level l from mem[l] on are the newest (open) block
	// and those after it, summarised here with the entries after covered.
	mem := pyramid.NewMem()
	var memFrom [pyramid.Levels]int
	for l := minLevel; l < pyramid.Levels; l++ {
		mem.Open[l] = open[l]
		if open[l].Count > 0 {
			memFrom[l] = open[l].From
		}
	}
	if int64(covered) < r.TrainedUntil {
		entries, _, err := entriesFrom(ctx, tx, run, r, covered, 0)
		if err != nil {
			return err
		}
		mem.Add(entries)
	}
	pieces := pyramid.Plan(first, last+1, acc.W)
	// The stored blocks of the pieces, in one query.
	var levels []int16
	var los, his []int64
	for _, p := range pieces {
		if p.Level >= minLevel {
			levels, los, his = append(levels, int16(p.Level)), append(los, int64(p.From)), append(his, int64(min(p.To, memFrom[p.Level])))
		}
	}
	rows, err := tx.Query(ctx, `SELECT p.n, l.start, l.record, l.crc32c
		FROM unnest($2::smallint[], $3::bigint[], $4::bigint[]) WITH ORDINALITY AS p(level, lo, hi, n)
		JOIN LATERAL (SELECT start, record, crc32c FROM statstore_training_levels
			WHERE run_id = $1 AND level = p.level AND start >= p.lo AND start < p.hi) l ON true
		ORDER BY p.n, l.start`, r.ID, levels, los, his)
	if err != nil {
		return err
	}
	stored := make([][]statstore.TrainingBucket, len(levels))
	for i := range stored {
		stored[i] = make([]statstore.TrainingBucket, 0, max(his[i]-los[i], 0)/int64(pyramid.Width(int(levels[i])))+1)
	}
	for rows.Next() {
		var n, start, crc int64
		var record []byte
		if err := rows.Scan(&n, &start, &record, &crc); err != nil {
			rows.Close()
			return err
		}
		b, err := decodeLevel(run, r.ID, int(levels[n-1]), start, record, crc)
		if err != nil {
			rows.Close()
			return err
		}
		stored[n-1] = append(stored[n-1], b)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	k := 0
	for i := 0; i < len(pieces); i++ {
		p := pieces[i]
		if p.Level >= minLevel {
			for _, b := range stored[k] {
				acc.Add(b)
			}
			k++
			for _, b := range mem.Blocks(p.Level, max(p.From, memFrom[p.Level]), p.To) {
				acc.Add(b)
			}
			continue
		}
		// Finer pieces side by side are one read of entries.
		j := i
		for j+1 < len(pieces) && pieces[j+1].Level < minLevel {
			j++
		}
		rg := statstore.IterationRange{From: p.From, To: pieces[j].To}
		entries, err := readTrainingEntries(ctx, tx, run, r, rg)
		if err != nil {
			return err
		}
		acc.AddEntries(entries)
		i = j
	}
	return nil
}

// readTrainingEntries reads the run's entries of r in iteration order:
// the blocks that overlap it, trimmed to it.
func readTrainingEntries(ctx context.Context, tx pgx.Tx, run string, row runRow, r statstore.IterationRange) ([]statstore.TrainingIterationStats, error) {
	size := row.TrainingCount
	if r.To > 0 {
		size = min(size, int64(r.To-r.From)+2*maxChunkEntries)
	}
	out, _, err := queryChunks(ctx, tx, run, size, `SELECT `+chunkColumns+` FROM statstore_training_chunks
		WHERE run_id = $1 AND `+fromOverlap+` AND last_iteration >= $2 AND first_iteration < $3
		ORDER BY first_iteration`, row.ID, int64(r.From), rangeEnd(r))
	if err != nil {
		return nil, err
	}
	lo := sort.Search(len(out), func(i int) bool { return out[i].Iteration >= r.From })
	hi := sort.Search(len(out), func(i int) bool { return int64(out[i].Iteration) >= rangeEnd(r) })
	return out[lo:hi], nil
}
