package postgres

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/storetest"
)

// constScores returns the validation entry of iteration it with every
// score x.
func constScores(meta statstore.Metadata, it int, x float64) statstore.ValidationIterationScores {
	sh := (&statstore.ValidationScores{Metadata: meta}).Shape()
	scores := make([][][]float64, sh[0])
	for d := range scores {
		scores[d] = make([][]float64, sh[1])
		for p := range scores[d] {
			scores[d][p] = slices.Repeat([]float64{x}, sh[2])
		}
	}
	return statstore.ValidationIterationScores{Iteration: it, Scores: scores}
}

// validationState renders the run's stored validation rows and counters as
// the database holds them: "iteration[*]" per row (* = superseded), then
// the counters.
func validationState(t *testing.T, conn *pgx.Conn, run string) string {
	t.Helper()
	var out string
	err := conn.QueryRow(context.Background(), `SELECT concat_ws(' | ',
		(SELECT string_agg(iteration || CASE WHEN superseded THEN '*' ELSE '' END, ' ' ORDER BY iteration)
			FROM statstore_validation v JOIN statstore_runs r ON r.id = v.run_id WHERE r.name = $1),
		(SELECT format('count %s until %s superseded %s', validation_count, validated_until, superseded_count)
			FROM statstore_runs WHERE name = $1))`, run).Scan(&out)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDaCapoResume plays DaCapo's train → validate → resume loop: train to
// 3456 with checkpoints (and validations) at 1000, 2000 and 3000, each
// call handing over DaCapo's whole in-memory lists; resume from checkpoint
// 2000, train and validate 3000 again. After the resumed training reaches
// 3000 and before 3000 is validated again, the old 3000 is superseded: the
// best report leaves it out although its scores are the best. The
// re-validation stores the new 3000, current, and the best report names it
// with the new scores.
func TestDaCapoResume(t *testing.T) {
	ctx := context.Background()
	var logBuf bytes.Buffer
	s, url := openStore(t, Options{Logger: slog.New(slog.NewJSONHandler(&logBuf, nil))})
	conn := connect(t, url)
	meta := storetest.Metadata()
	const run = "dacapo"
	// Lower is better for the instance criteria: the old 3000 is the best
	// checkpoint, the new one second best.
	old := map[int]float64{1000: 0.5, 2000: 0.4, 3000: 0.1}
	const new3000 = 0.3
	training := func(until int) *statstore.TrainingStats {
		return storetest.Training(storetest.Iters(0, until, 1)...)
	}
	var validated []statstore.ValidationIterationScores // DaCapo's in-memory list
	for _, ck := range []int{1000, 2000, 3000} {
		if err := s.StoreTrainingStats(ctx, run, training(ck)); err != nil {
			t.Fatal(err)
		}
		validated = append(validated, constScores(meta, ck, old[ck]))
		got, err := s.MergeValidationScores(ctx, run, &statstore.ValidationScores{Metadata: meta, Scores: validated})
		if err != nil || !slices.Equal(got.Inserted, []int{ck}) || len(got.Replaced) != 0 || len(got.Unchanged) != len(validated)-1 {
			t.Fatalf("validate %d: got %+v, %v, want %d inserted and the others unchanged", ck, got, err, ck)
		}
	}
	if err := s.StoreTrainingStats(ctx, run, training(3456)); err != nil {
		t.Fatal(err)
	}
	if v, err := s.RetrieveValidationScores(ctx, run); err != nil || v.BestReport().OverDatasets[0].Iteration != 3000 {
		t.Fatalf("before the resume: best %+v, %v, want checkpoint 3000", v.BestReport().OverDatasets, err)
	}

	// Resume from checkpoint 2000: DaCapo cuts both lists there and trains
	// on; the history from 2000 on differs from the stored one.
	resumed := &statstore.TrainingStats{IterationStats: slices.Concat(
		storetest.Entries(0, storetest.Iters(0, 2000, 1)...), storetest.Entries(1, storetest.Iters(2000, 3000, 1)...))}
	validated = validated[:2]
	logBuf.Reset()
	if err := s.StoreTrainingStats(ctx, run, resumed); err != nil {
		t.Fatal(err)
	}
	if got, want := validationState(t, conn, run), "1000 2000 3000* | count 3 until 3001 superseded 1"; got != want {
		t.Errorf("after the resumed training reaches 3000: stored %q, want %q", got, want)
	}
	if !bytes.Contains(logBuf.Bytes(), []byte(`"rewind_point":2000,"superseded":[3000]`)) {
		t.Errorf("log of the resumed training: %s, want a warning naming rewind point 2000 and checkpoint 3000", logBuf.Bytes())
	}
	v, err := s.RetrieveValidationScores(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	want := []statstore.ValidationIterationScores{constScores(meta, 1000, 0.5), constScores(meta, 2000, 0.4), constScores(meta, 3000, 0.1)}
	want[2].Superseded = true
	if !slices.EqualFunc(v.Scores, want, statstore.ValidationIterationScores.Equal) {
		t.Errorf("after the resumed training: got %+v, want 3000 kept and superseded", v.Scores)
	}
	best := v.BestReport()
	if best.Superseded != 1 {
		t.Errorf("best report: %d superseded entries left out, want 1", best.Superseded)
	}
	for _, b := range slices.Concat(best.PerDataset, best.OverDatasets) {
		if b.Iteration != 2000 {
			t.Errorf("best report before the re-validation: %s %s names checkpoint %d, want 2000 (3000's weights are overwritten)", b.Dataset, b.Criterion, b.Iteration)
		}
	}

	// Validate 3000 again: DaCapo's list is [1000, 2000, 3000 (new)].
	validated = append(validated, constScores(meta, 3000, new3000))
	got, err := s.MergeValidationScores(ctx, run, &statstore.ValidationScores{Metadata: meta, Scores: validated})
	if err != nil || len(got.Inserted) != 0 || !slices.Equal(got.Replaced, []int{3000}) || !slices.Equal(got.Unchanged, []int{1000, 2000}) {
		t.Fatalf("re-validate 3000: got %+v, %v, want 3000 replaced, 1000 and 2000 unchanged", got, err)
	}
	if got, want := validationState(t, conn, run), "1000 2000 3000 | count 3 until 3001 superseded 0"; got != want {
		t.Errorf("after the re-validation: stored %q, want %q", got, want)
	}
	// Training goes on past 3000: an append supersedes nothing.
	if err := s.StoreTrainingStats(ctx, run, &statstore.TrainingStats{IterationStats: slices.Concat(resumed.IterationStats,
		storetest.Entries(1, storetest.Iters(3000, 3456, 1)...))}); err != nil {
		t.Fatal(err)
	}
	v, err = s.RetrieveValidationScores(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	want[2] = constScores(meta, 3000, new3000)
	if !slices.EqualFunc(v.Scores, want, statstore.ValidationIterationScores.Equal) {
		t.Errorf("after the re-validation: got %+v, want the new 3000, current", v.Scores)
	}
	best = v.BestReport()
	for _, b := range slices.Concat(best.PerDataset, best.OverDatasets) {
		if b.Iteration != 3000 || b.Value != new3000 {
			t.Errorf("best report after the re-validation: %s %s names checkpoint %d (%v), want the new 3000 (%v)", b.Dataset, b.Criterion, b.Iteration, b.Value, new3000)
		}
	}
}

// TestReplaceRewind replaces long training histories (several times
// rewindChunk entries) and checks that the store finds the rewind point
// statstore.RewindPoint finds, marks the validations after it, stores the
// new history bit-exactly, and rewrites only the blocks from the one
// holding the rewind point on (the blocks before it keep their xmin).
func TestReplaceRewind(t *testing.T) {
	const n = 25_000
	base := storetest.Entries(0, storetest.Iters(0, n, 1)...)
	nanAt := func(it int, payload uint64) []statstore.TrainingIterationStats {
		out := slices.Clone(base)
		out[it].Loss = math.Float64frombits(0x7ff8_0000_0000_0000 | payload)
		return out
	}
	tests := []struct {
		name        string
		stored, new []statstore.TrainingIterationStats
	}{
		{"identical", base, base},
		{"resumed within the third chunk", base, slices.Concat(base[:23_000], storetest.Entries(1, storetest.Iters(23_000, 24_000, 1)...))},
		{"departs at a chunk's first entry", base, slices.Concat(base[:2*rewindChunk], storetest.Entries(1, storetest.Iters(2*rewindChunk, n, 1)...))},
		{"departs at a chunk's last entry", base, slices.Concat(base[:rewindChunk-1], storetest.Entries(1, storetest.Iters(rewindChunk-1, n, 1)...))},
		{"departs at iteration 0", base, storetest.Entries(1, storetest.Iters(0, 100, 1)...)},
		{"shorter prefix", base, base[:15_000]},
		{"prefix of a whole number of chunks", base, base[:2*rewindChunk]},
		{"stored history goes on with gaps", slices.Concat(base[:12_000], storetest.Entries(0, storetest.Iters(12_000, n, 2)...)), base[:12_001]},
		{"more entries, fewer iterations", slices.Concat(base[:12_000], storetest.Entries(0, storetest.Iters(12_000, n, 2)...)), base[:n-1]},
		{"a NaN's payload differs", nanAt(17_000, 1), nanAt(17_000, 2)},
		{"stored entries past the new end", base[:n-1], base[:n-2]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			var logBuf bytes.Buffer
			s, url := openStore(t, Options{Logger: slog.New(slog.NewJSONHandler(&logBuf, nil))})
			conn := connect(t, url)
			meta := storetest.Metadata()
			const run = "run"
			if err := s.StoreTrainingStats(ctx, run, &statstore.TrainingStats{IterationStats: tc.stored}); err != nil {
				t.Fatal(err)
			}
			validations := []int{0, 1, rewindChunk - 1, rewindChunk, 12_000, 12_001, 15_000, 17_000, 2 * rewindChunk, 23_000, 23_001, statstore.MaxIteration}
			if err := s.StoreValidationIterationScores(ctx, run, storetest.Scores(meta, validations...)); err != nil {
				t.Fatal(err)
			}
			// The run's blocks: first iteration → last iteration and xmin.
			type block struct {
				last int
				xmin string
			}
			xmins := func() map[int]block {
				rows, err := conn.Query(ctx, `SELECT t.first_iteration, t.last_iteration, t.xmin::text FROM statstore_training_chunks t
					JOIN statstore_runs r ON r.id = t.run_id WHERE r.name = $1`, run)
				if err != nil {
					t.Fatal(err)
				}
				out := map[int]block{}
				var first, last int
				var xmin string
				_, err = pgx.ForEachRow(rows, []any{&first, &last, &xmin}, func() error { out[first] = block{last, xmin}; return nil })
				if err != nil {
					t.Fatal(err)
				}
				return out
			}
			before := xmins()
			logBuf.Reset()
			if err := s.StoreTrainingStats(ctx, run, &statstore.TrainingStats{IterationStats: tc.new}); err != nil {
				t.Fatal(err)
			}
			rewind := statstore.RewindPoint(tc.stored, tc.new)

			got, err := s.RetrieveTrainingStats(ctx, run)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(&statstore.TrainingStats{IterationStats: tc.new}) {
				t.Errorf("stored history: %d entries, not bit-identical to the %d new ones", got.Len(), len(tc.new))
			}
			infos, err := s.ListRuns(ctx)
			if err != nil || len(infos) != 1 || infos[0].TrainingIterations != len(tc.new) || infos[0].TrainedUntil != tc.new[len(tc.new)-1].Iteration+1 {
				t.Errorf("ListRuns: got %+v, %v, want %d entries", infos, err, len(tc.new))
			}
			var wantMarked []int
			for _, it := range validations {
				if statstore.Supersedes(rewind, it) {
					wantMarked = append(wantMarked, it)
				}
			}
			v, err := s.RetrieveValidationScores(ctx, run)
			if err != nil {
				t.Fatal(err)
			}
			var marked []int
			for _, e := range v.Scores {
				if e.Superseded {
					marked = append(marked, e.Iteration)
				}
			}
			if !slices.Equal(marked, wantMarked) {
				t.Errorf("superseded validations: got %v, want %v (rewind point %d)", marked, wantMarked, rewind)
			}
			if rewind != statstore.NoRewind {
				want := fmt.Sprintf(`"rewind_point":%d,`, rewind)
				if !bytes.Contains(logBuf.Bytes(), []byte(want)) {
					t.Errorf("log: %s, want %s", logBuf.Bytes(), want)
				}
			}
			// The blocks wholly before the rewind point stay as they are;
			// the one holding it (at most one block starting before it) and
			// those after it are rewritten.
			after := xmins()
			rewrittenBefore := 0
			for first, b := range after {
				old, had := before[first]
				wantKept := had && old.last == b.last && b.last < rewind
				if kept := had && old.xmin == b.xmin; kept != wantKept {
					t.Errorf("block %d to %d (rewind point %d): kept %v, want %v", first, b.last, rewind, kept, wantKept)
					break
				}
				if first < rewind && !wantKept {
					rewrittenBefore++
				}
			}
			if rewrittenBefore > 1 {
				t.Errorf("%d blocks starting before the rewind point %d rewritten, want at most 1", rewrittenBefore, rewind)
			}
		})
	}
}

// TestSupersededChecks damages the superseded marks and their count: a
// mark flipped either way (which would put an overwritten checkpoint back
// in the best report, or take a current one out) and superseded_count off
// by one with a checksum that matches it are reported by the readers of
// the validation scores and by the next writes instead of being answered;
// a count whose checksum does not match is reported by every reader of
// the run's row.
func TestSupersededChecks(t *testing.T) {
	ctx := context.Background()
	meta := storetest.Metadata()
	setup := func(t *testing.T) (*Store, string) {
		s, url := openStore(t, Options{})
		if err := s.StoreTrainingStats(ctx, "run", storetest.Training(storetest.Iters(0, 40, 1)...)); err != nil {
			t.Fatal(err)
		}
		if err := s.StoreValidationIterationScores(ctx, "run", storetest.Scores(meta, 10, 20, 30)); err != nil {
			t.Fatal(err)
		}
		// Resumed at 15: 20 and 30 superseded.
		if err := s.StoreTrainingStats(ctx, "run", storetest.Training(storetest.Iters(0, 15, 1)...)); err != nil {
			t.Fatal(err)
		}
		return s, url
	}
	readers := map[string]func(s *Store) error{
		"RetrieveValidationScores": func(s *Store) error { _, err := s.RetrieveValidationScores(ctx, "run"); return err },
		"RetrieveValidationIterationScores": func(s *Store) error {
			_, err := s.RetrieveValidationIterationScores(ctx, "run")
			return err
		},
		"MergeValidationScores": func(s *Store) error {
			_, err := s.MergeValidationScores(ctx, "run", storetest.Scores(meta, 40))
			return err
		},
		"DeleteValidationAfter": func(s *Store) error { return s.DeleteValidationAfter(ctx, "run", 30) },
	}
	const whereIt = " WHERE iteration = $1 AND run_id = (SELECT id FROM statstore_runs WHERE name = 'run')"
	tests := []struct {
		name string
		// sql damages the marks (none when empty); fixCount changes
		// superseded_count and writes a checksum that matches it (a buggy
		// writer).
		sql      string
		it       int
		fixCount string
	}{
		{"mark cleared", "UPDATE statstore_validation SET superseded = false" + whereIt, 30, ""},
		{"mark set", "UPDATE statstore_validation SET superseded = true" + whereIt, 10, ""},
		{"count + 1, matching checksum", "", 0, "superseded_count = superseded_count + 1"},
		{"count - 1, matching checksum", "", 0, "superseded_count = superseded_count - 1"},
	}
	for _, tc := range tests {
		for name, read := range readers {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				s, url := setup(t)
				conn := connect(t, url)
				before := validationState(t, conn, "run")
				if tc.sql != "" {
					if _, err := conn.Exec(ctx, tc.sql, tc.it); err != nil {
						t.Fatal(err)
					}
				}
				if tc.fixCount != "" {
					setSupersededCount(t, conn, "run", tc.fixCount)
				}
				damaged := validationState(t, conn, "run")
				if damaged == before {
					t.Fatalf("damage %s did not change the run: %s", tc.name, damaged)
				}
				wantCorrupt(t, name, read(s), "statstore_runs", "run")
				if got := validationState(t, conn, "run"); got != damaged {
					t.Errorf("%s refused the damaged run but changed it: %s, was %s", name, got, damaged)
				}
			})
		}
	}
	t.Run("count with a stale checksum", func(t *testing.T) {
		s, url := setup(t)
		execSQL(t, url, "UPDATE statstore_runs SET superseded_count = 1 WHERE name = 'run'")
		for name, read := range readers {
			wantCorrupt(t, name, read(s), "statstore_runs", "run")
		}
		_, err := s.ListRuns(ctx)
		wantCorrupt(t, "ListRuns", err, "statstore_runs", "run")
		err = s.StoreTrainingStats(ctx, "run", storetest.Training(storetest.Iters(0, 16, 1)...))
		wantCorrupt(t, "StoreTrainingStats", err, "statstore_runs", "run")
	})
}

// setSupersededCount changes the run's superseded_count with set and writes
// a counters checksum that matches, as a buggy writer would.
func setSupersededCount(t *testing.T, conn *pgx.Conn, run, set string) {
	t.Helper()
	ctx := context.Background()
	if _, err := conn.Exec(ctx, "UPDATE statstore_runs SET "+set+" WHERE name = $1", run); err != nil {
		t.Fatal(err)
	}
	var r runRow
	if err := conn.QueryRow(ctx, `SELECT training_count, trained_until, validation_count, validated_until, superseded_count
		FROM statstore_runs WHERE name = $1`, run).Scan(&r.TrainingCount, &r.TrainedUntil, &r.ValidationCount, &r.ValidatedUntil, &r.SupersededCount); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "UPDATE statstore_runs SET counters_crc32c = $2 WHERE name = $1", run, countersCRC(run, r)); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentMerges sends two merges of one run from two stores (two
// connection pools) while a third connection holds the run's lock, so
// that both are waiting for it at once, then releases it: they must apply
// one after the other. Both mention iteration 20 with different scores:
// the first inserts it, the second replaces it, and the stored 20 is the
// second's. Then many merges from both stores at once, of overlapping
// iterations: every iteration is reported inserted by exactly one call
// and the counters match the rows.
func TestConcurrentMerges(t *testing.T) {
	ctx := context.Background()
	meta := storetest.Metadata()
	s1, url := openStore(t, Options{})
	s2, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if err := s1.StoreTrainingStats(ctx, "run", storetest.Training(0, 1)); err != nil {
		t.Fatal(err)
	}

	holder := connect(t, url)
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT 1 FROM statstore_runs WHERE name = 'run' FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	calls := []struct {
		s      *Store
		scores *statstore.ValidationScores
	}{
		{s1, storetest.ScoresVersion(meta, 1, 10, 20)},
		{s2, storetest.ScoresVersion(meta, 2, 20, 30)},
	}
	results := make([]statstore.ValidationMerge, len(calls))
	errs := make([]error, len(calls))
	var wg sync.WaitGroup
	for i, c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = c.s.MergeValidationScores(ctx, "run", c.scores)
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	// Wait until both merges wait for the lock (the test's deadline bounds
	// the wait).
	watcher := connect(t, url)
	for waiting := 0; waiting < len(calls); {
		select {
		case <-done:
			t.Fatalf("the merges returned while a transaction held the run's lock: %v", errs)
		case <-time.After(5 * time.Millisecond):
		}
		if err := watcher.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	<-done
	for i, err := range errs {
		if err != nil {
			t.Fatalf("merge %d: %v", i, err)
		}
	}
	first, second := 0, 1
	if slices.Contains(results[0].Replaced, 20) {
		first, second = 1, 0
	}
	firstNew := iterationsOf(calls[first].scores)
	secondNew := slices.DeleteFunc(iterationsOf(calls[second].scores), func(it int) bool { return it == 20 })
	if !slices.Equal(results[first].Inserted, firstNew) || len(results[first].Replaced)+len(results[first].Unchanged) != 0 ||
		!slices.Equal(results[second].Inserted, secondNew) || !slices.Equal(results[second].Replaced, []int{20}) || len(results[second].Unchanged) != 0 {
		t.Fatalf("reports %+v and %+v: want one merge inserting all it sends, the other inserting the rest and replacing 20", results[0], results[1])
	}
	v, err := s1.RetrieveValidationScores(ctx, "run")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range v.Scores {
		if e.Iteration == 20 && !e.Equal(calls[second].scores.Scores[slices.IndexFunc(calls[second].scores.Scores,
			func(x statstore.ValidationIterationScores) bool { return x.Iteration == 20 })]) {
			t.Errorf("stored 20 is not the scores of the merge that ran second")
		}
	}
	if got := iterationsOf(v); !slices.Equal(got, []int{10, 20, 30}) {
		t.Errorf("stored iterations %v, want [10 20 30]", got)
	}

	// Many merges at once from both stores.
	const workers, rounds = 6, 10
	var mu sync.Mutex
	inserted := map[int]int{}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := []*Store{s1, s2}[w%2]
			for r := range rounds {
				its := []int{100 + r, 100 + r + w, 200 + (w*rounds+r)%17}
				got, err := s.MergeValidationScores(ctx, "many", storetest.ScoresVersion(meta, w, its...))
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				}
				for _, it := range got.Inserted {
					inserted[it]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent merges: %v", err)
		}
	}
	v, err = s2.RetrieveValidationScores(ctx, "many")
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range iterationsOf(v) {
		if inserted[it] != 1 {
			t.Errorf("iteration %d reported inserted by %d calls, want 1", it, inserted[it])
		}
	}
	if len(inserted) != len(v.Scores) {
		t.Errorf("%d iterations reported inserted, %d stored", len(inserted), len(v.Scores))
	}
}

// iterationsOf returns the iterations of v's entries.
func iterationsOf(v *statstore.ValidationScores) []int {
	out := make([]int, len(v.Scores))
	for i, e := range v.Scores {
		out[i] = e.Iteration
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// countersCRCv2 is the counters checksum as migration 0002 defined it,
// frozen here: rows written before migration 0003 hold it.
func countersCRCv2(run string, training, trainedUntil, validation, validatedUntil int64) int64 {
	b := binary.BigEndian.AppendUint64(nil, uint64(len(run)))
	b = append(b, run...)
	for _, v := range []int64{training, trainedUntil, validation, validatedUntil} {
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	}
	return crc32c(b)
}

// TestUpgradeToSuperseded opens a database whose schema is at version 2
// and holds a run written by version 2 (with its checksums): migration
// 0003 applies, the run reads as before with every validation current, its
// checksums still hold, and a training rewind then marks validations.
func TestUpgradeToSuperseded(t *testing.T) {
	ctx := context.Background()
	url := testServer.Schema(t)
	conn := connect(t, url)
	migrateTo(t, conn, 2)
	meta := storetest.Metadata()
	doc, err := encodeMetadata(meta)
	if err != nil {
		t.Fatal(err)
	}
	training := storetest.Training(storetest.Iters(0, 30, 1)...)
	want := storetest.Scores(meta, 10, 20)
	var id int64
	if err := conn.QueryRow(ctx, `INSERT INTO statstore_runs (name, training_count, trained_until, validation_count, validated_until,
		validation_metadata, counters_crc32c, validation_metadata_crc32c) VALUES ('run', 30, 30, 2, 21, $1, $2, $3) RETURNING id`,
		string(doc), countersCRCv2("run", 30, 30, 2, 21), crc32c(doc)).Scan(&id); err != nil {
		t.Fatal(err)
	}
	insertTraining(t, conn, id, training)
	for _, e := range want.Scores {
		if _, err := conn.Exec(ctx, "INSERT INTO statstore_validation VALUES ($1, $2, $3)", id, e.Iteration, flatten(e.Scores)); err != nil {
			t.Fatal(err)
		}
	}

	s, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	wantAllMigrations(t, url)
	if got, want := validationState(t, conn, "run"), "10 20 | count 2 until 21 superseded 0"; got != want {
		t.Errorf("after the upgrade: %q, want %q", got, want)
	}
	got, err := s.RetrieveValidationScores(ctx, "run")
	if err != nil || !got.Metadata.Equal(meta) || !slices.EqualFunc(got.Scores, want.Scores, statstore.ValidationIterationScores.Equal) {
		t.Fatalf("validation scores stored before the upgrade: got %v, %v, want %v, all current", got, err, want)
	}
	if st, err := s.RetrieveTrainingStats(ctx, "run"); err != nil || !st.Equal(training) {
		t.Fatalf("training stats stored before the upgrade: got %v, %v", st, err)
	}
	if infos, err := s.ListRuns(ctx); err != nil || len(infos) != 1 || infos[0].ValidationIterations != 2 {
		t.Fatalf("ListRuns after the upgrade: %+v, %v", infos, err)
	}
	// Resumed at 15: 20 is superseded.
	if err := s.StoreTrainingStats(ctx, "run", storetest.Training(storetest.Iters(0, 15, 1)...)); err != nil {
		t.Fatal(err)
	}
	if got, want := validationState(t, conn, "run"), "10 20* | count 2 until 21 superseded 1"; got != want {
		t.Errorf("after a training rewind: %q, want %q", got, want)
	}
	// The marks are covered: clearing one is noticed.
	execSQL(t, url, "UPDATE statstore_validation SET superseded = false WHERE iteration = 20")
	if _, err := s.RetrieveValidationScores(ctx, "run"); !errors.Is(err, statstore.ErrCorrupt) {
		t.Errorf("RetrieveValidationScores with a cleared mark: got %v, want ErrCorrupt", err)
	}
}

// TestDeleteAfterSuperseded deletes validations from an iteration on in a
// run with superseded ones: the counters, superseded_count included,
// follow the rows, and deleting everything keeps the training stats.
func TestDeleteAfterSuperseded(t *testing.T) {
	ctx := context.Background()
	s, url := openStore(t, Options{})
	conn := connect(t, url)
	if err := s.StoreTrainingStats(ctx, "run", storetest.Training(storetest.Iters(0, 40, 1)...)); err != nil {
		t.Fatal(err)
	}
	if err := s.StoreValidationIterationScores(ctx, "run", storetest.Scores(storetest.Metadata(), 10, 20, 30)); err != nil {
		t.Fatal(err)
	}
	if err := s.StoreTrainingStats(ctx, "run", storetest.Training(storetest.Iters(0, 15, 1)...)); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		from int
		want string
	}{
		{31, "10 20* 30* | count 3 until 31 superseded 2"},
		{25, "10 20* | count 2 until 21 superseded 1"},
		{11, "10 | count 1 until 11 superseded 0"},
		{0, "count 0 until 0 superseded 0"},
	}
	for _, st := range steps {
		if err := s.DeleteValidationAfter(ctx, "run", st.from); err != nil {
			t.Fatalf("DeleteValidationAfter(%d): %v", st.from, err)
		}
		if got := validationState(t, conn, "run"); got != st.want {
			t.Errorf("after DeleteValidationAfter(%d): %q, want %q", st.from, got, st.want)
		}
	}
	if got := queryString(t, url, "SELECT coalesce(validation_metadata::text, 'none') FROM statstore_runs WHERE name = 'run'"); got != "none" {
		t.Errorf("metadata after deleting every validation: %s, want none", got)
	}
	if st, err := s.RetrieveTrainingStats(ctx, "run"); err != nil || st.Len() != 15 {
		t.Errorf("training after deleting every validation: %v, %v, want 15 entries", st, err)
	}
}

// TestMergeStoresSentMarks merges entries sent with superseded marks (as
// statstore.CopyRun sends what it read): the first scores, inserted and
// replaced iterations are stored with the mark they are sent with, and
// superseded_count follows; bit-identical scores sent with another mark
// keep the stored one. After each step the run reads back (which checks
// the counters against their checksum and the rows) with the marks
// expected.
func TestMergeStoresSentMarks(t *testing.T) {
	ctx := context.Background()
	s, url := openStore(t, Options{})
	conn := connect(t, url)
	meta := storetest.Metadata()
	marked := func(e statstore.ValidationIterationScores) statstore.ValidationIterationScores {
		e.Superseded = true
		return e
	}
	steps := []struct {
		name   string
		sent   []statstore.ValidationIterationScores
		result statstore.ValidationMerge
		want   string
	}{
		{"first scores, one marked", []statstore.ValidationIterationScores{constScores(meta, 10, 1), marked(constScores(meta, 30, 1))},
			statstore.ValidationMerge{Inserted: []int{10, 30}}, "10 30* | count 2 until 31 superseded 1"},
		{"inserted marked and current", []statstore.ValidationIterationScores{marked(constScores(meta, 20, 1)), constScores(meta, 40, 1)},
			statstore.ValidationMerge{Inserted: []int{20, 40}}, "10 20* 30* 40 | count 4 until 41 superseded 2"},
		{"current replaced by marked", []statstore.ValidationIterationScores{marked(constScores(meta, 10, 2))},
			statstore.ValidationMerge{Replaced: []int{10}}, "10* 20* 30* 40 | count 4 until 41 superseded 3"},
		{"marked replaced by current and by marked", []statstore.ValidationIterationScores{constScores(meta, 20, 2), marked(constScores(meta, 30, 2))},
			statstore.ValidationMerge{Replaced: []int{20, 30}}, "10* 20 30* 40 | count 4 until 41 superseded 2"},
		{"identical scores keep the stored marks", []statstore.ValidationIterationScores{constScores(meta, 10, 2), marked(constScores(meta, 20, 2))},
			statstore.ValidationMerge{Unchanged: []int{10, 20}}, "10* 20 30* 40 | count 4 until 41 superseded 2"},
	}
	want := map[int]statstore.ValidationIterationScores{}
	for _, st := range steps {
		got, err := s.MergeValidationScores(ctx, "run", &statstore.ValidationScores{Metadata: meta, Scores: st.sent})
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if !slices.Equal(got.Inserted, st.result.Inserted) || !slices.Equal(got.Replaced, st.result.Replaced) || !slices.Equal(got.Unchanged, st.result.Unchanged) {
			t.Errorf("%s: got %v, want %v", st.name, got, st.result)
		}
		if state := validationState(t, conn, "run"); state != st.want {
			t.Errorf("%s: stored %q, want %q", st.name, state, st.want)
		}
		for _, e := range st.sent {
			if !slices.Contains(st.result.Unchanged, e.Iteration) {
				want[e.Iteration] = e
			}
		}
		v, err := s.RetrieveValidationScores(ctx, "run")
		if err != nil {
			t.Fatalf("%s: read back: %v", st.name, err)
		}
		wantScores := make([]statstore.ValidationIterationScores, 0, len(want))
		for _, it := range slices.Sorted(maps.Keys(want)) {
			wantScores = append(wantScores, want[it])
		}
		if !slices.EqualFunc(v.Scores, wantScores, statstore.ValidationIterationScores.Equal) {
			t.Errorf("%s: read back %+v, want %+v", st.name, v.Scores, wantScores)
		}
	}
	// The marks are counted: a delete that takes the marked entries
	// leaves the counters matching the rows.
	if err := s.DeleteValidationAfter(ctx, "run", 25); err != nil {
		t.Fatal(err)
	}
	if got, want := validationState(t, conn, "run"), "10* 20 | count 2 until 21 superseded 1"; got != want {
		t.Errorf("after DeleteValidationAfter(25): %q, want %q", got, want)
	}
}

// TestMetadataMismatchOfUnstoredIterations merges scores with other
// metadata into a run whose stored validation scores (at 1000) the merge
// does not mention: the store reads only the entries a merge mentions, and
// must still see that scores are stored. The merge fails with
// statstore.ErrMetadataMismatch and writes nothing.
func TestMetadataMismatchOfUnstoredIterations(t *testing.T) {
	ctx := context.Background()
	meta := storetest.Metadata()
	other := storetest.Metadata()
	other.Datasets = []string{"crop_a", "crop_c"}
	for _, its := range [][]int{{2000}, {500}, {500, 2000}} {
		t.Run(fmt.Sprint(its), func(t *testing.T) {
			s, url := openStore(t, Options{})
			conn := connect(t, url)
			if err := s.StoreValidationIterationScores(ctx, "run", storetest.Scores(meta, 1000)); err != nil {
				t.Fatal(err)
			}
			before := validationState(t, conn, "run")
			metaBefore := queryString(t, url, "SELECT validation_metadata::text FROM statstore_runs WHERE name = 'run'")
			got, err := s.MergeValidationScores(ctx, "run", storetest.Scores(other, its...))
			if !errors.Is(err, statstore.ErrMetadataMismatch) {
				t.Fatalf("merge of %v with other datasets: got %v, %v, want ErrMetadataMismatch", its, got, err)
			}
			if after := validationState(t, conn, "run"); after != before {
				t.Errorf("after the failed merge: stored %q, want %q", after, before)
			}
			if after := queryString(t, url, "SELECT validation_metadata::text FROM statstore_runs WHERE name = 'run'"); after != metaBefore {
				t.Errorf("metadata after the failed merge: %s, want %s", after, metaBefore)
			}
			v, err := s.RetrieveValidationScores(ctx, "run")
			if err != nil || !v.Metadata.Equal(meta) || !slices.Equal(iterationsOf(v), []int{1000}) {
				t.Errorf("read back: %v, %v, want iteration 1000 with the stored metadata", v, err)
			}
		})
	}
}
