package servebench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// MLflowBatchMetrics is the most metrics the MLflow REST API takes in one
// runs/log-batch request: the iterations of one workload request go out
// in as many log-batch requests as this needs (two metrics, loss and time,
// per iteration).
const MLflowBatchMetrics = 1000

// MLflow is an MLflow-compatible tracking server's REST API (MLflow,
// FastTrackML).
type MLflow struct {
	c          client
	experiment string
	seq        atomic.Int64
}

// NewMLflow returns the target of the MLflow tracking server at base.
func NewMLflow(base, token string) *MLflow { return &MLflow{c: newClient(base, token)} }

// Name returns "mlflow".
func (*MLflow) Name() string { return "mlflow" }

// Forms returns the one form, get-history's JSON.
func (*MLflow) Forms() []string { return []string{"get-history"} }

// Send sends one encoded request.
func (m *MLflow) Send(ctx context.Context, r Request) error { return m.c.send(ctx, r) }

// CreateRun creates the workload's experiment on first use, then a run in it.
func (m *MLflow) CreateRun(ctx context.Context, name string) (string, error) {
	if m.experiment == "" {
		body, _ := json.Marshal(map[string]string{"name": fmt.Sprintf("statstore-bench-%d", time.Now().UnixNano())})
		data, err := m.c.do(ctx, "POST", "/api/2.0/mlflow/experiments/create", "application/json", "", body)
		if err != nil {
			return "", err
		}
		var doc struct {
			ID string `json:"experiment_id"`
		}
		if err := json.Unmarshal(data, &doc); err != nil || doc.ID == "" {
			return "", fmt.Errorf("experiments/create answered %.200s: %w", data, ErrBadAnswer)
		}
		m.experiment = doc.ID
	}
	body, _ := json.Marshal(map[string]any{"experiment_id": m.experiment, "run_name": name, "start_time": time.Now().UnixMilli()})
	data, err := m.c.do(ctx, "POST", "/api/2.0/mlflow/runs/create", "application/json", "", body)
	if err != nil {
		return "", err
	}
	var doc struct {
		Run struct {
			Info struct {
				ID string `json:"run_id"`
			} `json:"info"`
		} `json:"run"`
	}
	if err := json.Unmarshal(data, &doc); err != nil || doc.Run.Info.ID == "" {
		return "", fmt.Errorf("runs/create answered %.200s: %w", data, ErrBadAnswer)
	}
	return doc.Run.Info.ID, nil
}

// EncodeAppend returns the log-batch requests of iterations [from, from+n).
func (m *MLflow) EncodeAppend(id string, from, n int) []Request {
	const perRequest = MLflowBatchMetrics / 2
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	var out []Request
	for start := from; start < from+n; start += perRequest {
		end := min(start+perRequest, from+n)
		b := make([]byte, 0, 140*(end-start)+64)
		b = append(b, `{"run_id":`...)
		b = strconv.AppendQuote(b, id)
		b = append(b, `,"metrics":[`...)
		for i := start; i < end; i++ {
			if i > start {
				b = append(b, ',')
			}
			for k, key := range [2]string{"loss", "time"} {
				if k > 0 {
					b = append(b, ',')
				}
				v := loss(i)
				if k == 1 {
					v = stepTime(i)
				}
				b = append(b, `{"key":"`...)
				b = append(b, key...)
				b = append(b, `","value":`...)
				b = strconv.AppendFloat(b, v, 'g', -1, 64)
				b = append(b, `,"timestamp":`...)
				b = append(b, ts...)
				b = append(b, `,"step":`...)
				b = strconv.AppendInt(b, int64(i), 10)
				b = append(b, '}')
			}
		}
		b = append(b, "]}"...)
		out = append(out, Request{Method: "POST", Path: "/api/2.0/mlflow/runs/log-batch", ContentType: "application/json", Body: b})
	}
	return out
}

// ReadAll reads the loss and time histories with metrics/get-history
// (following next_page_token) and checks them.
func (m *MLflow) ReadAll(ctx context.Context, id, _ string) (int, int64, error) {
	var total int64
	var n int
	for _, key := range [2]string{"loss", "time"} {
		var iters, values []float64
		token := ""
		for {
			q := url.Values{"run_id": {id}, "metric_key": {key}, "max_results": {"1000000"}}
			if token != "" {
				q.Set("page_token", token)
			}
			data, err := m.c.do(ctx, "GET", "/api/2.0/mlflow/metrics/get-history?"+q.Encode(), "", "application/json", nil)
			if err != nil {
				return 0, 0, err
			}
			total += int64(len(data))
			steps, vals, next, err := decodeHistory(data)
			if err != nil {
				return 0, 0, fmt.Errorf("get-history %s: %v: %w", key, err, ErrBadAnswer)
			}
			iters, values = append(iters, steps...), append(values, vals...)
			if token = next; token == "" {
				break
			}
		}
		if key == "loss" {
			if err := checkHistory(iters, values); err != nil {
				return 0, 0, fmt.Errorf("loss history of run %s: %w", id, err)
			}
			n = len(iters)
		} else if len(iters) != n {
			return 0, 0, fmt.Errorf("run %s: %d time entries for %d losses: %w", id, len(iters), n, ErrBadAnswer)
		}
	}
	return n, total, nil
}

// decodeHistory reads one get-history page.
func decodeHistory(data []byte) (steps, values []float64, next string, err error) {
	var doc struct {
		Metrics []struct {
			Value float64 `json:"value"`
			Step  step    `json:"step"`
		} `json:"metrics"`
		Next string `json:"next_page_token"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, nil, "", err
	}
	for _, e := range doc.Metrics {
		steps, values = append(steps, float64(e.Step)), append(values, e.Value)
	}
	return steps, values, doc.Next, nil
}

// step is a metric's step: MLflow writes int64 fields as proto3 JSON
// strings ("step": "5"), other servers as numbers.
type step int64

// UnmarshalJSON reads a step written either way.
func (s *step) UnmarshalJSON(b []byte) error {
	n, err := strconv.ParseInt(strings.Trim(string(b), `"`), 10, 64)
	if err != nil {
		return fmt.Errorf("step %s: want an integer", b)
	}
	*s = step(n)
	return nil
}
