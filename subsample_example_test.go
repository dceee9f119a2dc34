package statstore_test

import (
	"fmt"
	"math"

	"github.com/statstore/statstore"
)

// A stride subsample of 5 points skips the NaN at iteration 3 and the +Inf
// at 5; the report still says where they are.
func ExampleSubsampleReport() {
	var stats []statstore.TrainingIterationStats
	for i := range 9 {
		loss := 1 / float64(i+1)
		switch i {
		case 3:
			loss = math.NaN()
		case 5:
			loss = math.Inf(1)
		}
		stats = append(stats, statstore.TrainingIterationStats{Iteration: i, Loss: loss})
	}
	rep, err := statstore.SubsampleReport(stats, statstore.SubsampleOptions{MaxPoints: 5})
	if err != nil {
		panic(err)
	}
	for i, p := range rep.Points {
		if i > 0 {
			fmt.Print(" ")
		}
		fmt.Print(p.Iteration)
	}
	fmt.Println()
	for _, s := range rep.NonFinite {
		fmt.Printf("%v at %d–%d (%d)\n", s.Loss, s.From, s.To, s.Count)
	}
	fmt.Println(rep.NaN, rep.PosInf, rep.NegInf, rep.Complete)
	// Output:
	// 0 2 4 6 8
	// NaN at 3–3 (1)
	// +Inf at 5–5 (1)
	// 1 1 0 true
}
