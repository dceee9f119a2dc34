package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/jackc/pgx/v5"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/pyramid"
)

var _ statstore.TrainingBucketer = (*Store)(nil)

// chunkM4 is what a block's row says of its entries for buckets
// (migration 0009): how many losses are finite, NaN, +Inf and -Inf, the
// first non-finite loss's iteration (-1: none), and the index in the
// block of the lowest and of the highest finite loss (the first of equal
// ones; -1: none). The block's first and last entries are its data's
// first and last 24 bytes.
type chunkM4 struct {
	Finite, NaN, PosInf, NegInf int32
	FirstNonFinite              int64
	MinIndex, MaxIndex          int16
}

// m4Columns are chunkM4's columns in args' order.
const m4Columns = "finite, nan, pos_inf, neg_inf, first_non_finite, min_index, max_index"

func (m chunkM4) args() []any {
	return []any{m.Finite, m.NaN, m.PosInf, m.NegInf, m.FirstNonFinite, m.MinIndex, m.MaxIndex}
}

// summarizeChunk returns the summary of a block's entries (at most
// maxChunkEntries).
func summarizeChunk(entries []statstore.TrainingIterationStats) chunkM4 {
	m := chunkM4{FirstNonFinite: -1, MinIndex: -1, MaxIndex: -1}
	for i, e := range entries {
		switch l := e.Loss; {
		case math.IsNaN(l):
			m.NaN++
		case math.IsInf(l, 1):
			m.PosInf++
		case math.IsInf(l, -1):
			m.NegInf++
		default:
			if m.MinIndex < 0 || l < entries[m.MinIndex].Loss {
				m.MinIndex = int16(i)
			}
			if m.MaxIndex < 0 || l > entries[m.MaxIndex].Loss {
				m.MaxIndex = int16(i)
			}
			m.Finite++
			continue
		}
		if m.FirstNonFinite < 0 {
			m.FirstNonFinite = int64(e.Iteration)
		}
	}
	return m
}

// TrainingBuckets answers as statstore.BucketTraining does on the run's
// history. Buckets of 256 iterations or wider are read from the levels
// (migration 0012, levels.go): about one row per bucket and a few hundred
// entries at each end, however long the history; the first such query of
// a run, or one finding many entries not yet summarised, summarises them
// into the levels first. Narrower buckets are read from the blocks'
// summaries (migration 0009): a block inside one bucket and inside the
// range is read as its summary columns and three 24-byte slices of its
// data; the others (at most one or two per bucket, and at the range's
// edges) whole, checksum verified. Every row read is checked against its
// checksum (migration 0010: m4_crc32c, entry_crcs; 0012: the levels'
// crc32c), so damage is a *statstore.CorruptError, never a wrong bucket.
// A block written before migration 0010 has none: its summary is checked
// for consistency only (one that disagrees with itself or with the
// block's bounds is a *statstore.CorruptError, one damaged into another
// consistent summary would be read as it is) until it is next rewritten.
func (s *Store) TrainingBuckets(ctx context.Context, run string, opts statstore.BucketOptions) ([]statstore.TrainingBucket, int, error) {
	what := fmt.Sprintf("training buckets of run %q", run)
	opts, err := opts.Normalize()
	if err != nil {
		return nil, 0, fmt.Errorf("postgres: %s: %w", what, err)
	}
	if err := checkRun(what, run); err != nil {
		return nil, 0, err
	}
	var out []statstore.TrainingBucket
	var w int
	for attempt := 0; ; attempt++ {
		out, w, err = s.readBuckets(ctx, what, run, opts, attempt == 0)
		if !errors.Is(err, errExtendFirst) {
			break
		}
		// The levels are far behind the history: summarise the rest
		// into them, then ask again (answering from the entries past
		// them, should a writer have added more meanwhile).
		if err := s.extendLevels(ctx, what, run); err != nil {
			var ce *statstore.CorruptError
			if errors.As(err, &ce) || ctx.Err() != nil {
				return nil, 0, err
			}
			s.log.Warn("training summaries not stored; answering from the entries", "run", run, "err", err)
		}
	}
	if err != nil {
		return nil, 0, err
	}
	return out, w, nil
}

// readBuckets answers TrainingBuckets in one read-only transaction: from
// the blocks of entries for widths below level minLevel's (chunkBuckets),
// else from the levels (levelBuckets; mayExtend: errExtendFirst when they
// are far behind). The buckets of the whole history must hold
// training_count entries, those of a range its first and last entries.
func (s *Store) readBuckets(ctx context.Context, what, run string, opts statstore.BucketOptions, mayExtend bool) ([]statstore.TrainingBucket, int, error) {
	out, w := []statstore.TrainingBucket{}, 1
	err := s.readTx(ctx, what, func(tx pgx.Tx) error {
		out, w = []statstore.TrainingBucket{}, 1
		row, ok, err := readRun(ctx, tx, run)
		if err != nil || !ok || row.TrainingCount == 0 {
			return err
		}
		if _, err := tx.Exec(ctx, indexOrder); err != nil {
			return err
		}
		first, last, ok, err := bucketBounds(ctx, tx, run, row.ID, opts.Range)
		if err != nil || !ok {
			return err
		}
		w = statstore.BucketWidth(first, last, opts.Buckets)
		acc := pyramid.Acc{W: w, Out: make([]statstore.TrainingBucket, 0, (last-first)/w+2)}
		corrupt := corruptChunk
		if pyramid.LevelFor(w) < minLevel {
			err = chunkBuckets(ctx, tx, run, row.ID, first, last, &acc)
		} else {
			err, corrupt = levelBuckets(ctx, tx, run, row, first, last, &acc, mayExtend), corruptLevels
		}
		if err != nil {
			return err
		}
		out = acc.Out
		return checkBuckets(run, row, opts.Range, first, last, out, corrupt)
	})
	return out, w, err
}

// checkBuckets checks buckets read of range r, whose first and last
// entries are at iterations first and last, against what else is known
// of the history: the first and last entries, and for the whole history
// training_count entries in all. (A block's summary missing from the
// blocks or levels would otherwise be a bucket missing, or a lower count,
// with success.)
func checkBuckets(run string, row runRow, r statstore.IterationRange, first, last int, out []statstore.TrainingBucket,
	corrupt func(run, reason string) error) error {
	n := 0
	for _, b := range out {
		n += b.Count
	}
	switch {
	case len(out) == 0 || out[0].First.Iteration != first || out[len(out)-1].Last.Iteration != last:
		return corrupt(run, fmt.Sprintf("the buckets of iterations %d to %d do not begin and end with them (%d buckets)", first, last, len(out)))
	case r == (statstore.IterationRange{}) && int64(n) != row.TrainingCount:
		return corrupt(run, fmt.Sprintf("training_count is %d, but the summaries of the whole history count %d entries", row.TrainingCount, n))
	}
	return nil
}

// bucketBounds returns the first and last iterations of the run's entries
// in r.
func bucketBounds(ctx context.Context, tx pgx.Tx, run string, id int64, r statstore.IterationRange) (first, last int, ok bool, err error) {
	read := func(sql string, args ...any) ([]statstore.TrainingIterationStats, error) {
		c, err := scanChunk(tx.QueryRow(ctx, `SELECT `+chunkColumns+` FROM statstore_training_chunks WHERE `+sql, args...))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return c.decode(run, nil)
	}
	lo, err := read(`run_id = $1 AND last_iteration >= $2 ORDER BY last_iteration LIMIT 1`, id, int64(r.From))
	if err != nil || len(lo) == 0 {
		return 0, 0, false, err
	}
	hi, err := read(`run_id = $1 AND first_iteration < $2 ORDER BY first_iteration DESC LIMIT 1`, id, rangeEnd(r))
	if err != nil || len(hi) == 0 {
		return 0, 0, false, err
	}
	i := sort.Search(len(lo), func(i int) bool { return lo[i].Iteration >= r.From })
	j := sort.Search(len(hi), func(i int) bool { return int64(hi[i].Iteration) >= rangeEnd(r) }) - 1
	if i == len(lo) || j < 0 || hi[j].Iteration < lo[i].Iteration {
		return 0, 0, false, nil
	}
	return lo[i].Iteration, hi[j].Iteration, true, nil
}

// chunkBuckets adds to acc the entries of iterations first to last: a
// block inside one bucket and inside [first, last] as its summary, any
// other whole.
func chunkBuckets(ctx context.Context, tx pgx.Tx, run string, id int64, first, last int, acc *pyramid.Acc) error {
	rows, err := tx.Query(ctx, `SELECT first_iteration, last_iteration, entries, step, crc32c, `+m4Columns+`, m4_crc32c,
			CASE WHEN inner_block THEN substring(data FROM 1 FOR 24) END,
			CASE WHEN inner_block THEN substring(data FROM entries * 24 - 23 FOR 24) END,
			CASE WHEN inner_block AND min_index BETWEEN 0 AND entries - 1 THEN substring(data FROM min_index * 24 + 1 FOR 24) END,
			CASE WHEN inner_block AND max_index BETWEEN 0 AND entries - 1 THEN substring(data FROM max_index * 24 + 1 FOR 24) END,
			CASE WHEN inner_block THEN substring(entry_crcs FROM 1 FOR 4) END,
			CASE WHEN inner_block THEN substring(entry_crcs FROM entries * 4 - 3 FOR 4) END,
			CASE WHEN inner_block AND min_index BETWEEN 0 AND entries - 1 THEN substring(entry_crcs FROM min_index * 4 + 1 FOR 4) END,
			CASE WHEN inner_block AND max_index BETWEEN 0 AND entries - 1 THEN substring(entry_crcs FROM max_index * 4 + 1 FOR 4) END,
			CASE WHEN inner_block THEN NULL ELSE data END
		FROM (SELECT *, first_iteration >= $2 AND last_iteration <= $3 AND first_iteration / $4 = last_iteration / $4 AS inner_block
			FROM statstore_training_chunks WHERE run_id = $1 AND `+fromOverlap+` AND last_iteration >= $2 AND first_iteration <= $3) c
		ORDER BY first_iteration`, id, int64(first), int64(last), int64(acc.W))
	if err != nil {
		return err
	}
	defer rows.Close()
	var entries []statstore.TrainingIterationStats
	prev := int64(-1)
	for rows.Next() {
		var c chunk
		var n int32
		var fst, lst, mn, mx []byte
		var crcs [4][]byte // of fst, lst, mn, mx (NULL for a block written before migration 0010)
		if err := rows.Scan(&c.First, &c.Last, &n, &c.Step, &c.CRC, &c.M4.Finite, &c.M4.NaN, &c.M4.PosInf, &c.M4.NegInf,
			&c.M4.FirstNonFinite, &c.M4.MinIndex, &c.M4.MaxIndex, &c.M4CRC, &fst, &lst, &mn, &mx,
			&crcs[0], &crcs[1], &crcs[2], &crcs[3], &c.Data); err != nil {
			return err
		}
		c.Entries = int64(n)
		if c.First <= prev {
			return corruptChunk(run, fmt.Sprintf("block from iteration %d overlaps the block before, which ends at %d", c.First, prev))
		}
		prev = c.Last
		if c.Data != nil {
			if entries, err = c.decode(run, entries[:0]); err != nil {
				return err
			}
			i := sort.Search(len(entries), func(i int) bool { return entries[i].Iteration >= first })
			j := sort.Search(len(entries), func(i int) bool { return entries[i].Iteration > last })
			acc.AddEntries(entries[i:j])
			continue
		}
		if err := c.checkSummaryReads(run, [4][]byte{fst, lst, mn, mx}, crcs); err != nil {
			return err
		}
		b, err := c.M4.bucket(run, c, fst, lst, mn, mx)
		if err != nil {
			return err
		}
		acc.Add(b)
	}
	return rows.Err()
}

// checkSummaryReads checks what a bucket read takes of block c without
// reading it whole against the checksums of migration 0010: its header
// and M4 columns against m4_crc32c, and its first, last, lowest and
// highest entries (slices, nil when not read) against their entry_crcs
// bytes. A block written before migration 0010 has neither: its summary
// is checked for consistency only (bucket).
func (c chunk) checkSummaryReads(run string, reads, crcs [4][]byte) error {
	if c.M4CRC != nil {
		if got := m4CRC(c); got != *c.M4CRC {
			return corruptChunk(run, fmt.Sprintf("block from iteration %d: its header and summary columns do not match their checksum: CRC-32C %08x, stored %08x",
				c.First, got, *c.M4CRC))
		}
	}
	index := [4]int64{0, c.Entries - 1, int64(c.M4.MinIndex), int64(c.M4.MaxIndex)}
	for k := range reads {
		if reads[k] == nil && crcs[k] == nil {
			continue
		}
		if err := checkEntrySlice(run, c, index[k], reads[k], crcs[k], c.M4CRC != nil); err != nil {
			return err
		}
	}
	return nil
}

// bucket returns the block's bucket from its summary and its first, last,
// lowest and highest entries' bytes, checking that they agree.
func (m chunkM4) bucket(run string, c chunk, fst, lst, mn, mx []byte) (statstore.TrainingBucket, error) {
	bad := func(why string) (statstore.TrainingBucket, error) {
		return statstore.TrainingBucket{}, corruptChunk(run, fmt.Sprintf("block from iteration %d: summary: %s", c.First, why))
	}
	if len(fst) != chunkEntrySize || len(lst) != chunkEntrySize {
		return bad("first or last entry of the wrong size")
	}
	if m.Finite > 0 && (len(mn) != chunkEntrySize || len(mx) != chunkEntrySize) || m.Finite == 0 && (m.MinIndex != -1 || m.MaxIndex != -1) {
		return bad(fmt.Sprintf("%d finite losses, the lowest at index %d, the highest at %d", m.Finite, m.MinIndex, m.MaxIndex))
	}
	b := statstore.TrainingBucket{From: int(c.First), To: int(c.Last) + 1, Count: int(c.Entries),
		First: decodeEntry(fst), Last: decodeEntry(lst), Finite: int(m.Finite), NaN: int(m.NaN), PosInf: int(m.PosInf), NegInf: int(m.NegInf),
		FirstNonFinite: int(m.FirstNonFinite)}
	if b.Finite > 0 {
		b.Min, b.Max = decodeEntry(mn), decodeEntry(mx)
	}
	finite := func(e statstore.TrainingIterationStats) bool { return !math.IsNaN(e.Loss) && !math.IsInf(e.Loss, 0) }
	in := func(e statstore.TrainingIterationStats) bool {
		return int64(e.Iteration) >= c.First && int64(e.Iteration) <= c.Last
	}
	switch {
	case int64(b.First.Iteration) != c.First || int64(b.Last.Iteration) != c.Last:
		return bad("first or last entry not at the block's bounds")
	case b.Finite+b.NaN+b.PosInf+b.NegInf != b.Count || b.Finite < 0 || b.NaN < 0 || b.PosInf < 0 || b.NegInf < 0:
		return bad("counts do not add up to the entries")
	case b.Finite > 0 && (!finite(b.Min) || !finite(b.Max) || !in(b.Min) || !in(b.Max) || b.Min.Loss > b.Max.Loss):
		return bad("extremes wrong")
	case (b.NonFinite() == 0) != (b.FirstNonFinite < 0):
		return bad("first non-finite iteration wrong")
	}
	return b, nil
}
