package main

import (
	"context"
	"testing"
	"time"
	"os"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/filestore"
)

func TestZZSub(t *testing.T) {
	if os.Getenv("ZZ_SUB") == "" { t.Skip() }
	ctx := context.Background()
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		dir := t.TempDir()
		s, _ := filestore.Open(dir, filestore.Options{NoSync: true})
		st := &statstore.TrainingStats{}
		for i := range n {
			st.IterationStats = append(st.IterationStats, statstore.TrainingIterationStats{Iteration: i, Loss: 1, Time: 1})
			if (i+1)%1000 == 0 {
				if err := s.StoreTrainingStats(ctx, "r", &statstore.TrainingStats{IterationStats: st.IterationStats[i+1-1000:]}); err != nil { t.Fatal(err) }
			}
		}
		s.Close()
		var best time.Duration
		for k := range 30 {
			s, _ := filestore.Open(dir, filestore.Options{ReadOnly: true})
			t0 := time.Now()
			if _, err := s.SubsampleTraining(ctx, "r", statstore.SubsampleOptions{MaxPoints: 1000}); err != nil { t.Fatal(err) }
			d := time.Since(t0)
			if k == 0 || d < best { best = d }
			s.Close()
		}
		t.Logf("n=%d best subsample %v", n, best)
	}
}
