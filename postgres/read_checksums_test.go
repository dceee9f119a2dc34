package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/statstore/statstore"
)

// TestChunkReadChecksums damages what the stride subsample and
// TrainingBuckets read of a block without reading it whole (migration
// 0010): a loss inside the data, an entry's checksum, the summary columns
// or their checksum. Each such read is a corruption error naming the table
// and run, never a wrong answer; damage to the checksums alone leaves the
// whole-history read (which checks the block's own crc32c) right. Before
// migration 0010 the loss and summary damages were answered as they were.
func TestChunkReadChecksums(t *testing.T) {
	ctx := context.Background()
	s, url := openStore(t, Options{})
	conn := connect(t, url)
	var h []statstore.TrainingIterationStats
	for i := range 700 {
		h = append(h, statstore.TrainingIterationStats{Iteration: i, Loss: float64((i*37)%101) / 4, Time: float64(i)})
	}
	whole := &statstore.TrainingStats{IterationStats: h}
	// Entry 7 of the block from iteration 233 (700 entries make three
	// blocks: 0, 233, 466) is iteration 240. A stride subsample of 700
	// points reads the blocks holding its first and last points whole and
	// every entry of the middle block as a 24-byte slice.
	stride := statstore.SubsampleOptions{MaxPoints: 700}
	// Buckets of 256 iterations or more are read from the levels
	// (migration 0012), built from whole blocks: one bucket of the run is
	// right whenever its data is. Narrower ones read a block inside one
	// bucket as its summary: run "small" has blocks of iterations 0-99,
	// 100-299 and 300-349 (three appends), and 3 buckets of 128
	// iterations read the first and the last as summaries; its block
	// from iteration 300 is damaged as the other run's from 233.
	level := statstore.BucketOptions{Buckets: 1}
	buckets := statstore.BucketOptions{Buckets: 3}
	small := h[:350]
	cases := []struct {
		damage       string
		dataIntact   bool // the block's data is unchanged: whole reads answer right
		strideBad    bool // the stride read of iteration 240 must fail
		bucketsBad   bool // the buckets must fail
		bucketsRight bool // ... or, when not bad, equal the direct answer
	}{
		{"data = overlay(data PLACING '\\xc0'::bytea FROM 24 * 7 + 9)", false, true, false, false}, // entry 7's loss, its sign flipped
		{"entry_crcs = overlay(entry_crcs PLACING '\\x0000'::bytea FROM 4 * 7 + 1)", true, true, false, true},
		{"entry_crcs = NULL", true, true, true, false},
		{"min_index = CASE WHEN min_index = 3 THEN 4 ELSE 3 END", true, false, true, false}, // another finite entry: consistent, but not the lowest
		{"max_index = CASE WHEN max_index = 3 THEN 4 ELSE 3 END", true, false, true, false},
		{"m4_crc32c = m4_crc32c # 1", true, false, true, false},
		{"entry_crcs = overlay(entry_crcs PLACING '\\x00'::bytea FROM 1)", true, true, true, false}, // the first entry's checksum
	}
	for _, c := range cases {
		t.Run(c.damage, func(t *testing.T) {
			if err := s.DeleteRun(ctx, "run"); err != nil {
				t.Fatal(err)
			}
			if err := s.StoreTrainingStats(ctx, "run", whole); err != nil {
				t.Fatal(err)
			}
			var checked int
			if err := conn.QueryRow(ctx, `SELECT count(*) FROM statstore_training_chunks WHERE entry_crcs IS NOT NULL AND m4_crc32c IS NOT NULL
				AND run_id = (SELECT id FROM statstore_runs WHERE name = 'run')`).Scan(&checked); err != nil || checked != 3 {
				t.Fatalf("%d of 3 blocks written with read checksums (%v)", checked, err)
			}
			if err := s.DeleteRun(ctx, "small"); err != nil {
				t.Fatal(err)
			}
			for _, n := range []int{100, 300, 350} {
				if err := s.StoreTrainingStats(ctx, "small", &statstore.TrainingStats{IterationStats: small[:n]}); err != nil {
					t.Fatal(err)
				}
			}
			rows, _ := conn.Query(ctx, `SELECT first_iteration FROM statstore_training_chunks
				WHERE run_id = (SELECT id FROM statstore_runs WHERE name = 'small') ORDER BY first_iteration`)
			blocks, err := pgx.CollectRows(rows, pgx.RowTo[int64])
			if err != nil || fmt.Sprint(blocks) != "[0 100 300]" {
				t.Fatalf("run small's blocks start at %v (%v), want [0 100 300]", blocks, err)
			}
			for run, first := range map[string]int{"run": 233, "small": 300} {
				if _, err := conn.Exec(ctx, "UPDATE statstore_training_chunks SET "+c.damage+` WHERE first_iteration = $1
					AND run_id = (SELECT id FROM statstore_runs WHERE name = $2)`, first, run); err != nil {
					t.Fatal(err)
				}
			}
			wantCorrupt := func(what string, err error) {
				t.Helper()
				run := "run"
				if strings.HasSuffix(what, "of run small") {
					run = "small"
				}
				var ce *statstore.CorruptError
				if !errors.As(err, &ce) || !strings.Contains(ce.Path, "table statstore_training_chunks") || !strings.Contains(ce.Path, fmt.Sprintf("run %q", run)) {
					t.Errorf("%s: got %v, want a corruption error naming the table and run", what, err)
				}
			}
			got, err := s.SubsampleTraining(ctx, "run", stride)
			if c.strideBad {
				wantCorrupt("stride subsample", err)
			} else if err != nil || !(&statstore.TrainingStats{IterationStats: got}).Equal(whole) {
				t.Errorf("stride subsample: %d points, %v; want the %d stored", len(got), err, len(h))
			}
			b, _, err := s.TrainingBuckets(ctx, "run", level)
			want, _, _ := statstore.BucketTraining(h, level)
			switch {
			case !c.dataIntact:
				wantCorrupt("buckets from the levels", err)
			case err != nil || fmt.Sprint(b) != fmt.Sprint(want):
				t.Errorf("buckets from the levels: %v, %v; want %v", b, err, want)
			}
			b, w, err := s.TrainingBuckets(ctx, "small", buckets)
			want, _, _ = statstore.BucketTraining(small, buckets)
			if err == nil && w != 128 {
				t.Fatalf("run small's 3 buckets are %d iterations wide, want 128", w)
			}
			switch {
			case c.bucketsBad:
				wantCorrupt("buckets of run small", err)
			case err != nil || fmt.Sprint(b) != fmt.Sprint(want):
				if c.bucketsRight || err == nil {
					t.Errorf("buckets of run small: %v, %v; want %v", b, err, want)
				} else {
					wantCorrupt("buckets of run small", err)
				}
			}
			all, err := s.RetrieveTrainingStats(ctx, "run")
			if c.dataIntact {
				if err != nil || !all.Equal(whole) {
					t.Errorf("whole history with only a read checksum damaged: %d entries, %v; want the %d stored", all.Len(), err, len(h))
				}
			} else {
				wantCorrupt("whole history", err)
			}
		})
	}
}
