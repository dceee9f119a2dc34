package statstore_test

import (
	"context"
	"fmt"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/memstore"
)

// A dashboard polling a run reads its history into the same slice each
// time: after the first read, no new memory is needed.
func ExampleAppendTrainingStats() {
	ctx := context.Background()
	s := memstore.New(nil)
	stats := &statstore.TrainingStats{}
	for i := range 3 {
		_ = stats.AddIterationStats(statstore.TrainingIterationStats{Iteration: i, Loss: 1 / float64(i+1), Time: 0.1})
	}
	_ = s.StoreTrainingStats(ctx, "run", stats)

	var buf []statstore.TrainingIterationStats
	for range 2 {
		var err error
		buf, err = statstore.AppendTrainingStats(ctx, s, "run", buf[:0])
		if err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Println(len(buf), "entries, the last at iteration", buf[len(buf)-1].Iteration)
	unknown, _ := statstore.AppendTrainingStats(ctx, s, "nobody", buf[:1])
	fmt.Println(len(unknown), "entry: an unknown run appends nothing")
	// Output:
	// 3 entries, the last at iteration 2
	// 1 entry: an unknown run appends nothing
}
