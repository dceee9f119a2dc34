package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/pyramid"
)

// levelHistory returns n entries from iteration start on (m4History's
// losses), with a gap of up to gap iterations now and then.
func levelHistory(r *rand.Rand, start, n, gap int) []statstore.TrainingIterationStats {
	h := m4History(r, n)
	shift := start
	for i := range h {
		if gap > 0 && r.IntN(500) == 0 {
			shift += r.IntN(gap)
		}
		h[i].Iteration += shift
		h[i].Time = float64(h[i].Iteration)
	}
	return h
}

// applied returns the history a store holds after stats are stored onto
// stored (statstore.PlanTraining's rule).
func applied(t *testing.T, stored, stats []statstore.TrainingIterationStats) []statstore.TrainingIterationStats {
	t.Helper()
	until := 0
	if len(stored) > 0 {
		until = stored[len(stored)-1].Iteration + 1
	}
	plan, err := statstore.PlanTraining(until, &statstore.TrainingStats{IterationStats: stats})
	if err != nil {
		t.Fatal(err)
	}
	switch plan.Action {
	case statstore.WriteAppend:
		return append(stored[:len(stored):len(stored)], plan.Entries...)
	case statstore.WriteReplace:
		return plan.Entries
	}
	return stored
}

// wantLevelBuckets fails unless the run's buckets, for widths the levels
// serve and for narrow ones, equal statstore.BucketTraining's of h.
func wantLevelBuckets(t *testing.T, s *Store, run string, h []statstore.TrainingIterationStats, after string) {
	t.Helper()
	ctx := context.Background()
	opts := []statstore.BucketOptions{{Buckets: 1}, {Buckets: 3}, {Buckets: 40}, {Buckets: 1000}}
	if n := len(h); n > 10 {
		opts = append(opts, statstore.BucketOptions{Buckets: 9, Range: statstore.IterationRange{From: h[n/7].Iteration + 3, To: h[n-n/5].Iteration}})
	}
	for _, o := range opts {
		got, gw, err := s.TrainingBuckets(ctx, run, o)
		if err != nil {
			t.Fatalf("after %s: TrainingBuckets(%+v): %v", after, o, err)
		}
		want, ww, err := statstore.BucketTraining(h, o)
		if err != nil {
			t.Fatal(err)
		}
		if gw != ww || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("after %s: TrainingBuckets(%+v): width %d, %d buckets, want width %d, %d buckets\ngot  %v\nwant %v", after, o, gw, len(got), ww, len(want), got, want)
		}
	}
}

// wantLevelRows fails unless the run's rows of statstore_training_levels
// hold exactly the blocks pyramid.Builder makes of the entries of h they
// cover (those up to level 1's newest block's last entry), record for
// record, each row the blocks of its range; it returns how many entries
// they cover.
func wantLevelRows(t *testing.T, conn *pgx.Conn, run string, h []statstore.TrainingIterationStats, after string) int {
	t.Helper()
	ctx := context.Background()
	rows, err := conn.Query(ctx, `SELECT l.level, l.start, l.records FROM statstore_training_levels l JOIN statstore_runs r ON r.id = l.run_id
		WHERE r.name = $1 ORDER BY l.level, l.start`, run)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int][][]byte{}
	var covered statstore.TrainingIterationStats
	for rows.Next() {
		var level int16
		var start int64
		var records []byte
		if err := rows.Scan(&level, &start, &records); err != nil {
			t.Fatal(err)
		}
		l := int(level)
		if start%packWidth(l) != 0 || len(records)%pyramid.RecordSize != 0 || len(records) == 0 || len(records) > packBlocks*pyramid.RecordSize {
			t.Fatalf("after %s: level %d row at %d holds %d bytes", after, l, start, len(records))
		}
		for off := 0; off < len(records); off += pyramid.RecordSize {
			rec := records[off : off+pyramid.RecordSize]
			b, err := pyramid.DecodeRecord(rec, l, false)
			if err != nil {
				t.Fatal(err)
			}
			if int64(b.From) < start || int64(b.From) >= start+packWidth(l) {
				t.Fatalf("after %s: level %d row at %d holds a block at %d", after, l, start, b.From)
			}
			got[l] = append(got[l], rec)
			if l == minLevel {
				covered = b.Last
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	n := 0
	if len(got) > 0 {
		for n < len(h) && h[n].Iteration <= covered.Iteration {
			n++
		}
		if n == 0 || !pyramid.SameEntry(h[n-1], covered) {
			t.Fatalf("after %s: level %d's newest block ends with %+v, not an entry of the history", after, minLevel, covered)
		}
	}
	m := pyramid.NewMem()
	m.Add(h[:n])
	for l := range pyramid.Levels {
		var want [][]byte
		if l >= minLevel {
			for _, b := range m.Blocks(l, 0, math.MaxInt) {
				want = append(want, pyramid.AppendRecord(nil, b))
			}
		}
		if len(got[l]) != len(want) {
			t.Fatalf("after %s: level %d has %d blocks, want %d (the blocks of the %d entries covered)", after, l, len(got[l]), len(want), n)
		}
		for i := range want {
			if !bytes.Equal(got[l][i], want[i]) {
				g, _ := pyramid.DecodeRecord(got[l][i], l, false)
				w, _ := pyramid.DecodeRecord(want[i], l, false)
				t.Fatalf("after %s: level %d block %d is %+v, want %+v", after, l, i, g, w)
			}
		}
	}
	return n
}

// TestLevelsFollowTheHistory appends, overwrites from earlier points
// (aligned to a level's blocks, inside one, in a gap of the iterations)
// and deletes: after each step the buckets equal the direct answer and the
// stored levels equal the blocks built from scratch of what they cover.
func TestLevelsFollowTheHistory(t *testing.T) {
	ctx := context.Background()
	s, url := openStore(t, Options{})
	conn := connect(t, url)
	seed := uint64(rand.Int64())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 12))
	const run = "levels"
	var h []statstore.TrainingIterationStats
	store := func(after string) {
		t.Helper()
		if err := s.StoreTrainingStats(ctx, run, &statstore.TrainingStats{IterationStats: h}); err != nil {
			t.Fatalf("%s: %v", after, err)
		}
		wantLevelBuckets(t, s, run, h, after)
		wantLevelRows(t, conn, run, h, after)
	}
	next := func() int {
		if len(h) == 0 {
			return 0
		}
		return h[len(h)-1].Iteration + 1
	}
	for step, n := range []int{30_000, 7, 1000, 200, 20_000, 1, 3000, 50_000} {
		h = append(h, levelHistory(r, next(), n, 40_000)...)
		store(fmt.Sprintf("append %d of %d entries", step, n))
	}
	if n := wantLevelRows(t, conn, run, h, "the appends"); n != len(h) {
		t.Fatalf("the levels cover %d of %d entries after whole-history queries", n, len(h))
	}
	// Overwrites: at an iteration aligned to level 2's blocks, inside a
	// block of level 1, just after an entry (the rest of its block goes),
	// and at the very start.
	cut := func(at int) {
		i := 0
		for i < len(h) && h[i].Iteration < at {
			i++
		}
		end := next()
		h = append(h[:i:i], levelHistory(r, at, 2000+r.IntN(5000), 0)...)
		for len(h) > 0 && h[len(h)-1].Iteration >= end {
			h = h[:len(h)-1] // ending before the stored history: an overwrite
		}
	}
	for step, at := range []int{h[len(h)/2].Iteration / 1024 * 1024, h[len(h)*3/4].Iteration + 77, h[len(h)/3].Iteration + 1, h[len(h)/5].Iteration + 5000, 0} {
		cut(at)
		store(fmt.Sprintf("overwrite %d from iteration %d", step, at))
	}
	if err := s.DeleteTrainingStats(ctx, run); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM statstore_training_levels`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("after DeleteTrainingStats: %d rows of levels left (%v)", left, err)
	}
	h = levelHistory(r, 0, 5000, 0)
	store("a new history")
}

// TestLevelsDamage damages the levels' rows: a flipped bit in a record
// or a checksum, a row moved to another level or iteration, a row
// deleted, a record cut off; each is a
// *statstore.CorruptError naming the table, never another answer. Deleting
// the run's rows rebuilds them.
func TestLevelsDamage(t *testing.T) {
	ctx := context.Background()
	s, url := openStore(t, Options{})
	conn := connect(t, url)
	const run = "damaged"
	h := levelHistory(rand.New(rand.NewPCG(1, 2)), 0, 100_000, 0)
	if err := s.StoreTrainingStats(ctx, run, &statstore.TrainingStats{IterationStats: h}); err != nil {
		t.Fatal(err)
	}
	wantLevelBuckets(t, s, run, h, "the first query")
	if n := wantLevelRows(t, conn, run, h, "the first query"); n != len(h) {
		t.Fatalf("the levels cover %d of %d entries", n, len(h))
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		tag, err := conn.Exec(ctx, sql, args...)
		if err != nil || tag.RowsAffected() != 1 {
			t.Fatalf("%s: %v, %d rows", sql, err, tag.RowsAffected())
		}
	}
	wantCorrupt := func(what string, o statstore.BucketOptions) {
		t.Helper()
		_, _, err := s.TrainingBuckets(ctx, run, o)
		var ce *statstore.CorruptError
		if !errors.As(err, &ce) || !strings.Contains(ce.Path, levelsTable) {
			t.Fatalf("%s: TrainingBuckets(%+v): got %v, want a *statstore.CorruptError naming %s", what, o, err, levelsTable)
		}
	}
	// A middle row of the level that serves 60 buckets (one that would
	// not be aligned one level up).
	o := statstore.BucketOptions{Buckets: 60}
	level := pyramid.LevelFor(statstore.BucketWidth(h[0].Iteration, h[len(h)-1].Iteration, o.Buckets))
	if level < minLevel+1 {
		t.Fatalf("60 buckets of the history are served by level %d", level)
	}
	var start int64
	if err := conn.QueryRow(ctx, `SELECT start FROM statstore_training_levels WHERE level = $1 AND start % $2 <> 0 ORDER BY start
		OFFSET (SELECT count(*) / 2 FROM statstore_training_levels WHERE level = $1 AND start % $2 <> 0) LIMIT 1`,
		level, packWidth(level+1)).Scan(&start); err != nil {
		t.Fatal(err)
	}
	mid := fmt.Sprintf("level = %d AND start = %d", level, start)
	exec(`UPDATE statstore_training_levels SET records = set_byte(records, 50, get_byte(records, 50) # 16) WHERE ` + mid)
	wantCorrupt("a flipped bit in a record", o)
	exec(`UPDATE statstore_training_levels SET records = set_byte(records, 50, get_byte(records, 50) # 16), crc32c = crc32c # 1 WHERE ` + mid)
	wantCorrupt("a flipped bit in a checksum", o)
	exec(`UPDATE statstore_training_levels SET crc32c = crc32c # 1 WHERE ` + mid)
	wantLevelBuckets(t, s, run, h, "the damage undone")
	exec(`UPDATE statstore_training_levels SET level = level + 1 WHERE ` + mid)
	wantCorrupt("a row moved to another level", o)
	exec(fmt.Sprintf(`DELETE FROM statstore_training_levels WHERE level = %d AND start = %d`, level+1, start))
	wantCorrupt("a row missing", o)
	exec(`UPDATE statstore_training_levels SET start = start + 256
		WHERE level = 1 AND start = (SELECT max(start) FROM statstore_training_levels WHERE level = 1)`)
	wantCorrupt("the newest row of level 1 moved", o)
	exec(`UPDATE statstore_training_levels SET start = start - 256
		WHERE level = 1 AND start = (SELECT max(start) FROM statstore_training_levels WHERE level = 1)`)
	wantLevelBuckets(t, s, run, h, "the row moved back")
	// The newest row of level 1 without its last block, with a checksum
	// that matches: the levels disagree on their last entry.
	var id, newest int64
	var records []byte
	if err := conn.QueryRow(ctx, `SELECT run_id, start, records FROM statstore_training_levels
		WHERE level = 1 ORDER BY start DESC LIMIT 1`).Scan(&id, &newest, &records); err != nil || len(records) < 2*pyramid.RecordSize {
		t.Fatalf("level 1's newest row: %d bytes (%v), want 2 blocks or more", len(records), err)
	}
	cut := records[:len(records)-pyramid.RecordSize]
	exec(`UPDATE statstore_training_levels SET records = $1, crc32c = $2 WHERE level = 1 AND start = $3`, cut, levelCRC(id, 1, cut), newest)
	wantCorrupt("the newest block of level 1 cut off", o)
	if _, err := conn.Exec(ctx, `DELETE FROM statstore_training_levels`); err != nil {
		t.Fatal(err)
	}
	wantLevelBuckets(t, s, run, h, "the run's rows deleted")
	if n := wantLevelRows(t, conn, run, h, "the rebuild"); n != len(h) {
		t.Fatalf("the rebuilt levels cover %d of %d entries", n, len(h))
	}
}

// TestLevelsConcurrent has a trainer append and overwrite (through one
// Store) while readers on two other Stores ask for buckets, summarising
// into the levels as they go: no read fails, and in the end the buckets
// and the stored levels are those of the final history.
func TestLevelsConcurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: a concurrent run of several seconds")
	}
	ctx := context.Background()
	w, url := openStore(t, Options{})
	conn := connect(t, url)
	const run = "busy"
	seed := uint64(rand.Int64())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 77))
	var h []statstore.TrainingIterationStats
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for k := range 4 {
		rs, err := Open(ctx, url, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				o := statstore.BucketOptions{Buckets: 1 + (i*7+k)%200}
				if _, _, err := rs.TrainingBuckets(ctx, run, o); err != nil {
					errs <- fmt.Errorf("reader %d: TrainingBuckets(%+v): %w", k, o, err)
					return
				}
			}
		}()
	}
	for step := range 60 {
		var stats []statstore.TrainingIterationStats
		if step%9 == 8 && len(h) > 1000 {
			// Resumed from an earlier checkpoint, with other losses.
			i := len(h) - 1 - r.IntN(len(h)/2)
			stats = append(h[:i:i], levelHistory(r, h[i].Iteration, 1500, 0)...)
		} else {
			start := 0
			if len(h) > 0 {
				start = h[len(h)-1].Iteration + 1 + r.IntN(2)*r.IntN(30_000)
			}
			stats = append(h[:len(h):len(h)], levelHistory(r, start, 500+r.IntN(4000), 0)...)
		}
		if err := w.StoreTrainingStats(ctx, run, &statstore.TrainingStats{IterationStats: stats}); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		h = applied(t, h, stats)
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	wantLevelBuckets(t, w, run, h, "the concurrent writes")
	wantLevelRows(t, conn, run, h, "the concurrent writes")
}

// TestLevelsExtensionHoldsTheRun pauses a bucket query's extension of the
// levels between its read of the entries and its write of their
// summaries, and overwrites the history meanwhile from another Store: the
// overwrite waits for the extension (which holds the run's row), so the
// levels end up those of the new history, not the old one's summaries
// written over the overwrite's.
func TestLevelsExtensionHoldsTheRun(t *testing.T) {
	ctx := context.Background()
	w, url := openStore(t, Options{})
	conn := connect(t, url)
	const run = "held"
	r := rand.New(rand.NewPCG(5, 6))
	h := levelHistory(r, 0, 40_000, 0)
	if err := w.StoreTrainingStats(ctx, run, &statstore.TrainingStats{IterationStats: h}); err != nil {
		t.Fatal(err)
	}
	reader, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	paused, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	reader.beforeLevelsWrite = func() {
		once.Do(func() {
			close(paused)
			<-release
		})
	}
	readDone := make(chan error, 1)
	go func() {
		_, _, err := reader.TrainingBuckets(ctx, run, statstore.BucketOptions{Buckets: 10})
		readDone <- err
	}()
	<-paused
	// Resumed from the middle of the history, with other losses.
	stats := append(h[:len(h)/2:len(h)/2], levelHistory(r, h[len(h)/2].Iteration, 1000, 0)...)
	writeDone := make(chan error, 1)
	go func() { writeDone <- w.StoreTrainingStats(ctx, run, &statstore.TrainingStats{IterationStats: stats}) }()
	// Until the overwrite waits for a lock (or, were the run not held,
	// is done).
	waiting := false
	for !waiting {
		select {
		case err := <-writeDone:
			close(release)
			t.Fatalf("the overwrite finished (%v) while an extension of the levels was between its read and its write", err)
		default:
		}
		if err := conn.QueryRow(ctx, `SELECT count(*) > 0 FROM pg_locks WHERE NOT granted`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
	}
	close(release)
	if err := <-readDone; err != nil {
		t.Fatal(err)
	}
	if err := <-writeDone; err != nil {
		t.Fatal(err)
	}
	h = applied(t, h, stats)
	wantLevelBuckets(t, reader, run, h, "the overwrite")
	wantLevelRows(t, conn, run, h, "the overwrite")
}
