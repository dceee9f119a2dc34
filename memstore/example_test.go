package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/memstore"
)

// A training run logs stats, is resumed from an earlier checkpoint, and
// logs on: the store appends what is new and overwrites on the resume.
func Example() {
	ctx := context.Background()
	// The clock dates each run's last write (RunInfo.LastWrite).
	clock := func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }
	s := memstore.NewWithClock(nil, clock)
	defer s.Close()

	stats := func(iters ...int) *statstore.TrainingStats {
		t := &statstore.TrainingStats{}
		for _, it := range iters {
			_ = t.AddIterationStats(statstore.TrainingIterationStats{Iteration: it, Loss: 1 / float64(it+1)})
		}
		return t
	}
	_ = s.StoreTrainingStats(ctx, "run", stats(0, 10, 20))
	_ = s.StoreTrainingStats(ctx, "run", stats(0, 10, 20, 30, 40)) // appends 30 and 40
	runs, _ := s.ListRuns(ctx)
	fmt.Printf("%+v\n", runs[0])
	_ = s.StoreTrainingStats(ctx, "run", stats(0, 10)) // resumed at 10: overwrites
	got, _ := s.RetrieveTrainingStats(ctx, "run")
	fmt.Println(got.TrainedUntil(), got.Len())
	// Output:
	// {Run:run TrainedUntil:41 TrainingIterations:5 ValidatedUntil:0 ValidationIterations:0 LastWrite:2026-03-01 12:00:00 +0000 UTC}
	// 11 2
}

// A run deleted softly: gone from the listing, its name free, and back
// from the trash under another name.
func ExampleStore_TrashRun() {
	ctx := context.Background()
	s := memstore.New(nil)
	defer s.Close()
	_ = s.StoreTrainingStats(ctx, "run", &statstore.TrainingStats{IterationStats: []statstore.TrainingIterationStats{{Iteration: 0, Loss: 1}}})
	e, _ := s.TrashRun(ctx, "run")
	runs, _ := s.ListRuns(ctx)
	fmt.Println(e.Run, e.TrainingIterations, len(runs))
	_ = s.StoreTrainingStats(ctx, "run", &statstore.TrainingStats{IterationStats: []statstore.TrainingIterationStats{{Iteration: 5, Loss: 2}}})
	_, err := s.RestoreRun(ctx, e.ID, "")
	fmt.Println(errors.Is(err, statstore.ErrRunExists))
	name, _ := s.RestoreRun(ctx, e.ID, "run_old")
	runs, _ = s.ListRuns(ctx)
	fmt.Println(name, len(runs))
	// Output:
	// run 1 0
	// true
	// run_old 2
}
