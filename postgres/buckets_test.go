package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/statstore/statstore"
)

// m4History has NaN (with payloads and sign), ±Inf, -0 next to 0, ties,
// subnormals, negative and huge losses, and gaps.
func m4History(r *rand.Rand, n int) []statstore.TrainingIterationStats {
	specials := []float64{math.NaN(), math.Float64frombits(0xfff8000000000001), math.Inf(1), math.Inf(-1), math.Copysign(0, -1), 0,
		math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64, -math.MaxFloat64, math.MaxFloat64, -1.5, 1.5}
	out := make([]statstore.TrainingIterationStats, 0, n)
	it := 0
	for range n {
		l := math.Round(r.NormFloat64()*4) / 2
		if r.IntN(4) == 0 {
			l = specials[r.IntN(len(specials))]
		}
		out = append(out, statstore.TrainingIterationStats{Iteration: it, Loss: l, Time: float64(it)})
		it += 1 + r.IntN(2)*r.IntN(50)
	}
	return out
}

// TestUpgradeToChunkBuckets opens a database at version 8 whose blocks
// have no summaries: migration 0009 computes each as the Go code does
// (comparing losses by their bits in SQL), and the buckets equal the
// direct answer.
func TestUpgradeToChunkBuckets(t *testing.T) {
	ctx := context.Background()
	url := testServer.Schema(t)
	conn := connect(t, url)
	migrateTo(t, conn, 8)
	seed := uint64(rand.Int64())
	t.Logf("seed %d", seed)
	h := m4History(rand.New(rand.NewPCG(seed, 9)), 5000)
	// A block whose lowest and highest losses are 0 and -0, ties in
	// either order.
	negZero := math.Copysign(0, -1)
	for i, l := range []float64{0, negZero, 0, math.NaN(), negZero, 0} {
		h = append(h, statstore.TrainingIterationStats{Iteration: h[len(h)-1].Iteration + 1 + i, Loss: l})
	}
	for i, l := range []float64{negZero, 0, negZero} {
		h = append(h, statstore.TrainingIterationStats{Iteration: h[len(h)-1].Iteration + 1 + i, Loss: l})
	}
	row := runRow{TrainingCount: int64(len(h)), TrainedUntil: int64(h[len(h)-1].Iteration + 1)}
	var id int64
	if err := conn.QueryRow(ctx, `INSERT INTO statstore_runs (name, training_count, trained_until, counters_crc32c)
		VALUES ('run', $1, $2, $3) RETURNING id`, row.TrainingCount, row.TrainedUntil, countersCRC("run", row)).Scan(&id); err != nil {
		t.Fatal(err)
	}
	chunks := splitChunks(h)
	// Small blocks too, so that a block of one entry and blocks of a few
	// are summarised.
	n := len(h)
	chunks = append(append(append(splitChunks(h[:1]), splitChunks(h[1:n-9])...), makeChunk(h[n-9:n-3])), makeChunk(h[n-3:]))
	for _, c := range chunks {
		if _, err := conn.Exec(ctx, `INSERT INTO statstore_training_chunks (run_id, first_iteration, last_iteration, entries, step, data, crc32c)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, c.First, c.Last, int32(c.Entries), c.Step, c.Data, *c.CRC); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Open(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	wantAllMigrations(t, url)
	for _, c := range chunks {
		var got chunkM4
		if err := conn.QueryRow(ctx, `SELECT `+m4Columns+` FROM statstore_training_chunks WHERE run_id = $1 AND first_iteration = $2`, id, c.First).
			Scan(&got.Finite, &got.NaN, &got.PosInf, &got.NegInf, &got.FirstNonFinite, &got.MinIndex, &got.MaxIndex); err != nil {
			t.Fatal(err)
		}
		if got != c.M4 {
			t.Fatalf("block from %d: migration 0009 summarised it as %+v, want %+v", c.First, got, c.M4)
		}
	}
	for _, o := range []statstore.BucketOptions{{Buckets: 1}, {Buckets: 3}, {Buckets: 40}, {Buckets: 1000}, {Buckets: 9, Range: statstore.IterationRange{From: 333, To: 20_000}}} {
		got, gw, err := s.TrainingBuckets(ctx, "run", o)
		if err != nil {
			t.Fatal(err)
		}
		want, ww, _ := statstore.BucketTraining(h, o)
		if gw != ww || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%+v: got width %d, %d buckets, want width %d, %d buckets\n got %v\nwant %v", o, gw, len(got), ww, len(want), got, want)
		}
	}
}

// TestChunkBucketsDamage: a block summary that disagrees with itself is
// a corruption error, never wrong buckets. (A summary damaged into another
// consistent one is caught by its checksum, migration 0010:
// TestChunkReadChecksums.)
func TestChunkBucketsDamage(t *testing.T) {
	ctx := context.Background()
	s, url := openStore(t, Options{})
	conn := connect(t, url)
	h := m4History(rand.New(rand.NewPCG(1, 2)), 3000)
	for _, d := range []string{"finite = finite + 1", "nan = nan - 1", "min_index = -1", "first_non_finite = -1, nan = 0, pos_inf = 0, neg_inf = 0"} {
		t.Run(d, func(t *testing.T) {
			if err := s.DeleteRun(ctx, "run"); err != nil {
				t.Fatal(err)
			}
			if err := s.StoreTrainingStats(ctx, "run", &statstore.TrainingStats{IterationStats: h}); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Exec(ctx, "UPDATE statstore_training_chunks SET "+d+` WHERE run_id = (SELECT id FROM statstore_runs WHERE name = 'run')`); err != nil {
				t.Fatal(err)
			}
			got, _, err := s.TrainingBuckets(ctx, "run", statstore.BucketOptions{Buckets: 2})
			want, _, _ := statstore.BucketTraining(h, statstore.BucketOptions{Buckets: 2})
			var ce *statstore.CorruptError
			if !errors.As(err, &ce) && fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("got %v, %v; want a corruption error or the right buckets", got, err)
			}
		})
	}
}
