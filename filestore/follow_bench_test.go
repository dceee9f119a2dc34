package filestore

import (
	"context"
	"fmt"
	"testing"

	"github.com/statstore/statstore/internal/dirwatch"
	"github.com/statstore/statstore/internal/eventhub"
	"github.com/statstore/statstore/storetest"
)

// BenchmarkWatchLook measures one polling look at a store of 1,000 runs
// where nothing changed (a stat per file), against ListRuns (which reads
// each run's ends): the ratio is the cost of following by polling.
func BenchmarkWatchLook(b *testing.B) {
	s, err := Open(b.TempDir(), Options{NoSync: true, Watch: "poll"})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	m := storetest.Metadata()
	for i := range 1000 {
		run := fmt.Sprintf("run_%04d", i)
		if err := s.StoreTrainingStats(ctx, run, storetest.Training(storetest.Iters(0, 100, 1)...)); err != nil {
			b.Fatal(err)
		}
		if err := s.StoreValidationIterationScores(ctx, run, storetest.Scores(m, 10, 20)); err != nil {
			b.Fatal(err)
		}
	}
	// The follower's state without its goroutine: this benchmark looks.
	s.follow.hub, s.follow.runs = eventhub.New(0), map[string]runEnds{}
	defer s.follow.hub.Close()
	s.look(ctx, dirwatch.Trigger{All: true}, false)
	if len(s.follow.runs) != 1000 {
		b.Fatalf("the follower sees %d runs", len(s.follow.runs))
	}
	b.Run("look", func(b *testing.B) {
		for b.Loop() {
			s.look(ctx, dirwatch.Trigger{All: true}, true)
		}
	})
	b.Run("ListRuns", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.ListRuns(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
