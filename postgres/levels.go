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
// package internal/pyramid from minLevel on, the M4 summaries of the
// aligned blocks of pyramid.Width(l) iterations that hold entries, packed
// packBlocks to a row: the row of level l starting at iteration s (a
// multiple of packWidth(l)) holds the blocks that start in
// [s, s + packWidth(l)), in order. A bucket query of width w
// (TrainingBuckets) reads the blocks of the coarsest level no wider than
// w, finer ones at its edges and the raw entries of the last few hundred
// iterations at each end (pyramid.Plan): about one row per packBlocks
// buckets, however long the history.
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
//   - a training overwrite (replaceTraining) removes, in its transaction,
//     the blocks that reach past the rewind point and rebuilds the newest
//     block of each level from the finer level (truncateLevels);
//   - deleting the training stats deletes them; deleting a run cascades.
//
// Each row's crc32c covers the run id, the level and the records (which
// have their own checksums); its blocks must be of its level, inside it
// and in order; and the newest blocks of the levels must agree on the
// last entry they hold; a whole-history query checks that its buckets
// hold training_count entries. Any mismatch is a *statstore.CorruptError
// naming the table and the run.

// levelsTable names the table in errors.
const levelsTable = "statstore_training_levels"

// minLevel is the finest level kept. Level 0 (64 iterations) would be
// about 16 blocks per 1,000 entries; the queries narrow enough to want it
// read the blocks of entries (chunkBuckets), whose summaries serve them.
const minLevel = 1

// packBlocks is how many blocks of a level one row holds at most (2,176
// bytes of records). Rows of one block each were read one page each once
// the levels had been extended a little at a time, as a trainer's
// appends with a dashboard open extend them, and a fresh connection pays
// a page fault for each page it first touches (1,000 buckets at 1e7 cost
// 3.8-4.3x their cost at 1e4; with the rows in order, 1.2x).
const packBlocks = 16

// packWidth returns the iterations a row of level l covers.
func packWidth(l int) int64 { return int64(pyramid.Width(l)) * packBlocks }

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
// big-endian), level (2) and records.
func levelCRC(runID int64, level int, records []byte) int64 {
	var h [10]byte
	binary.BigEndian.PutUint64(h[:], uint64(runID))
	binary.BigEndian.PutUint16(h[8:], uint16(level))
	return int64(crc32.Update(crc32.Checksum(h[:], castagnoli), castagnoli, records))
}

// corruptLevels is damage in the run's rows of statstore_training_levels.
func corruptLevels(run, reason string) error {
	return &statstore.CorruptError{Path: fmt.Sprintf("table %s, run %q", levelsTable, run), Offset: -1,
		Reason: reason + " (the table's rows are summaries of statstore_training_chunks: deleting the run's rows there makes the next bucket query rebuild them)"}
}

// decodePack checks a row and appends its blocks to out.
func decodePack(run string, runID int64, level int, start int64, records []byte, crc int64, out []statstore.TrainingBucket) ([]statstore.TrainingBucket, error) {
	where := fmt.Sprintf("level %d row at iteration %d", level, start)
	if level < minLevel || level >= pyramid.Levels {
		return out, corruptLevels(run, where+": no such level")
	}
	if got := levelCRC(runID, level, records); got != crc {
		return out, corruptLevels(run, fmt.Sprintf("%s does not match its checksum: CRC-32C %08x, stored %08x", where, got, crc))
	}
	pw := packWidth(level)
	if n := len(records) / pyramid.RecordSize; start < 0 || start%pw != 0 || len(records)%pyramid.RecordSize != 0 || n < 1 || n > packBlocks {
		return out, corruptLevels(run, fmt.Sprintf("%s: %d bytes of records, want 1 to %d of %d bytes, at a multiple of %d", where, len(records), packBlocks, pyramid.RecordSize, pw))
	}
	prev := start - 1
	for off := 0; off < len(records); off += pyramid.RecordSize {
		b, err := pyramid.DecodeRecord(records[off:off+pyramid.RecordSize], level, false)
		if err != nil {
			return out, corruptLevels(run, fmt.Sprintf("%s, record %d: %v", where, off/pyramid.RecordSize, err))
		}
		if int64(b.From) <= prev || int64(b.From) >= start+pw {
			return out, corruptLevels(run, fmt.Sprintf("%s, record %d: a block at iteration %d, after %d", where, off/pyramid.RecordSize, b.From, prev))
		}
		prev = int64(b.From)
		out = append(out, b)
	}
	return out, nil
}

// openLevels reads the newest row of each kept level: newest[l] holds its
// blocks, the last of which, open[l], holds the last entry the levels
// summarise. covered is the iteration after it, 0 when the run has no
// levels. The newest blocks must agree (the same last entry, coarser
// levels holding at least the entries of finer ones).
func openLevels(ctx context.Context, q querier, run string, runID int64) (open [pyramid.Levels]statstore.TrainingBucket,
	newest [pyramid.Levels][]statstore.TrainingBucket, covered int, err error) {
	rows, err := q.Query(ctx, `SELECT n.level, l.start, l.records, l.crc32c
		FROM generate_series($2::int, $3::int) AS n(level)
		LEFT JOIN LATERAL (SELECT start, records, crc32c FROM statstore_training_levels
			WHERE run_id = $1 AND level = n.level ORDER BY start DESC LIMIT 1) l ON true
		ORDER BY n.level`, runID, minLevel, pyramid.Levels-1)
	if err != nil {
		return open, newest, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var level int32
		var start, crc *int64
		var records []byte
		if err := rows.Scan(&level, &start, &records, &crc); err != nil {
			return open, newest, 0, err
		}
		if start == nil {
			continue
		}
		if crc == nil || level < minLevel || level >= pyramid.Levels {
			return open, newest, 0, corruptLevels(run, fmt.Sprintf("level %d row at iteration %d has no checksum", level, *start))
		}
		if newest[level], err = decodePack(run, runID, int(level), *start, records, *crc, nil); err != nil {
			return open, newest, 0, err
		}
		open[level] = newest[level][len(newest[level])-1]
	}
	if err := rows.Err(); err != nil {
		return open, newest, 0, err
	}
	last := open[minLevel]
	for l := minLevel + 1; l < pyramid.Levels; l++ {
		o := open[l]
		switch {
		case last.Count == 0 && o.Count > 0:
			return open, newest, 0, corruptLevels(run, fmt.Sprintf("level %d has blocks, level %d none", l, minLevel))
		case last.Count == 0:
		case o.Count == 0:
			return open, newest, 0, corruptLevels(run, fmt.Sprintf("level %d has no block, level %d's newest ends at iteration %d", l, minLevel, last.Last.Iteration))
		case !pyramid.SameEntry(o.Last, last.Last) || o.Count < open[l-1].Count:
			return open, newest, 0, corruptLevels(run, fmt.Sprintf("the newest blocks disagree: level %d's (from iteration %d, %d entries) ends at iteration %d, level %d's (%d entries) at %d",
				l, o.From, o.Count, o.Last.Iteration, l-1, open[l-1].Count, open[l-1].Last.Iteration))
		}
	}
	if last.Count > 0 {
		covered = last.Last.Iteration + 1
	}
	return open, newest, covered, nil
}

// levelRows are rows to write.
type levelRows struct {
	levels  []int16
	starts  []int64
	records [][]byte
}

// add adds the rows of blocks of level l (in order, those of a row
// complete: a row written replaces the stored one).
func (r *levelRows) add(l int, blocks []statstore.TrainingBucket) {
	pw := packWidth(l)
	for i := 0; i < len(blocks); {
		start := int64(blocks[i].From) / pw * pw
		var rec []byte
		for ; i < len(blocks) && int64(blocks[i].From) < start+pw; i++ {
			rec = pyramid.AppendRecord(rec, blocks[i])
		}
		r.levels, r.starts, r.records = append(r.levels, int16(l)), append(r.starts, start), append(r.records, rec)
	}
}

// upsert writes the rows, replacing the stored rows of the same level
// and start. Callers add them in (level, start) order, so that one
// level's rows lie side by side in the table's pages.
func (r *levelRows) upsert(ctx context.Context, tx pgx.Tx, runID int64) error {
	if len(r.records) == 0 {
		return nil
	}
	crcs := make([]int64, len(r.records))
	for i, rec := range r.records {
		crcs[i] = levelCRC(runID, int(r.levels[i]), rec)
	}
	_, err := tx.Exec(ctx, `INSERT INTO statstore_training_levels (run_id, level, start, records, crc32c)
		SELECT $1, * FROM unnest($2::smallint[], $3::bigint[], $4::bytea[], $5::bigint[])
		ON CONFLICT (run_id, level, start) DO UPDATE SET records = excluded.records, crc32c = excluded.crc32c`,
		runID, r.levels, r.starts, r.records, crcs)
	if err != nil {
		return fmt.Errorf("write %d rows to %s: %w", len(r.records), levelsTable, err)
	}
	return nil
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
			open, newest, covered, err := openLevels(ctx, tx, run, r.ID)
			if err != nil || int64(covered) == r.TrainedUntil {
				return err
			}
			if int64(covered) > r.TrainedUntil {
				return corruptLevels(run, fmt.Sprintf("the levels hold entries up to iteration %d, the history ends at %d", covered-1, r.TrainedUntil-1))
			}
			if _, err := tx.Exec(ctx, indexOrder); err != nil {
				return err
			}
			entries, next, err := readTrainingEntries(ctx, tx, run, r, statstore.IterationRange{From: covered}, extendBlocks)
			if err != nil {
				return err
			}
			if len(entries) == 0 {
				return corruptChunk(run, fmt.Sprintf("trained_until is %d, but no block holds an entry from iteration %d on", r.TrainedUntil, covered))
			}
			// Each level's blocks from its newest row's first on: that
			// row's blocks but the open one, then what the builder
			// closes (the open one first) and leaves open.
			var blocks [pyramid.Levels][]statstore.TrainingBucket
			for l := minLevel; l < pyramid.Levels; l++ {
				if n := len(newest[l]); n > 0 {
					blocks[l] = newest[l][:n-1]
				}
			}
			bd := pyramid.Builder{Open: open, Closed: func(l int, b statstore.TrainingBucket) {
				if l >= minLevel {
					blocks[l] = append(blocks[l], b)
				}
			}}
			bd.Add(entries)
			var out levelRows
			for l := minLevel; l < pyramid.Levels; l++ {
				out.add(l, append(blocks[l], bd.Open[l]))
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
// overwrite's transaction (which holds the run's row): it removes every
// block that reaches past p (rewind rounded down to level minLevel's
// width, so that level's blocks stay whole) and rebuilds the newest block
// of each coarser level from the blocks of the level below.
func truncateLevels(ctx context.Context, tx pgx.Tx, run string, runID int64, rewind int) error {
	w := int64(pyramid.Width(minLevel))
	p := int64(rewind) / w * w
	// pack reads the row of level l that starts at start (none: nil).
	pack := func(l int, start int64) ([]statstore.TrainingBucket, error) {
		var records []byte
		var crc int64
		err := tx.QueryRow(ctx, `SELECT records, crc32c FROM statstore_training_levels WHERE run_id = $1 AND level = $2 AND start = $3`,
			runID, int16(l), start).Scan(&records, &crc)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return decodePack(run, runID, l, start, records, crc, nil)
	}
	// Rows from p on go; a row holding p keeps its blocks that end by p.
	if _, err := tx.Exec(ctx, `DELETE FROM statstore_training_levels WHERE run_id = $1 AND start >= $2`, runID, p); err != nil {
		return fmt.Errorf("delete the summaries from iteration %d on: %w", p, err)
	}
	var trimmed levelRows
	for l := minLevel; l < pyramid.Levels; l++ {
		start := p / packWidth(l) * packWidth(l)
		if start == p {
			continue // deleted whole
		}
		blocks, err := pack(l, start)
		if err != nil {
			return err
		}
		keep := 0
		for keep < len(blocks) && int64(blocks[keep].From)+int64(pyramid.Width(l)) <= p {
			keep++
		}
		switch {
		case keep == len(blocks):
		case keep == 0:
			if _, err := tx.Exec(ctx, `DELETE FROM statstore_training_levels WHERE run_id = $1 AND level = $2 AND start = $3`, runID, int16(l), start); err != nil {
				return err
			}
		default:
			trimmed.add(l, blocks[:keep])
		}
	}
	if err := trimmed.upsert(ctx, tx, runID); err != nil {
		return err
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
	fine, err := pack(minLevel, *start)
	if err != nil {
		return err
	}
	if len(fine) == 0 {
		return corruptLevels(run, fmt.Sprintf("level %d's newest row, at iteration %d, is gone", minLevel, *start))
	}
	last := fine[len(fine)-1].Last.Iteration
	for l := minLevel + 1; l < pyramid.Levels; l++ {
		W := pyramid.Width(l)
		from := last / W * W
		if int64(from)+int64(W) <= p {
			continue // whole before p: kept as it is
		}
		// Its children are in one row of the level below (a row of
		// level l-1 is as wide as 4 blocks of level l).
		below, err := pack(l-1, int64(from)/packWidth(l-1)*packWidth(l-1))
		if err != nil {
			return err
		}
		var b statstore.TrainingBucket
		for _, c := range below {
			if c.From >= from && c.From < from+W {
				if b.Count == 0 {
					b = c
				} else {
					b = statstore.MergeBuckets(b, c)
				}
			}
		}
		if b.Count == 0 {
			return corruptLevels(run, fmt.Sprintf("no level %d block holds the entries of iterations %d to %d, which level %d does", l-1, from, last, minLevel))
		}
		b.From, b.To = from, from+W
		rowStart := int64(from) / packWidth(l) * packWidth(l)
		blocks, err := pack(l, rowStart)
		if err != nil {
			return err
		}
		var rebuilt levelRows
		rebuilt.add(l, append(blocks, b))
		// The next level's rebuild reads this row.
		if err := rebuilt.upsert(ctx, tx, runID); err != nil {
			return err
		}
	}
	return nil
}

// levelBuckets adds to acc (whose width is at least level minLevel's) the
// buckets of the run's entries of iterations first to last, from its
// levels and, past what they cover, from its entries (summarised here).
// mayExtend: when the levels are extendAt iterations or more behind,
// return errExtendFirst instead.
func levelBuckets(ctx context.Context, tx pgx.Tx, run string, r runRow, first, last int, acc *pyramid.Acc, mayExtend bool) error {
	open, _, covered, err := openLevels(ctx, tx, run, r.ID)
	if err != nil {
		return err
	}
	switch behind := r.TrainedUntil - int64(covered); {
	case behind < 0:
		return corruptLevels(run, fmt.Sprintf("the levels hold entries up to iteration %d, the history ends at %d", covered-1, r.TrainedUntil-1))
	case behind >= extendAt && mayExtend:
		return errExtendFirst
	}
	// The blocks of level l from memFrom[l] on are the newest (open) block
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
		entries, _, err := readTrainingEntries(ctx, tx, run, r, statstore.IterationRange{From: covered}, 0)
		if err != nil {
			return err
		}
		mem.Add(entries)
	}
	pieces := pyramid.Plan(first, last+1, acc.W)
	// The stored blocks of the pieces, in one query: the rows that start
	// in [lo, hi), lo the start of the row holding the piece's first block.
	var levels []int16
	var los, his []int64
	var stored [][]statstore.TrainingBucket // per level piece, its stored blocks
	for _, p := range pieces {
		if p.Level >= minLevel {
			pw, hi := packWidth(p.Level), min(p.To, memFrom[p.Level])
			levels, los, his = append(levels, int16(p.Level)), append(los, int64(p.From)/pw*pw), append(his, int64(hi))
			stored = append(stored, make([]statstore.TrainingBucket, 0, max(hi-p.From, 0)/pyramid.Width(p.Level)+1))
		}
	}
	rows, err := tx.Query(ctx, `SELECT p.n, l.start, l.records, l.crc32c
		FROM unnest($2::smallint[], $3::bigint[], $4::bigint[]) WITH ORDINALITY AS p(level, lo, hi, n)
		JOIN LATERAL (SELECT start, records, crc32c FROM statstore_training_levels
			WHERE run_id = $1 AND level = p.level AND start >= p.lo AND start < p.hi) l ON true
		ORDER BY p.n, l.start`, r.ID, levels, los, his)
	if err != nil {
		return err
	}
	for rows.Next() {
		var n, start, crc int64
		var records []byte
		if err := rows.Scan(&n, &start, &records, &crc); err != nil {
			rows.Close()
			return err
		}
		if stored[n-1], err = decodePack(run, r.ID, int(levels[n-1]), start, records, crc, stored[n-1]); err != nil {
			rows.Close()
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	k := 0
	for i := 0; i < len(pieces); i++ {
		p := pieces[i]
		if p.Level >= minLevel {
			hi := min(p.To, memFrom[p.Level])
			for _, b := range stored[k] {
				if b.From >= p.From && b.From < hi {
					acc.Add(b)
				}
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
		entries, _, err := readTrainingEntries(ctx, tx, run, r, rg, 0)
		if err != nil {
			return err
		}
		acc.AddEntries(entries)
		i = j
	}
	return nil
}

// readTrainingEntries reads the run's entries of r in iteration order:
// the blocks that overlap it, trimmed to it, at most limit blocks of them
// (0: all); more reports that the limit may have cut the read short.
func readTrainingEntries(ctx context.Context, tx pgx.Tx, run string, row runRow, r statstore.IterationRange, limit int) (
	entries []statstore.TrainingIterationStats, more bool, err error) {
	// At most one entry per iteration of r before the history's end, and
	// two blocks' more: the range, not the history, sizes the buffer.
	size := min(row.TrainingCount, min(rangeEnd(r), row.TrainedUntil)-int64(r.From)+2*maxChunkEntries)
	var lim *int64 // nil: LIMIT NULL, no limit
	if limit > 0 {
		n := int64(limit)
		lim, size = &n, min(size, n*maxChunkEntries)
	}
	out, blocks, err := queryChunks(ctx, tx, run, size, `SELECT `+chunkColumns+` FROM statstore_training_chunks
		WHERE run_id = $1 AND `+fromOverlap+` AND last_iteration >= $2 AND first_iteration < $3
		ORDER BY first_iteration LIMIT $4`, row.ID, int64(r.From), rangeEnd(r), lim)
	if err != nil {
		return nil, false, err
	}
	lo := sort.Search(len(out), func(i int) bool { return out[i].Iteration >= r.From })
	hi := sort.Search(len(out), func(i int) bool { return int64(out[i].Iteration) >= rangeEnd(r) })
	return out[lo:hi], lim != nil && int64(len(blocks)) == *lim, nil
}
