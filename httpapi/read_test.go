package httpapi

import (
	"context"
	"encoding/json"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

// TestTrainingQuery checks GET .../training's range and subsample
// parameters against the reference statstore.Subsample.
func TestTrainingQuery(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	var iters []int
	for i := 0; i < 5000; i += 3 {
		iters = append(iters, i)
	}
	stats := mustTraining(t, iters...)
	stats.IterationStats[100].Loss = 1e9 // a spike minmax must keep
	if err := ts.store.StoreTrainingStats(context.Background(), "r", stats); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query string
		want  func() ([]statstore.TrainingIterationStats, error)
	}{
		{"", func() ([]statstore.TrainingIterationStats, error) { return stats.IterationStats, nil }},
		{"from=10&to=40", func() ([]statstore.TrainingIterationStats, error) {
			return statstore.Subsample(stats.IterationStats, statstore.SubsampleOptions{MaxPoints: statstore.MaxMaxPoints, Range: statstore.IterationRange{From: 10, To: 40}})
		}},
		{"from=4990", func() ([]statstore.TrainingIterationStats, error) { return stats.From(4990), nil }},
		{"max_points=50", func() ([]statstore.TrainingIterationStats, error) {
			return statstore.Subsample(stats.IterationStats, statstore.SubsampleOptions{MaxPoints: 50})
		}},
		{"mode=minmax", func() ([]statstore.TrainingIterationStats, error) {
			return statstore.Subsample(stats.IterationStats, statstore.SubsampleOptions{Mode: statstore.SubsampleMinMax})
		}},
		{"max_points=20&mode=minmax&from=100&to=1000", func() ([]statstore.TrainingIterationStats, error) {
			return statstore.Subsample(stats.IterationStats, statstore.SubsampleOptions{MaxPoints: 20, Mode: statstore.SubsampleMinMax, Range: statstore.IterationRange{From: 100, To: 1000}})
		}},
	}
	for _, tt := range tests {
		t.Run("query="+tt.query, func(t *testing.T) {
			want, err := tt.want()
			if err != nil {
				t.Fatal(err)
			}
			status, body := ts.do(t, ts.request(t, "GET", "/api/v1/runs/r/training?"+tt.query, "", ""))
			if status != 200 {
				t.Fatalf("got %d %s", status, body)
			}
			decode := decodeTraining
			if strings.Contains(tt.query, "max_points") || strings.Contains(tt.query, "mode") {
				decode = func(data []byte) (*statstore.TrainingStats, error) {
					r, err := decodeSubsample(data)
					if err != nil {
						return nil, err
					}
					return &statstore.TrainingStats{IterationStats: r.Points}, nil
				}
			}
			got, err := decode([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(&statstore.TrainingStats{IterationStats: want}) {
				t.Errorf("got %d entries, want %d (%v...)", got.Len(), len(want), want[:min(3, len(want))])
			}
		})
	}
}

// TestFloatsOnTheWire checks that answers carry non-finite floats as strings
// and accept Python's bare tokens.
func TestFloatsOnTheWire(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	body := `{"iteration_stats": [{"iteration": 0, "loss": NaN, "time": Infinity}, {"iteration": 1, "loss": -Infinity, "time": 0.25}, {"iteration": 2, "loss": "NaN:0xfff8000000000000", "time": 1}]}`
	if status, resp := ts.do(t, ts.request(t, "POST", "/api/v1/runs/r/training", body, "")); status != 204 {
		t.Fatalf("POST with Python tokens: %d %s", status, resp)
	}
	tests := []struct {
		query, want string
	}{
		{"", `{"run":"r","iteration_stats":[{"iteration":0,"loss":"NaN","time":"Infinity"},{"iteration":1,"loss":"-Infinity","time":0.25},{"iteration":2,"loss":"NaN","time":1}]}` + "\n"},
		{"?nan=exact", `{"run":"r","iteration_stats":[{"iteration":0,"loss":"NaN","time":"Infinity"},{"iteration":1,"loss":"-Infinity","time":0.25},{"iteration":2,"loss":"NaN:0xfff8000000000000","time":1}]}` + "\n"},
	}
	for _, tt := range tests {
		t.Run("query="+tt.query, func(t *testing.T) {
			if status, got := ts.do(t, ts.request(t, "GET", "/api/v1/runs/r/training"+tt.query, "", "")); status != 200 || got != tt.want {
				t.Errorf("got %d %s, want 200 %s", status, got, tt.want)
			}
		})
	}
}

// TestNonFiniteOnTheWire checks that a subsample's answer carries the
// non-finite losses of its range, those it skips too, and that the client
// reads them back.
func TestNonFiniteOnTheWire(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	iters := make([]int, 1000)
	for i := range iters {
		iters[i] = i
	}
	stats := mustTraining(t, iters...)
	stats.IterationStats[401].Loss = math.NaN()
	stats.IterationStats[402].Loss = math.NaN()
	stats.IterationStats[600].Loss = math.Inf(1)
	stats.IterationStats[777].Loss = math.Inf(-1)
	if err := ts.store.StoreTrainingStats(context.Background(), "r", stats); err != nil {
		t.Fatal(err)
	}
	const tail = `"non_finite":{"nan":2,"pos_inf":1,"neg_inf":1,"checked":1000,"complete":true,"spans":[` +
		`{"from":401,"to":402,"loss":"NaN","count":2},{"from":600,"to":600,"loss":"Infinity","count":1},{"from":777,"to":777,"loss":"-Infinity","count":1}]}}` + "\n"
	tests := []struct {
		query, tail string
		complete    bool
	}{
		{"max_points=100&mode=stride", tail, true},
		{"max_points=100&mode=minmax", tail, true},
		{"max_points=10&mode=minmax", tail, true},
		// 1000 iterations > FullCheckFactor × 10: only the 10 picked
		// entries (0, 111, …, 999) are checked.
		{"max_points=10&mode=stride", `"non_finite":{"nan":0,"pos_inf":0,"neg_inf":1,"checked":10,"complete":false,"spans":[{"from":777,"to":777,"loss":"-Infinity","count":1}]}}` + "\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			status, body := ts.do(t, ts.request(t, "GET", "/api/v1/runs/r/training?"+tt.query, "", ""))
			if status != 200 || !strings.HasSuffix(body, tt.tail) {
				t.Fatalf("got %d %s, want 200 ending %s", status, body, tt.tail)
			}
			q, _ := url.ParseQuery(tt.query)
			opts := statstore.SubsampleOptions{}
			opts.MaxPoints, _ = strconv.Atoi(q.Get("max_points"))
			if q.Get("mode") == "minmax" {
				opts.Mode = statstore.SubsampleMinMax
			}
			rep, err := ts.client(t, ClientOptions{}).SubsampleTrainingReport(context.Background(), "r", opts)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Complete != tt.complete || len(rep.NonFinite) == 0 || !math.IsInf(rep.NonFinite[len(rep.NonFinite)-1].Loss, -1) || len(rep.Points) > opts.MaxPoints {
				t.Errorf("client read %+v", rep)
			}
		})
	}
	// A plain range answer has no "non_finite".
	if _, body := ts.do(t, ts.request(t, "GET", "/api/v1/runs/r/training?from=400&to=410", "", "")); strings.Contains(body, "non_finite") {
		t.Errorf("range answer %s has non_finite, want none", body)
	}
}

// TestBest checks the best report's values and shape.
func TestBest(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	meta := statstore.Metadata{
		Datasets:   []string{"a", "b"},
		Parameters: []statstore.ParameterSet{{ID: 0, Values: statstore.ParameterValues{{Name: "threshold", Value: 0.5}}}, {ID: 1, Values: statstore.ParameterValues{{Name: "threshold", Value: 0.7}}}},
		EvaluationScores: []statstore.Criterion{
			{Name: "dice", HigherIsBetter: true},
			{Name: "voi", HigherIsBetter: false},
			{Name: "undefined", HigherIsBetter: true},
		},
	}
	nan := math.NaN()
	scores := &statstore.ValidationScores{Metadata: meta, Scores: []statstore.ValidationIterationScores{
		// [dataset][parameter set][dice, voi, undefined]
		{Iteration: 100, Scores: [][][]float64{{{0.5, 2, nan}, {0.6, 1, nan}}, {{0.1, 3, nan}, {0.2, 4, nan}}}},
		{Iteration: 200, Scores: [][][]float64{{{0.4, 0.5, nan}, {0.3, 3, nan}}, {{0.9, 5, nan}, {nan, 2, nan}}}},
	}}
	if err := ts.store.StoreValidationIterationScores(context.Background(), "r", scores); err != nil {
		t.Fatal(err)
	}
	status, body := ts.do(t, ts.request(t, "GET", "/api/v1/runs/r/best", "", ""))
	if status != 200 {
		t.Fatalf("got %d %s", status, body)
	}
	var got []struct {
		Dataset          *string `json:"dataset"`
		MeanOverDatasets bool    `json:"mean_over_datasets"`
		Criterion        string  `json:"criterion"`
		HigherIsBetter   bool    `json:"higher_is_better"`
		Iteration        *int    `json:"iteration"`
		Parameters       *string `json:"parameters"`
		Value            any     `json:"value"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	type row struct {
		dataset, criterion string
		iteration          int // -1: null
		parameters         string
		value              any
	}
	want := []row{
		{"a", "dice", 100, "threshold_0.7", 0.6},
		{"a", "voi", 200, "threshold_0.5", 0.5},
		{"a", "undefined", -1, "", "NaN"},
		{"b", "dice", 200, "threshold_0.5", 0.9},
		{"b", "voi", 200, "threshold_0.7", 2.0},
		{"b", "undefined", -1, "", "NaN"},
		{"(mean)", "dice", 200, "threshold_0.5", 0.65},
		{"(mean)", "voi", 100, "threshold_0.5", 2.5}, // tie with threshold_0.7: the first parameter set
		{"(mean)", "undefined", -1, "", "NaN"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d: %s", len(got), len(want), body)
	}
	for i, w := range want {
		g := got[i]
		ds, it, params := "(mean)", -1, ""
		if g.Dataset != nil {
			ds = *g.Dataset
		}
		if g.Iteration != nil {
			it = *g.Iteration
		}
		if g.Parameters != nil {
			params = *g.Parameters
		}
		if g.MeanOverDatasets != (g.Dataset == nil) {
			t.Errorf("line %d: mean_over_datasets %v with dataset %v", i, g.MeanOverDatasets, g.Dataset)
		}
		gv := g.Value
		if f, ok := gv.(float64); ok {
			gv = math.Round(f*1e9) / 1e9
		}
		if ds != w.dataset || g.Criterion != w.criterion || it != w.iteration || params != w.parameters || gv != w.value {
			t.Errorf("line %d: got %s %s it=%d %q %v, want %s %s it=%d %q %v", i, ds, g.Criterion, it, params, gv, w.dataset, w.criterion, w.iteration, w.parameters, w.value)
		}
	}
	t.Run("filters", func(t *testing.T) {
		tests := []struct {
			query  string
			status int
			lines  int
		}{
			{"criterion=dice", 200, 3},
			{"dataset=b", 200, 3},
			{"criterion=voi&dataset=a", 200, 1},
			{"criterion=nope", 404, 0},
			{"dataset=nope", 404, 0},
		}
		for _, tt := range tests {
			status, body := ts.do(t, ts.request(t, "GET", "/api/v1/runs/r/best?"+tt.query, "", ""))
			var lines []json.RawMessage
			json.Unmarshal([]byte(body), &lines)
			if status != tt.status || len(lines) != tt.lines {
				t.Errorf("?%s: got %d with %d lines, want %d with %d: %s", tt.query, status, len(lines), tt.status, tt.lines, body)
			}
		}
	})
}

// TestMetrics checks that /metrics counts requests by route and status,
// observes latencies and counts stored iterations.
func TestMetrics(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	c := ts.client(t, ClientOptions{})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if err := c.StoreTrainingStats(ctx, "r", mustTraining(t, 10*i, 10*i+1)); err != nil {
			t.Fatal(err)
		}
	}
	backwards := &statstore.TrainingStats{IterationStats: []statstore.TrainingIterationStats{{Iteration: 5}, {Iteration: 4}}}
	if err := c.StoreTrainingStats(ctx, "r", backwards); err == nil {
		t.Fatal("storing out of order succeeded")
	}
	if _, err := c.ListRuns(ctx); err != nil {
		t.Fatal(err)
	}
	status, body := ts.do(t, ts.request(t, "GET", "/metrics", "", ""))
	if status != 200 {
		t.Fatalf("GET /metrics: %d", status)
	}
	want := []string{
		`statstore_http_requests_total{route="POST /api/v1/runs/{run}/training",method="POST",status="204"} 3`,
		`statstore_http_requests_total{route="POST /api/v1/runs/{run}/training",method="POST",status="422"} 1`,
		`statstore_http_requests_total{route="GET /api/v1/runs",method="GET",status="200"} 1`,
		`statstore_http_request_duration_seconds_count{route="POST /api/v1/runs/{run}/training"} 4`,
		`statstore_http_request_duration_seconds_bucket{route="POST /api/v1/runs/{run}/training",le="+Inf"} 4`,
		`statstore_stored_training_iterations_total 6`,
		`statstore_event_streams 0`,
		`# TYPE statstore_http_request_duration_seconds histogram`,
	}
	for _, w := range want {
		if !strings.Contains(body, w+"\n") {
			t.Errorf("metrics lack %q:\n%s", w, body)
		}
	}
	// Every sample line is "name{labels} value" or "name value".
	sample := regexp.MustCompile(`^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.e+-]+$`)
	for _, l := range strings.Split(strings.TrimSpace(body), "\n") {
		if !strings.HasPrefix(l, "# ") && !sample.MatchString(l) {
			t.Errorf("malformed metrics line %q", l)
		}
	}
	resp, err := ts.http.Client().Get(ts.http.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q, want the Prometheus text format", ct)
	}
}
