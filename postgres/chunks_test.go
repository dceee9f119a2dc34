package postgres

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/storetest"
)

// blockSizes returns the entries of each of the run's blocks, in order.
func blockSizes(t *testing.T, conn *pgx.Conn, run string) []int {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT c.entries FROM statstore_training_chunks c
		JOIN statstore_runs r ON r.id = c.run_id WHERE r.name = $1 ORDER BY c.first_iteration`, run)
	if err != nil {
		t.Fatal(err)
	}
	sizes, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	return sizes
}

// TestUpgradeToChunks opens a database whose schema predates migration
// 0008 (one row per training entry) and holds runs of every shape: the
// migration moves their histories into blocks, and every read (whole,
// range, both subsample modes, ListRuns) answers exactly as the old rows
// say; the migrated blocks carry no checksum until rewritten, are still
// checked for their shape, and the next writes append to them.
func TestUpgradeToChunks(t *testing.T) {
	ctx := context.Background()
	url := testServer.Schema(t)
	conn := connect(t, url)
	migrateTo(t, conn, 7)

	nan := math.Float64frombits(0x7ff8_0000_0000_0abc)
	irregular := storetest.Entries(2, 0, 1, 5, 6, 7, 100, 101, 10_000, statstore.MaxIteration-1)
	irregular[2].Loss, irregular[3].Loss, irregular[4].Time = nan, math.Copysign(0, -1), math.Inf(-1)
	runs := map[string][]statstore.TrainingIterationStats{
		// 3 whole blocks and part of one
		"regular": storetest.Entries(0, storetest.Iters(0, 1000, 1)...),
		// one whole block, step 5
		"strided": storetest.Entries(1, storetest.Iters(10, 10+5*320, 5)...),
		// no common step
		"irregular": irregular,
		"single":    storetest.Entries(3, 42),
		// the step changes inside a block
		"long": storetest.Entries(4, slices.Concat(storetest.Iters(0, 700, 1), storetest.Iters(700, 2000, 3))...),
	}
	for name, entries := range runs {
		r := runRow{TrainingCount: int64(len(entries)), TrainedUntil: int64(entries[len(entries)-1].Iteration) + 1}
		var id int64
		if err := conn.QueryRow(ctx, `INSERT INTO statstore_runs (name, training_count, trained_until, counters_crc32c)
			VALUES ($1, $2, $3, $4) RETURNING id`, name, r.TrainingCount, r.TrainedUntil, countersCRC(name, r)).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.CopyFrom(ctx, pgx.Identifier{"statstore_training"}, []string{"run_id", "iteration", "loss", "time"},
			pgx.CopyFromSlice(len(entries), func(i int) ([]any, error) {
				return []any{id, int64(entries[i].Iteration), entries[i].Loss, entries[i].Time}, nil
			})); err != nil {
			t.Fatal(err)
		}
	}

	s, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	wantAllMigrations(t, url)
	var old *string
	if err := conn.QueryRow(ctx, "SELECT to_regclass('statstore_training')::text").Scan(&old); err != nil || old != nil {
		t.Errorf("table statstore_training after the migration: %v (%v), want it gone", old, err)
	}
	var unchecked, total int
	if err := conn.QueryRow(ctx, "SELECT count(*) FILTER (WHERE crc32c IS NULL), count(*) FROM statstore_training_chunks").Scan(&unchecked, &total); err != nil {
		t.Fatal(err)
	}
	if unchecked != total || total == 0 {
		t.Errorf("%d of %d migrated blocks without a checksum, want all", unchecked, total)
	}
	if got, want := blockSizes(t, conn, "regular"), []int{320, 320, 320, 40}; !slices.Equal(got, want) {
		t.Errorf("blocks of the 1,000-entry run: %v, want %v", got, want)
	}

	check := func(when string) {
		t.Helper()
		infos, err := s.ListRuns(ctx)
		if err != nil || len(infos) != len(runs) {
			t.Fatalf("%s: ListRuns: %+v, %v", when, infos, err)
		}
		for _, info := range infos {
			want := runs[info.Run]
			if info.TrainingIterations != len(want) || info.TrainedUntil != want[len(want)-1].Iteration+1 {
				t.Errorf("%s: ListRuns %+v, want %d entries", when, info, len(want))
			}
			got, err := s.RetrieveTrainingStats(ctx, info.Run)
			if err != nil || !got.Equal(&statstore.TrainingStats{IterationStats: want}) {
				t.Errorf("%s: run %s: retrieved %d entries (error %v), not bit-identical to the %d stored", when, info.Run, got.Len(), err, len(want))
			}
			for _, rng := range []statstore.IterationRange{{From: 5, To: 8}, {From: 650, To: 1500}, {From: 101}, {To: 1}} {
				got, err := s.RetrieveTrainingRange(ctx, info.Run, rng)
				wantRange := inRange(want, rng)
				if err != nil || !got.Equal(&statstore.TrainingStats{IterationStats: wantRange}) {
					t.Errorf("%s: run %s: range %+v: %d entries (error %v), want %d", when, info.Run, rng, got.Len(), err, len(wantRange))
				}
			}
			for _, opts := range []statstore.SubsampleOptions{{MaxPoints: 7}, {MaxPoints: 100, Range: statstore.IterationRange{From: 3, To: 1900}},
				{MaxPoints: 7, Mode: statstore.SubsampleMinMax}} {
				got, err := s.SubsampleTraining(ctx, info.Run, opts)
				wantPts, _ := statstore.Subsample(want, opts)
				if err != nil || !(&statstore.TrainingStats{IterationStats: got}).Equal(&statstore.TrainingStats{IterationStats: wantPts}) {
					t.Errorf("%s: run %s: subsample %+v: %v (error %v), want %v", when, info.Run, opts, got, err, wantPts)
				}
			}
		}
	}
	check("after the migration")

	// The next writes build on the migrated blocks: a small append rewrites
	// the small last block (with a checksum), a large one adds blocks.
	for name, iters := range map[string][]int{"regular": storetest.Iters(1000, 1010, 1), "single": storetest.Iters(43, 43+400, 1)} {
		more := storetest.Entries(5, iters...)
		runs[name] = slices.Concat(runs[name], more)
		if err := s.StoreTrainingStats(ctx, name, &statstore.TrainingStats{IterationStats: runs[name]}); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := blockSizes(t, conn, "regular"), []int{320, 320, 320, 50}; !slices.Equal(got, want) {
		t.Errorf("blocks of the 1,000-entry run after appending 10: %v, want %v", got, want)
	}
	if got, want := blockSizes(t, conn, "single"), []int{1, 200, 200}; !slices.Equal(got, want) {
		t.Errorf("blocks of the one-entry run after appending 400: %v, want %v", got, want)
	}
	check("after appends")

	// A migrated block has no checksum, but a damaged shape is still caught.
	if _, err := conn.Exec(ctx, `UPDATE statstore_training_chunks SET data = overlay(data PLACING int8send(3) FROM 24 * 5 + 1)
		WHERE crc32c IS NULL AND run_id = (SELECT id FROM statstore_runs WHERE name = 'long') AND first_iteration = 0`); err != nil {
		t.Fatal(err)
	}
	_, err = s.RetrieveTrainingStats(ctx, "long")
	if !errors.Is(err, statstore.ErrCorrupt) || !strings.Contains(err.Error(), chunkTable) {
		t.Errorf("a migrated block whose sixth entry says iteration 3: got %v, want a corruption error naming %s", err, chunkTable)
	}
}

// TestAppendBlocks checks how appends make blocks: a large append is split
// evenly into blocks of at most maxChunkEntries, small appends to a small
// last block rewrite it, and a small append after a large block adds one.
func TestAppendBlocks(t *testing.T) {
	ctx := context.Background()
	s, url := openStore(t, Options{})
	conn := connect(t, url)
	var all []statstore.TrainingIterationStats
	step := func(iters []int, want []int) {
		t.Helper()
		all = slices.Concat(all, storetest.Entries(0, iters...))
		if err := s.StoreTrainingStats(ctx, "run", &statstore.TrainingStats{IterationStats: all}); err != nil {
			t.Fatal(err)
		}
		if got := blockSizes(t, conn, "run"); !slices.Equal(got, want) {
			t.Fatalf("after storing up to iteration %d: blocks %v, want %v", all[len(all)-1].Iteration, got, want)
		}
		got, err := s.RetrieveTrainingStats(ctx, "run")
		if err != nil || !got.Equal(&statstore.TrainingStats{IterationStats: all}) {
			t.Fatalf("after storing up to iteration %d: read %d entries (%v), want %d", all[len(all)-1].Iteration, got.Len(), err, len(all))
		}
	}
	step(storetest.Iters(0, 1000, 1), []int{250, 250, 250, 250})
	// Blocks of at most 280 entries; an append of fewer than 140 to a last
	// block of fewer than 140 rewrites that block.
	step(storetest.Iters(1000, 1100, 1), []int{250, 250, 250, 250, 100})
	step(storetest.Iters(1100, 1130, 1), []int{250, 250, 250, 250, 130})
	step(storetest.Iters(1130, 1140, 2), []int{250, 250, 250, 250, 135}) // the step changes: still one block
	step(storetest.Iters(1140, 1150, 1), []int{250, 250, 250, 250, 145})
	step(storetest.Iters(1150, 1160, 1), []int{250, 250, 250, 250, 145, 10})
	step(storetest.Iters(1160, 1490, 1), []int{250, 250, 250, 250, 145, 10, 165, 165})
	// A replace from inside the second block rewrites it and what follows.
	all = all[:300]
	step(nil, []int{250, 50})
}

// TestChunkDamage damages a block's header, data and checksum: every read
// of the whole history and the next append report a corruption error
// naming the table and run, and the stride subsample never answers
// differently.
func TestChunkDamage(t *testing.T) {
	ctx := context.Background()
	s, url := openStore(t, Options{})
	conn := connect(t, url)
	base := storetest.Training(storetest.Iters(0, 700, 1)...)
	damages := []string{
		"first_iteration = first_iteration + 1",
		"last_iteration = last_iteration - 1",
		"entries = entries - 1, entry_crcs = substring(entry_crcs FROM 5)", // the entry checksums' length follows (a schema constraint)
		"step = 2",
		"step = 0",
		"crc32c = crc32c # 1",
		"data = overlay(data PLACING '\\x01'::bytea FROM 24 * 7 + 8)",  // an iteration's low byte
		"data = overlay(data PLACING '\\x40'::bytea FROM 24 * 7 + 9)",  // a loss's high byte
		"data = overlay(data PLACING '\\x40'::bytea FROM 24 * 7 + 24)", // a time's low byte
		"data = substring(data FROM 25)",
		"crc32c = NULL, data = overlay(data PLACING int8send(700) FROM 24 * 7 + 1)",
	}
	for _, d := range damages {
		t.Run(d, func(t *testing.T) {
			if err := s.DeleteRun(ctx, "run"); err != nil {
				t.Fatal(err)
			}
			if err := s.StoreTrainingStats(ctx, "run", base); err != nil {
				t.Fatal(err)
			}
			wantPts, err := s.SubsampleTraining(ctx, "run", statstore.SubsampleOptions{MaxPoints: 50})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Exec(ctx, "UPDATE statstore_training_chunks SET "+d+` WHERE first_iteration = 233
				AND run_id = (SELECT id FROM statstore_runs WHERE name = 'run')`); err != nil {
				t.Fatal(err)
			}
			wantCorrupt := func(what string, err error) {
				t.Helper()
				var ce *statstore.CorruptError
				if !errors.As(err, &ce) || !strings.Contains(ce.Path, "table statstore_") || !strings.Contains(ce.Path, `run "run"`) {
					t.Errorf("%s: got %v, want a corruption error naming the table and run", what, err)
				}
			}
			_, err = s.RetrieveTrainingStats(ctx, "run")
			wantCorrupt("RetrieveTrainingStats", err)
			_, err = s.RetrieveTrainingRange(ctx, "run", statstore.IterationRange{From: 240, To: 250})
			wantCorrupt("RetrieveTrainingRange", err)
			_, err = s.SubsampleTraining(ctx, "run", statstore.SubsampleOptions{MaxPoints: 50, Mode: statstore.SubsampleMinMax})
			wantCorrupt("SubsampleTraining min/max", err)
			// The stride subsample reads 24-byte slices of a block, each
			// checked against its entry checksum (migration 0010): an
			// error or the same answer, never another.
			if got, err := s.SubsampleTraining(ctx, "run", statstore.SubsampleOptions{MaxPoints: 50}); err == nil &&
				!(&statstore.TrainingStats{IterationStats: got}).Equal(&statstore.TrainingStats{IterationStats: wantPts}) {
				t.Errorf("stride subsample answered differently: %v, want %v", got, wantPts)
			}
			// A replace from before the block reads it.
			err = s.StoreTrainingStats(ctx, "run", storetest.Training(storetest.Iters(0, 200, 1)...))
			wantCorrupt("StoreTrainingStats (replace)", err)
		})
	}
}

// inRange returns the entries with iteration in r.
func inRange(entries []statstore.TrainingIterationStats, r statstore.IterationRange) []statstore.TrainingIterationStats {
	out := []statstore.TrainingIterationStats{}
	for _, e := range entries {
		if e.Iteration >= r.From && (r.To == 0 || e.Iteration < r.To) {
			out = append(out, e)
		}
	}
	return out
}

// TestFastAppendGuard writes one run through two stores (two processes or
// replicas): each remembers the row its last write left and plans its next
// append against it, and a write by the other in between must make it
// fall back to reading the row: the history ends exactly as the
// extend-or-overwrite rule says for the writes in the order they were
// made, and a damaged row is refused, not appended to.
func TestFastAppendGuard(t *testing.T) {
	ctx := context.Background()
	a, url := openStore(t, Options{})
	b, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	conn := connect(t, url)
	h := storetest.Entries(0, storetest.Iters(0, 6000, 1)...)
	other := storetest.Entries(1, storetest.Iters(0, 6000, 1)...)
	var want []statstore.TrainingIterationStats
	step := func(s *Store, name string, stats []statstore.TrainingIterationStats, after []statstore.TrainingIterationStats) {
		t.Helper()
		if err := s.StoreTrainingStats(ctx, "run", &statstore.TrainingStats{IterationStats: stats}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want = after
		for _, s := range []*Store{a, b} {
			got, err := s.RetrieveTrainingStats(ctx, "run")
			if err != nil || !got.Equal(&statstore.TrainingStats{IterationStats: want}) {
				t.Fatalf("%s: read %d entries (%v), want %d", name, got.Len(), err, len(want))
			}
		}
		infos, err := a.ListRuns(ctx)
		if err != nil || len(infos) != 1 || infos[0].TrainingIterations != len(want) {
			t.Fatalf("%s: ListRuns %+v (%v), want %d entries", name, infos, err, len(want))
		}
	}
	step(a, "a stores 1,000", h[:1000], h[:1000])
	step(a, "a appends 1,000", h[:2000], h[:2000])
	step(b, "b appends 1,000", h[:3000], h[:3000])
	step(a, "a appends after b", h[:4000], h[:4000])
	step(b, "b overwrites with another history", other[:500], other[:500])
	step(a, "a appends after the overwrite", h[:5000], slices.Concat(other[:500], h[500:5000]))
	if err := b.StoreValidationIterationScores(ctx, "run", storetest.Scores(storetest.Metadata(), 100)); err != nil {
		t.Fatal(err)
	}
	step(a, "a appends after b's validation", h[:5500], slices.Concat(other[:500], h[500:5500]))

	if _, err := conn.Exec(ctx, "UPDATE statstore_runs SET training_count = training_count + 1 WHERE name = 'run'"); err != nil {
		t.Fatal(err)
	}
	err = a.StoreTrainingStats(ctx, "run", &statstore.TrainingStats{IterationStats: h[:6000]})
	if !errors.Is(err, statstore.ErrCorrupt) {
		t.Fatalf("append to a run whose training_count was damaged: got %v, want a corruption error", err)
	}
	var blocks, entries int
	if err := conn.QueryRow(ctx, "SELECT count(*), sum(entries) FROM statstore_training_chunks").Scan(&blocks, &entries); err != nil {
		t.Fatal(err)
	}
	if entries != len(want) {
		t.Errorf("after the refused append: %d entries in %d blocks, want the %d before", entries, blocks, len(want))
	}
}
