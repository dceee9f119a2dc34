package servebench_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/statstore/statstore/httpapi"
	"github.com/statstore/statstore/internal/servebench"
	"github.com/statstore/statstore/memstore"
)

func statstoreServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(httpapi.NewServer(memstore.New(nil), httpapi.ServerOptions{}))
	t.Cleanup(srv.Close)
	return srv
}

func TestStatstoreWorkload(t *testing.T) {
	srv := statstoreServer(t)
	cfg := servebench.Config{Iterations: 2500, PerRequest: 1000, Writers: 4, WriterIterations: 1500, Reads: 2}
	res, err := servebench.Run(context.Background(), servebench.NewStatstore(srv.URL, ""), srv.URL, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 3 || len(res.Reads) != 3 || res.IngestRate <= 0 || res.WritersRate <= 0 || res.P99S < res.P50S {
		t.Errorf("result %+v", res)
	}
	for _, r := range res.Reads {
		if r.Bytes == 0 || r.S <= 0 {
			t.Errorf("read %+v", r)
		}
	}
	if res.Reads[2].Form != servebench.FormBinary || res.Reads[2].Bytes != 16+24*2500 {
		t.Errorf("binary read %+v, want %d bytes", res.Reads[2], 16+24*2500)
	}
}

// fakeMLflow is the part of MLflow's REST API the workload uses, with
// int64 fields as proto3 JSON strings, pages of pageSize, and a switch that
// drops the last metric of every history (a server that loses data).
type fakeMLflow struct {
	mu       sync.Mutex
	runs     map[string]map[string][][2]float64 // run → key → (step, value)
	pageSize int
	lose     bool
}

func (f *fakeMLflow) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.URL.Path {
	case "/api/2.0/mlflow/experiments/create":
		_, _ = w.Write([]byte(`{"experiment_id":"7"}`))
	case "/api/2.0/mlflow/runs/create":
		id := "run" + strconv.Itoa(len(f.runs))
		f.runs[id] = map[string][][2]float64{}
		_, _ = w.Write([]byte(`{"run":{"info":{"run_id":"` + id + `"}}}`))
	case "/api/2.0/mlflow/runs/log-batch":
		var doc struct {
			RunID   string `json:"run_id"`
			Metrics []struct {
				Key   string  `json:"key"`
				Value float64 `json:"value"`
				Step  int     `json:"step"`
			} `json:"metrics"`
		}
		if err := json.NewDecoder(r.Body).Decode(&doc); err != nil || len(doc.Metrics) > servebench.MLflowBatchMetrics || f.runs[doc.RunID] == nil {
			http.Error(w, `{"error_code":"INVALID_PARAMETER_VALUE"}`, http.StatusBadRequest)
			return
		}
		for _, m := range doc.Metrics {
			f.runs[doc.RunID][m.Key] = append(f.runs[doc.RunID][m.Key], [2]float64{float64(m.Step), m.Value})
		}
		_, _ = w.Write([]byte(`{}`))
	case "/api/2.0/mlflow/metrics/get-history":
		h := f.runs[r.URL.Query().Get("run_id")][r.URL.Query().Get("metric_key")]
		if f.lose && len(h) > 0 {
			h = h[:len(h)-1]
		}
		from, _ := strconv.Atoi(r.URL.Query().Get("page_token"))
		to := min(from+f.pageSize, len(h))
		type metric struct {
			Value float64 `json:"value"`
			Step  string  `json:"step"`
		}
		out := struct {
			Metrics []metric `json:"metrics"`
			Next    string   `json:"next_page_token,omitempty"`
		}{}
		for _, e := range h[from:to] {
			out.Metrics = append(out.Metrics, metric{e[1], strconv.Itoa(int(e[0]))})
		}
		if to < len(h) {
			out.Next = strconv.Itoa(to)
		}
		_ = json.NewEncoder(w).Encode(out)
	default:
		http.NotFound(w, r)
	}
}

func TestMLflowWorkload(t *testing.T) {
	fake := &fakeMLflow{runs: map[string]map[string][][2]float64{}, pageSize: 700}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	cfg := servebench.Config{Iterations: 2500, PerRequest: 1000, Writers: 3, WriterIterations: 1200, Reads: 1}
	res, err := servebench.Run(context.Background(), servebench.NewMLflow(srv.URL, ""), srv.URL, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// 1,000 iterations are 2,000 metrics: two log-batch requests of 1,000;
	// the last 500 iterations one.
	if res.Requests != 5 || len(res.Reads) != 1 || res.WritersRate <= 0 {
		t.Errorf("result %+v", res)
	}

	fake.lose = true
	_, err = servebench.Run(context.Background(), servebench.NewMLflow(srv.URL, ""), srv.URL, servebench.Config{Iterations: 10, PerRequest: 10, Reads: 1})
	if !errors.Is(err, servebench.ErrBadAnswer) {
		t.Errorf("a server that loses an entry: %v, want ErrBadAnswer", err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []servebench.Config{{}, {Iterations: 1, PerRequest: 1, Reads: 1, Writers: 2}} {
		if _, err := servebench.Run(context.Background(), servebench.NewStatstore("http://127.0.0.1:1", ""), "", c); err == nil {
			t.Errorf("Run(%+v) accepted", c)
		}
	}
}
