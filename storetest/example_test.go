package storetest_test

import (
	"context"
	"fmt"

	"github.com/statstore/statstore/memstore"
	"github.com/statstore/statstore/storetest"
)

// The suite's data: values that tell versions, iterations and positions
// apart, so that a store returning the wrong entry is caught.
func ExampleScoresVersion() {
	meta := storetest.Metadata()
	v := storetest.ScoresVersion(meta, 1, 0, 10)
	fmt.Println(meta.Shape(), len(v.Scores), v.Scores[1].Iteration, v.Scores[1].Scores[1][2][0])
	// Output:
	// [2 3 3] 2 10 1.00001012e+06
}

// DaCapo's in-memory list after a re-validation and a late validation, as
// every store merges it.
func ExampleIterationScores() {
	meta := storetest.Metadata()
	s := memstore.New(nil)
	defer s.Close()
	ctx := context.Background()
	_ = s.StoreValidationIterationScores(ctx, "run", storetest.Scores(meta, 400, 800))
	list := storetest.Scores(meta, 400, 800, 1200)
	list.Scores = append(list.Scores, storetest.IterationScores(meta, 1, 800), storetest.IterationScores(meta, 0, 0))
	merge, err := s.MergeValidationScores(ctx, "run", list)
	fmt.Println(merge, err)
	fmt.Println("re-validated:", merge.Replaced, "inserted:", merge.Inserted)
	// Output:
	// 2 inserted, 1 replaced, 1 unchanged <nil>
	// re-validated: [800] inserted: [0 1200]
}
