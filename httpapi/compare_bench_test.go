package httpapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/filestore"
)

// BenchmarkCompareTraining measures the compare view's loss request for 100
// runs of 100,000 iterations on the file store at 1,000 points per run: one
// batched POST /api/v1/compare/training against the baseline of one GET
// per run (what the dashboard sent before), both through a real server.
// Compare the two in one run: their ratio is the figure.
func BenchmarkCompareTraining(b *testing.B) {
	const runs, iters = 100, 100_000
	store, err := filestore.Open(b.TempDir(), filestore.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	names := make([]string, runs)
	entries := make([]statstore.TrainingIterationStats, iters)
	for r := range names {
		names[r] = fmt.Sprintf("bench_%03d__%d", r/5, r%5)
		for i := range entries {
			entries[i] = statstore.TrainingIterationStats{Iteration: i, Loss: 1 / float64(i+r+1), Time: 0.2}
		}
		if err := store.StoreTrainingStats(ctx, names[r], &statstore.TrainingStats{IterationStats: entries}); err != nil {
			b.Fatal(err)
		}
	}
	ts := startServerOver(b, store, ServerOptions{})
	hc := ts.http.Client()
	drain := func(resp *http.Response, err error) {
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d, %v", resp.StatusCode, err)
		}
	}
	body := `{"runs": ["` + strings.Join(names, `","`) + `"], "max_points": 1000}`
	// Warm: the store has read every run before (the file store maps a
	// file on its second read), as a dashboard's store has.
	for range 3 {
		drain(hc.Post(ts.http.URL+"/api/v1/compare/training", "application/json", strings.NewReader(body)))
	}
	b.Run("batched", func(b *testing.B) {
		for b.Loop() {
			drain(hc.Post(ts.http.URL+"/api/v1/compare/training", "application/json", strings.NewReader(body)))
		}
	})
	b.Run("per-run", func(b *testing.B) {
		for b.Loop() {
			for _, r := range names {
				req, _ := http.NewRequest(http.MethodGet, ts.http.URL+"/api/v1/runs/"+r+"/training?max_points=1000", nil)
				req.Header.Set("Accept", TrainingColumnsMediaType)
				drain(hc.Do(req))
			}
		}
	})
}
