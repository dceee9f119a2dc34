package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

func TestRunSummariesAPI(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	ctx := context.Background()
	meta := statstore.Metadata{Datasets: []string{"val"}, Parameters: statstore.ThresholdParameters(0.5),
		EvaluationScores: []statstore.Criterion{{Name: "dice", HigherIsBetter: true}}}
	for i, run := range []string{"unet__1", "unet__2", "fcn__1"} {
		if err := ts.store.StoreTrainingStats(ctx, run, mustTraining(t, 0, 1, 2)); err != nil {
			t.Fatal(err)
		}
		v := &statstore.ValidationScores{Metadata: meta, Scores: []statstore.ValidationIterationScores{{Iteration: 2, Scores: [][][]float64{{{0.5 + 0.1*float64(i)}}}}}}
		if err := ts.store.StoreValidationIterationScores(ctx, run, v); err != nil {
			t.Fatal(err)
		}
	}
	// Without the new parameters: the plain list, as before.
	code, body := ts.do(t, ts.request(t, http.MethodGet, "/api/v1/runs", "", ""))
	if code != http.StatusOK || strings.Contains(body, `"total"`) || !strings.Contains(body, `"run":"fcn__1"`) {
		t.Errorf("GET /api/v1/runs: got %d %s, want 200 and the plain list", code, body)
	}
	code, body = ts.do(t, ts.request(t, http.MethodGet, "/api/v1/runs?filter=name~unet&sort=-best.val.dice&limit=1", "", ""))
	var page runPageWire
	if code != http.StatusOK || json.Unmarshal([]byte(body), &page) != nil || page.Total != 2 || len(page.Runs) != 1 || page.Runs[0].Run != "unet__2" {
		t.Errorf("filtered, sorted, limited: got %d %s, want unet__2 of 2", code, body)
	}
	for _, q := range []string{"filter=nope=1", "sort=-x", "limit=-1", "offset=a", "columns=run,bogus", "best=maybe"} {
		code, body := ts.do(t, ts.request(t, http.MethodGet, "/api/v1/runs?"+q, "", ""))
		if code != http.StatusBadRequest {
			t.Errorf("?%s: got %d %s, want 400", q, code, body)
		}
	}
	c := ts.client(t, ClientOptions{})
	lb, err := c.Leaderboard(ctx, nil, statstore.LeaderboardOptions{Criterion: "dice"})
	if err != nil {
		t.Fatal(err)
	}
	if len(lb.Boards) != 1 || len(lb.Boards[0].Rows) != 2 || lb.Boards[0].Rows[0].Group != "fcn" || lb.Boards[0].Rows[1].Count != 2 {
		t.Errorf("leaderboard: got %+v, want fcn (0.7) above unet (2 runs)", lb)
	}
	if code, body := ts.do(t, ts.request(t, http.MethodGet, "/api/v1/leaderboard?dataset=nope", "", "")); code != http.StatusNotFound {
		t.Errorf("leaderboard of an unknown dataset: got %d %s, want 404", code, body)
	}
}
