package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

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
	buckets := statstore.BucketOptions{Buckets: 1} // one bucket: every block is read as its summary
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
			if _, err := conn.Exec(ctx, "UPDATE statstore_training_chunks SET "+c.damage+` WHERE first_iteration = 233
				AND run_id = (SELECT id FROM statstore_runs WHERE name = 'run')`); err != nil {
				t.Fatal(err)
			}
			wantCorrupt := func(what string, err error) {
				t.Helper()
				var ce *statstore.CorruptError
				if !errors.As(err, &ce) || !strings.Contains(ce.Path, "table statstore_training_chunks") || !strings.Contains(ce.Path, `run "run"`) {
					t.Errorf("%s: got %v, want a corruption error naming the table and run", what, err)
				}
			}
			got, err := s.SubsampleTraining(ctx, "run", stride)
			if c.strideBad {
				wantCorrupt("stride subsample", err)
			} else if err != nil || !(&statstore.TrainingStats{IterationStats: got}).Equal(whole) {
				t.Errorf("stride subsample: %d points, %v; want the %d stored", len(got), err, len(h))
			}
			b, _, err := s.TrainingBuckets(ctx, "run", buckets)
			want, _, _ := statstore.BucketTraining(h, buckets)
			switch {
			case c.bucketsBad:
				wantCorrupt("buckets", err)
			case err != nil || fmt.Sprint(b) != fmt.Sprint(want):
				if c.bucketsRight || err == nil {
					t.Errorf("buckets: %v, %v; want %v", b, err, want)
				} else {
					wantCorrupt("buckets", err)
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
