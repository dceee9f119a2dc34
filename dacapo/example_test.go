package dacapo_test

import (
	"context"
	"fmt"

	"github.com/statstore/statstore/dacapo"
)

// A directory DaCapo wrote is read in place, read-only: its runs and each
// run's training history, as DaCapo's FileStatsStore would load them.
func ExampleOpen() {
	ctx := context.Background()
	s, err := dacapo.Open("testdata/proto4", dacapo.Options{})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	runs, err := s.ListRuns(ctx)
	if err != nil {
		panic(err)
	}
	for _, r := range runs {
		fmt.Println(r.Run, r.TrainingIterations, r.ValidationIterations)
	}
	// Output:
	// numpy2_ünet 0 2
	// numpy_v1_run 5 3
	// plain_run 7 3
}
