package httpapi

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/memstore"
	"github.com/statstore/statstore/storetest"
)

// decideServer serves one run "r": datasets a and b, thresholds 0.5 and
// 0.7, dice (higher is better, store_best) and voi (lower is better).
func decideServer(t *testing.T) *testServer {
	t.Helper()
	ts := startServer(t, ServerOptions{})
	meta := statstore.Metadata{
		Datasets:   []string{"a", "b"},
		Parameters: statstore.ThresholdParameters(0.5, 0.7),
		EvaluationScores: []statstore.Criterion{
			{Name: "dice", HigherIsBetter: true, StoreBest: true},
			{Name: "voi", HigherIsBetter: false},
		},
	}
	nan := math.NaN()
	scores := &statstore.ValidationScores{Metadata: meta, Scores: []statstore.ValidationIterationScores{
		{Iteration: 100, Scores: [][][]float64{{{0.5, 2}, {0.6, 1}}, {{0.1, 3}, {0.2, 4}}}},
		{Iteration: 200, Scores: [][][]float64{{{0.4, 0.5}, {0.3, 3}}, {{0.9, 5}, {nan, 2}}}},
		{Iteration: 300, Scores: [][][]float64{{{0.1, 9}, {0.1, 9}}, {{0.1, 9}, {0.1, 9}}}},
	}}
	if err := ts.store.StoreValidationIterationScores(context.Background(), "r", scores); err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestKeepRoute(t *testing.T) {
	ts := decideServer(t)
	status, body := ts.do(t, ts.request(t, "GET", "/api/v1/runs/r/keep?last=0", "", ""))
	if status != 200 {
		t.Fatalf("got %d %s", status, body)
	}
	var plan struct {
		Run         string   `json:"run"`
		Criteria    []string `json:"criteria"`
		Kept        int      `json:"kept"`
		Prunable    int      `json:"prunable"`
		Checkpoints []struct {
			Iteration int  `json:"iteration"`
			Keep      bool `json:"keep"`
		} `json:"checkpoints"`
	}
	if err := json.Unmarshal([]byte(body), &plan); err != nil {
		t.Fatal(err)
	}
	// dice: best on a at 100 (0.6), on b at 200 (0.9), mean over datasets at 200 (0.65).
	if plan.Run != "r" || strings.Join(plan.Criteria, ",") != "dice" || plan.Kept != 2 || plan.Prunable != 1 || plan.Checkpoints[2].Keep {
		t.Errorf("plan %+v", plan)
	}
	status, body = ts.do(t, ts.request(t, "GET", "/api/v1/runs/r/keep?all_criteria=true", "", ""))
	if status != 200 || !strings.Contains(body, `"all_criteria":true`) || !strings.Contains(body, `"kind":"last"`) {
		t.Errorf("all criteria: %d %s", status, body)
	}
	for _, q := range []string{"top=-1", "last=x", "all_criteria=maybe"} {
		if status, body = ts.do(t, ts.request(t, "GET", "/api/v1/runs/r/keep?"+q, "", "")); status != 400 || errorCodeOf(body) != codeInvalidArgument {
			t.Errorf("?%s: %d %s, want 400 invalid_argument", q, status, body)
		}
	}
}

func TestGridRoute(t *testing.T) {
	ts := decideServer(t)
	status, body := ts.do(t, ts.request(t, "GET", "/api/v1/runs/r/grid?dataset=a&criterion=voi", "", ""))
	if status != 200 || !strings.Contains(body, `"best":[1,0,0]`) || !strings.Contains(body, `"axis":"threshold"`) {
		t.Errorf("grid: %d %s", status, body)
	}
	for _, q := range []string{"criterion=voi", "dataset=a", "dataset=z&criterion=voi", "dataset=a&criterion=voi&epsilon=-1"} {
		if status, body = ts.do(t, ts.request(t, "GET", "/api/v1/runs/r/grid?"+q, "", "")); status != 400 {
			t.Errorf("?%s: %d %s, want 400", q, status, body)
		}
	}
	if status, _ = ts.do(t, ts.request(t, "GET", "/api/v1/runs/nothing/grid", "", "")); status != 404 {
		t.Errorf("grid of an unknown run: %d, want 404", status)
	}
}

func TestSelectRoute(t *testing.T) {
	ts := decideServer(t)
	status, body := ts.do(t, ts.request(t, "GET", "/api/v1/runs/r/select?dataset=a&criterion=dice&held_out=b", "", ""))
	if status != 200 {
		t.Fatalf("got %d %s", status, body)
	}
	for _, w := range []string{`"iteration":100,"parameter_id":1,"parameters":"threshold_0.7","value":0.6`,
		`{"dataset":"b","criterion":"dice","higher_is_better":true,"held_out":true,"value":0.2,`} {
		if !strings.Contains(body, w) {
			t.Errorf("select lacks %s: %s", w, body)
		}
	}
	if status, body = ts.do(t, ts.request(t, "GET", "/api/v1/runs/r/select?dataset=a&criterion=nope", "", "")); status != 400 {
		t.Errorf("unknown criterion: %d %s, want 400", status, body)
	}
}

func TestPlanValidationRoute(t *testing.T) {
	ts := decideServer(t) // validated at 100, 200, 300
	status, body := ts.do(t, ts.request(t, "GET", "/api/v1/runs/r/plan-validation?every=50&budget=2", "", ""))
	if status != 200 || !strings.Contains(body, `"current_best":`) || !strings.Contains(body, `"checkpoints":[{"iteration":`) {
		t.Fatalf("got %d %s", status, body)
	}
	var p struct {
		Checkpoints []struct{ Iteration int } `json:"checkpoints"`
	}
	if err := json.Unmarshal([]byte(body), &p); err != nil || len(p.Checkpoints) != 2 {
		t.Errorf("proposal %s (%v), want 2 checkpoints", body, err)
	}
	for _, c := range p.Checkpoints {
		if c.Iteration%50 != 0 || c.Iteration%100 == 0 && c.Iteration != 0 {
			t.Errorf("proposed %d: not an unvalidated multiple of 50", c.Iteration)
		}
	}
	for _, q := range []string{"budget=0", "every=x", "epsilon=-1"} {
		if status, body = ts.do(t, ts.request(t, "GET", "/api/v1/runs/r/plan-validation?"+q, "", "")); status != 400 {
			t.Errorf("?%s: %d %s, want 400", q, status, body)
		}
	}
}

func TestCheckRoutes(t *testing.T) {
	ts := decideServer(t)
	ctx := context.Background()
	entries := make([]statstore.TrainingIterationStats, 1000)
	for i := range entries {
		entries[i] = statstore.TrainingIterationStats{Iteration: i, Loss: 1, Time: 0.1}
	}
	entries[999].Loss = math.NaN()
	if err := ts.store.StoreTrainingStats(ctx, "r", &statstore.TrainingStats{IterationStats: entries}); err != nil {
		t.Fatal(err)
	}
	status, body := ts.do(t, ts.request(t, "GET", "/api/v1/runs/r/check?lag=100", "", ""))
	if status != 200 || !strings.Contains(body, `"run":"r","status":"failure","findings":[{"kind":"non_finite_loss","severity":"failure","iteration":999`) {
		t.Errorf("check: %d %s", status, body)
	}
	status, body = ts.do(t, ts.request(t, "GET", "/api/v1/check", "", ""))
	if status != 200 || !strings.HasPrefix(body, `[{"run":"r","status":"failure"`) {
		t.Errorf("check of every run: %d %s", status, body)
	}
	for _, q := range []string{"factor=0", "factor=x", "lag=-1"} {
		if status, body = ts.do(t, ts.request(t, "GET", "/api/v1/runs/r/check?"+q, "", "")); status != 400 {
			t.Errorf("?%s: %d %s, want 400", q, status, body)
		}
	}
}

// TestCheckStale: ?stale finds a run not written for longer (its last
// write dated by the store's clock), the runs list answers last_write in
// UTC, and a bad duration is refused.
func TestCheckStale(t *testing.T) {
	written := time.Date(2001, 2, 3, 4, 5, 6, 0, time.FixedZone("CET", 3600))
	ts := startServerOver(t, memstore.NewWithClock(nil, func() time.Time { return written }), ServerOptions{})
	if err := ts.store.StoreTrainingStats(context.Background(), "r", storetest.Training(0, 1)); err != nil {
		t.Fatal(err)
	}
	status, body := ts.do(t, ts.request(t, "GET", "/api/v1/runs", "", ""))
	if want := `"last_write":"2001-02-03T03:05:06Z"`; status != 200 || !strings.Contains(body, want) {
		t.Errorf("runs: %d %s, want %s", status, body, want)
	}
	for _, c := range []struct {
		query   string
		stalled bool
	}{{"", false}, {"?stale=0", false}, {"?stale=1h", true}} {
		for _, path := range []string{"/api/v1/runs/r/check", "/api/v1/check"} {
			status, body := ts.do(t, ts.request(t, "GET", path+c.query, "", ""))
			if got := strings.Contains(body, `"kind":"stalled"`); status != 200 || got != c.stalled {
				t.Errorf("%s%s: %d %s, want a stalled finding: %v", path, c.query, status, body, c.stalled)
			}
		}
	}
	for _, q := range []string{"stale=x", "stale=-1h", "stale=5"} {
		if status, body := ts.do(t, ts.request(t, "GET", "/api/v1/runs/r/check?"+q, "", "")); status != 400 {
			t.Errorf("?%s: %d %s, want 400", q, status, body)
		}
	}
}
