package labeled_test

import (
	"errors"
	"fmt"
	"math"

	"github.com/statstore/statstore/labeled"
)

// Training losses as a 1-D array along "iterations".
func ExampleNew() {
	losses, err := labeled.New([]float64{0.1, 0.2, 0.3},
		labeled.Dim{Name: "iterations", Coords: []any{0, 1, 2}})
	if err != nil {
		panic(err)
	}
	fmt.Println(losses)
	// Output:
	// <labeled.Array (iterations: 3)>
	// iterations  value
	// 0           0.1
	// 1           0.2
	// 2           0.3
}

// Errors name the problem and wrap a sentinel for errors.Is.
func ExampleNew_error() {
	_, err := labeled.New([]float64{1, 2, 3},
		labeled.Dim{Name: "iterations", Coords: []any{0, 1}})
	fmt.Println(err)
	fmt.Println(errors.Is(err, labeled.ErrShape))
	// Output:
	// labeled: got 3 values for shape [2] (2 values): shape mismatch
	// true
}

// The best iteration for each criterion: the iteration label of the
// largest score. NaN scores (iterations not validated) are skipped.
func ExampleArray_IdxMax() {
	nan := math.NaN()
	scores, err := labeled.New([]float64{
		0.5, 0.9, // iteration 1000
		nan, 0.7, // iteration 2000
		0.8, 0.7, // iteration 3000
	},
		labeled.Dim{Name: "iterations", Coords: []any{1000, 2000, 3000}},
		labeled.Dim{Name: "criteria", Coords: []any{"voi", "f1"}},
	)
	if err != nil {
		panic(err)
	}
	best, err := scores.IdxMax("iterations")
	if err != nil {
		panic(err)
	}
	fmt.Println(best)
	it, ok := best.At(1)
	fmt.Println(it, ok)
	// Output:
	// <labeled.Labels (criteria: 2)>
	// criteria  label
	// voi       3000
	// f1        1000
	// 1000 true
}

// Select one criterion, then take the best score over iterations. The
// selected criterion stays as a scalar coordinate.
func ExampleArray_Sel() {
	scores, err := labeled.New([]float64{
		0.5, 0.9,
		0.6, 0.7,
		0.8, 0.7,
	},
		labeled.Dim{Name: "iterations", Coords: []any{1000, 2000, 3000}},
		labeled.Dim{Name: "criteria", Coords: []any{"voi", "f1"}},
	)
	if err != nil {
		panic(err)
	}
	voi, err := scores.Sel("criteria", "voi")
	if err != nil {
		panic(err)
	}
	best, err := voi.Max("iterations")
	if err != nil {
		panic(err)
	}
	fmt.Println(best)
	v, _ := best.Item()
	c, _ := best.Scalar("criteria")
	fmt.Println(c, v)

	_, err = scores.Sel("criteria", "iou")
	fmt.Println(err)
	// Output:
	// <labeled.Array ()>
	// scalar coords: criteria=voi
	// value
	// 0.8
	// voi 0.8
	// labeled: Sel: dimension "criteria" has no label "iou" (string): invalid coordinate label
}

// ArgMax gives positions instead of labels; -1 marks an all-NaN slice.
func ExampleArray_ArgMax() {
	nan := math.NaN()
	a, err := labeled.New([]float64{1, 3, 3, nan, nan, nan},
		labeled.Dim{Name: "datasets", Coords: []any{"train", "val"}},
		labeled.Dim{Name: "iterations", Coords: []any{0, 1, 2}},
	)
	if err != nil {
		panic(err)
	}
	pos, err := a.ArgMax("iterations")
	if err != nil {
		panic(err)
	}
	fmt.Println(pos.Values())
	// Output:
	// [1 -1]
}

// Per-dataset arrays stacked along a new last dimension.
func ExampleStack() {
	iters := labeled.Dim{Name: "iterations", Coords: []any{100, 200}}
	train, _ := labeled.New([]float64{0.5, 0.6}, iters)
	val, _ := labeled.New([]float64{0.4, 0.3}, iters)
	both, err := labeled.Stack(labeled.Dim{Name: "datasets", Coords: []any{"train", "val"}}, train, val)
	if err != nil {
		panic(err)
	}
	fmt.Println(both)
	// Output:
	// <labeled.Array (iterations: 2, datasets: 2)>
	// iterations  datasets  value
	// 100         train     0.5
	// 100         val       0.4
	// 200         train     0.6
	// 200         val       0.3
}
