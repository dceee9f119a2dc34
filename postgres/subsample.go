package postgres

import (
	"context"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/statstore/statstore"
)

// SubsampleTraining returns at most opts.MaxPoints training entries for
// plotting, exactly as statstore.Subsample defines them. Stride mode runs
// in the database without reading the history: two index lookups find the
// blocks holding the first and last entry in range, and one lookup per
// target of statstore.SubsampleTargets finds the block holding the first
// entry at or after it and reads that entry's 24 bytes (at most MaxPoints
// index probes, whatever the history's length; a block whose iterations
// have no common step is read whole). MinMax mode reads the entries in
// range.
func (s *Store) SubsampleTraining(ctx context.Context, run string, opts statstore.SubsampleOptions) ([]statstore.TrainingIterationStats, error) {
	what := fmt.Sprintf("subsample training stats of run %q", run)
	if err := checkRun(what, run); err != nil {
		return nil, err
	}
	opts, err := opts.Normalize()
	if err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", what, err)
	}
	if opts.Mode == statstore.SubsampleMinMax {
		stats, err := s.RetrieveTrainingRange(ctx, run, opts.Range)
		if err != nil {
			return nil, err
		}
		out, err := statstore.Subsample(stats.IterationStats, opts)
		if err != nil {
			return nil, fmt.Errorf("postgres: %s: %w", what, err)
		}
		return out, nil
	}
	var out []statstore.TrainingIterationStats
	err = s.readTx(ctx, what, func(tx pgx.Tx) error {
		var err error
		out, err = strideSubsample(ctx, tx, run, opts)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// strideQuery picks, for each target iteration ($2, in order), the first
// block of run $1 whose last iteration is at or after it (one probe of the
// (run_id, last_iteration) index per target): it holds the first entry at
// or after the target. When that entry's offset in the block follows from
// the header (the target is at or before the block's first entry, or its
// iterations have a common step), the query returns the entry's 24 bytes,
// a slice of the block (data is stored uncompressed), with its 4 bytes of
// entry_crcs (migration 0010; NULL for an older block); otherwise off is
// NULL and the caller reads the block whole.
const strideQuery = `SELECT x.first_iteration, x.last_iteration, x.entries, x.step, x.off,
		substring(x.data FROM (x.off * 24 + 1)::integer FOR 24),
		substring(x.entry_crcs FROM (x.off * 4 + 1)::integer FOR 4), x.m4_crc32c IS NOT NULL
	FROM unnest($2::bigint[]) WITH ORDINALITY AS g(target, ord)
	CROSS JOIN LATERAL (
		SELECT c.first_iteration, c.last_iteration, c.entries, c.step, c.data, c.entry_crcs, c.m4_crc32c,
			CASE WHEN g.target <= c.first_iteration THEN 0
			     WHEN c.step > 0 AND (g.target - c.first_iteration + c.step - 1) / c.step < c.entries
			     THEN (g.target - c.first_iteration + c.step - 1) / c.step END AS off
		FROM statstore_training_chunks c
		WHERE c.run_id = $1 AND c.last_iteration >= g.target
		ORDER BY c.last_iteration LIMIT 1) x
	ORDER BY g.ord`

// boundsQuery reads the blocks holding the first entry at or after $2 and
// the last entry before $3 (which = 0 and 1).
const boundsQuery = `(SELECT 0 AS which, ` + chunkColumns + ` FROM statstore_training_chunks
		WHERE run_id = $1 AND last_iteration >= $2 ORDER BY last_iteration LIMIT 1)
	UNION ALL
	(SELECT 1, ` + chunkColumns + ` FROM statstore_training_chunks
		WHERE run_id = $1 AND first_iteration < $3 ORDER BY first_iteration DESC LIMIT 1)`

func strideSubsample(ctx context.Context, tx pgx.Tx, run string, opts statstore.SubsampleOptions) ([]statstore.TrainingIterationStats, error) {
	out := []statstore.TrainingIterationStats{}
	r, ok, err := readRun(ctx, tx, run)
	if err != nil || !ok {
		return out, err
	}
	if _, err := tx.Exec(ctx, indexOrder); err != nil {
		return nil, err
	}
	first, last, err := strideBounds(ctx, tx, run, r.ID, opts.Range)
	if err != nil {
		return nil, fmt.Errorf("find the first and last iteration: %w", err)
	}
	if err := checkStrideBounds(run, r, opts.Range, last); err != nil {
		return nil, err
	}
	if first == nil || last == nil {
		return out, nil
	}
	targets := statstore.SubsampleTargets(int(*first), int(*last), opts.MaxPoints)
	// Each target is at most last, which is in range, so the first entry at
	// or after it is in range too.
	picked, err := pickTargets(ctx, tx, run, r.ID, targets)
	if err != nil {
		return nil, fmt.Errorf("pick %d entries: %w", len(targets), err)
	}
	for _, e := range picked {
		if len(out) == 0 || out[len(out)-1].Iteration != e.Iteration {
			out = append(out, e)
		}
	}
	return out, nil
}

// strideBounds returns the first and last iteration of the run's entries in
// rng (nil for none), read from the (checked) blocks holding them.
func strideBounds(ctx context.Context, tx pgx.Tx, run string, runID int64, rng statstore.IterationRange) (first, last *int64, err error) {
	rows, err := tx.Query(ctx, boundsQuery, runID, int64(rng.From), rangeEnd(rng))
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var which int32
		var c chunk
		var entries int32
		if err := rows.Scan(&which, &c.First, &c.Last, &entries, &c.Step, &c.CRC, &c.Data); err != nil {
			return nil, nil, err
		}
		c.Entries = int64(entries)
		es, err := c.decode(run, nil)
		if err != nil {
			return nil, nil, err
		}
		if which == 0 {
			i := sort.Search(len(es), func(i int) bool { return es[i].Iteration >= rng.From })
			if i < len(es) && int64(es[i].Iteration) < rangeEnd(rng) {
				it := int64(es[i].Iteration)
				first = &it
			}
			continue
		}
		i := sort.Search(len(es), func(i int) bool { return int64(es[i].Iteration) >= rangeEnd(rng) }) - 1
		if i >= 0 && es[i].Iteration >= rng.From {
			it := int64(es[i].Iteration)
			last = &it
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if (first == nil) != (last == nil) || first != nil && *first > *last {
		return nil, nil, corruptChunk(run, "the blocks holding the first and the last entry in range do not fit together")
	}
	return first, last, nil
}

// pickTargets returns, for each target (ascending, each at most the last
// stored iteration), the first entry at or after it: one probe per target
// (strideQuery), then one read of the blocks whose entries' offsets do not
// follow from their headers. Each entry read as a slice must match its
// checksum (migration 0010) and have the iteration its offset says.
func pickTargets(ctx context.Context, tx pgx.Tx, run string, runID int64, targets []int) ([]statstore.TrainingIterationStats, error) {
	t64 := make([]int64, len(targets))
	for i, t := range targets {
		t64[i] = int64(t)
	}
	rows, err := tx.Query(ctx, strideQuery, runID, t64)
	if err != nil {
		return nil, err
	}
	out := make([]statstore.TrainingIterationStats, 0, len(targets))
	pending := map[int]int64{} // index in out: the block to read whole
	var whole []int64
	for rows.Next() {
		var c chunk
		var entries int32
		var off *int64
		var slice, crc []byte
		var checked bool // the block was written with checksums for its reads (migration 0010)
		if err := rows.Scan(&c.First, &c.Last, &entries, &c.Step, &off, &slice, &crc, &checked); err != nil {
			rows.Close()
			return nil, err
		}
		target := int64(targets[len(out)])
		if off == nil {
			pending[len(out)] = c.First
			if len(whole) == 0 || whole[len(whole)-1] != c.First {
				whole = append(whole, c.First)
			}
			out = append(out, statstore.TrainingIterationStats{})
			continue
		}
		if err := checkEntrySlice(run, c, *off, slice, crc, checked); err != nil {
			rows.Close()
			return nil, err
		}
		want := c.First + *off*c.Step
		var e statstore.TrainingIterationStats
		if len(slice) == chunkEntrySize {
			e = decodeEntry(slice)
		}
		if len(slice) != chunkEntrySize || int64(e.Iteration) != want || int64(e.Iteration) < target || int64(e.Iteration) > c.Last {
			rows.Close()
			return nil, corruptChunk(run, fmt.Sprintf("block from iteration %d to %d (step %d): entry %d holds %d bytes, iteration %d, want iteration %d",
				c.First, c.Last, c.Step, *off, len(slice), e.Iteration, want))
		}
		out = append(out, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) != len(targets) {
		return nil, corruptChunk(run, fmt.Sprintf("no block holds an entry at or after iteration %d, before the last entry", targets[len(out)]))
	}
	if len(whole) == 0 {
		return out, nil
	}
	entries, blocks, err := queryChunks(ctx, tx, run, int64(len(whole))*maxChunkEntries, `SELECT `+chunkColumns+` FROM statstore_training_chunks
		WHERE run_id = $1 AND first_iteration = ANY($2) ORDER BY first_iteration`, runID, whole)
	if err != nil {
		return nil, err
	}
	if len(blocks) != len(whole) {
		return nil, corruptChunk(run, fmt.Sprintf("%d of the %d blocks probed are gone", len(whole)-len(blocks), len(whole)))
	}
	for i, firstIt := range pending {
		j := sort.Search(len(entries), func(j int) bool { return entries[j].Iteration >= targets[i] })
		if j == len(entries) || int64(entries[j].Iteration) < firstIt {
			return nil, corruptChunk(run, fmt.Sprintf("the block from iteration %d holds no entry at or after iteration %d", firstIt, targets[i]))
		}
		out[i] = entries[j]
	}
	return out, nil
}

// checkStrideBounds cross-checks the last iteration found in range rng
// (nil for none) with the run's counters: it must be before trained_until,
// and when rng covers the whole history it must be trained_until-1 (none
// exactly when training_count is 0). A mismatch is a
// *statstore.CorruptError.
func checkStrideBounds(run string, r runRow, rng statstore.IterationRange, last *int64) error {
	until := int64(0)
	if last != nil {
		until = *last + 1
	}
	whole := rng.From == 0 && (rng.To == 0 || int64(rng.To) >= r.TrainedUntil)
	if until > r.TrainedUntil || whole && (until != r.TrainedUntil || (last == nil) != (r.TrainingCount == 0)) {
		found := "none"
		if last != nil {
			found = fmt.Sprint(*last)
		}
		in := fmt.Sprintf("iterations %d to %d", rng.From, rng.To-1)
		if rng.To == 0 {
			in = fmt.Sprintf("iterations from %d", rng.From)
		}
		return corruptRun(run, fmt.Sprintf("training_count is %d and trained_until %d, but the last entry of table %s in %s is %s",
			r.TrainingCount, r.TrainedUntil, chunkTable, in, found), nil)
	}
	return nil
}
