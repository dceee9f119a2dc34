package dacapo_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/statstore/statstore"
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

// DaCapo stores no criteria. Their count names the evaluator only when one
// DaCapo evaluator has it; otherwise nothing is guessed.
func ExampleInferPreset() {
	for _, n := range []int{21, 3, 4} {
		preset, err := dacapo.InferPreset(n)
		fmt.Printf("%d: %q %v\n", n, preset, errors.Is(err, statstore.ErrUnknownDirection))
	}
	// Output:
	// 21: "binary_segmentation" false
	// 3: "instance" false
	// 4: "" true
}
