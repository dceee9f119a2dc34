package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/statstore/statstore"
)

// TestRunSummariesColumns asks for a few columns: each run holds only
// those keys (and run), best and tags only the lines and tags asked for.
func TestRunSummariesColumns(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	ctx := context.Background()
	meta := statstore.Metadata{Datasets: []string{"val", "test"}, Parameters: statstore.ThresholdParameters(0.5),
		EvaluationScores: []statstore.Criterion{{Name: "dice", HigherIsBetter: true}, {Name: "voi"}}}
	if err := ts.store.StoreTrainingStats(ctx, "unet__2", mustTraining(t, 0, 1, 2)); err != nil {
		t.Fatal(err)
	}
	v := &statstore.ValidationScores{Metadata: meta, Scores: []statstore.ValidationIterationScores{{Iteration: 2, Scores: [][][]float64{{{0.5, 1}}, {{0.6, 2}}}}}}
	if err := ts.store.StoreValidationIterationScores(ctx, "unet__2", v); err != nil {
		t.Fatal(err)
	}
	code, body := ts.do(t, ts.request(t, http.MethodGet, "/api/v1/runs?columns=trained_until,best.val.dice,repetition,tag.arch,min_loss", "", ""))
	if code != http.StatusOK {
		t.Fatalf("got %d %s, want 200", code, body)
	}
	var page struct {
		Runs  []map[string]json.RawMessage `json:"runs"`
		Total int                          `json:"total"`
	}
	if err := json.Unmarshal([]byte(body), &page); err != nil || len(page.Runs) != 1 || page.Total != 1 {
		t.Fatalf("got %s (%v), want one run", body, err)
	}
	r := page.Runs[0]
	var keys []string
	for k := range r {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"best", "min_loss", "min_loss_iteration", "repetition", "run", "tags", "trained_until"}
	if !slices.Equal(keys, want) {
		t.Errorf("keys: got %q, want %q (%s)", keys, want, body)
	}
	var best []statstore.Best
	if err := json.Unmarshal(r["best"], &best); err != nil || len(best) != 1 || best[0].Dataset != "val" || best[0].Criterion != "dice" || best[0].Value != 0.5 {
		t.Errorf("best: got %s, want the val dice line alone", r["best"])
	}
	if string(r["repetition"]) != "2" || string(r["trained_until"]) != "3" || string(r["tags"]) != "{}" {
		t.Errorf("got repetition %s, trained_until %s, tags %s; want 2, 3, {}", r["repetition"], r["trained_until"], r["tags"])
	}
}
