package statstore_test

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/memstore"
)

// countingStore counts the full-history reads of a store.
type countingStore struct {
	statstore.StatsStore
	fullReads int
}

func (c *countingStore) RetrieveTrainingStats(ctx context.Context, run string) (*statstore.TrainingStats, error) {
	c.fullReads++
	return c.StatsStore.RetrieveTrainingStats(ctx, run)
}

func runInfoOf(t *testing.T, s statstore.StatsStore, run string) *statstore.RunInfo {
	t.Helper()
	infos, err := s.ListRuns(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range infos {
		if i.Run == run {
			return &i
		}
	}
	return nil
}

func syncHistory(from, to int, loss float64) *statstore.TrainingStats {
	var es []statstore.TrainingIterationStats
	for i := from; i < to; i++ {
		es = append(es, statstore.TrainingIterationStats{Iteration: i, Loss: loss + float64(i), Time: 0.1})
	}
	es[len(es)/2].Loss = math.NaN()
	return &statstore.TrainingStats{IterationStats: es}
}

func TestSyncRun(t *testing.T) {
	ctx := context.Background()
	src := &countingStore{StatsStore: memstore.New(nil)}
	dst := memstore.New(nil)
	sync := func() statstore.SyncResult {
		t.Helper()
		r, err := statstore.SyncRun(ctx, src, dst, "r", *runInfoOf(t, src, "r"), runInfoOf(t, dst, "r"))
		if err != nil {
			t.Fatal(err)
		}
		a, _ := src.StatsStore.RetrieveTrainingStats(ctx, "r")
		b, _ := dst.RetrieveTrainingStats(ctx, "r")
		if !a.Equal(b) {
			t.Fatalf("after sync the destination holds %d entries, the source %d", b.Len(), a.Len())
		}
		return r
	}
	if err := src.StoreTrainingStats(ctx, "r", syncHistory(0, 100, 1)); err != nil {
		t.Fatal(err)
	}
	v := &statstore.ValidationScores{Metadata: statstore.GenericMetadata(1, 1, 1), Scores: []statstore.ValidationIterationScores{{Iteration: 50, Scores: [][][]float64{{{0.5}}}}}}
	if err := src.StoreValidationIterationScores(ctx, "r", v); err != nil {
		t.Fatal(err)
	}
	if r := sync(); r.Copied != 100 || !slices.Equal(r.ValidationMerge.Inserted, []int{50}) {
		t.Errorf("first sync: %+v, want 100 copied and 50 inserted", r)
	}
	// Training went on: only the new entries travel.
	if err := src.StoreTrainingStats(ctx, "r", syncHistory(0, 130, 1)); err != nil {
		t.Fatal(err)
	}
	src.fullReads = 0
	if r := sync(); r.Appended != 30 || r.Copied != 0 || src.fullReads != 0 || r.ValidationMerge.Changed() {
		t.Errorf("after training on: %+v, %d full reads; want 30 appended, none read whole", r, src.fullReads)
	}
	if r := sync(); !r.Skipped {
		t.Errorf("nothing new: %+v, want skipped", r)
	}
	// Re-validated at 50: the merge replaces it.
	v.Scores[0].Scores[0][0][0] = 0.7
	if err := src.StoreValidationIterationScores(ctx, "r", v); err != nil {
		t.Fatal(err)
	}
	if r := sync(); !slices.Equal(r.ValidationMerge.Replaced, []int{50}) {
		t.Errorf("re-validation: %+v", r)
	}
	// Resumed from 80 with other losses and trained past the end: copied whole.
	for _, until := range []int{80, 150} {
		if err := src.StoreTrainingStats(ctx, "r", syncHistory(0, until, 2)); err != nil {
			t.Fatal(err)
		}
	}
	if r := sync(); r.Copied != 150 || r.Appended != 0 {
		t.Errorf("after a rewind: %+v, want 150 copied", r)
	}
	// A source whose history starts past the destination's: the stored one goes.
	other := memstore.New(nil)
	if err := other.StoreTrainingStats(ctx, "r", syncHistory(500, 600, 3)); err != nil {
		t.Fatal(err)
	}
	if r, err := statstore.SyncRun(ctx, other, dst, "r", *runInfoOf(t, other, "r"), runInfoOf(t, dst, "r")); err != nil || r.Copied != 100 {
		t.Fatalf("disjoint histories: %+v %v", r, err)
	}
	a, _ := other.RetrieveTrainingStats(ctx, "r")
	b, _ := dst.RetrieveTrainingStats(ctx, "r")
	if !a.Equal(b) {
		t.Errorf("disjoint histories: the destination holds %d entries from %d, want the source's 100", b.Len(), b.IterationStats[0].Iteration)
	}
}
