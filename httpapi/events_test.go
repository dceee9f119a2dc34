package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/statstore/statstore"
)

// sseEvent is one parsed server-sent event.
type sseEvent struct {
	kind, data string
}

// follow opens the run's event stream and returns a function reading the
// next event. It returns once the server has registered the subscriber (the
// stream's first comment has arrived).
func follow(t *testing.T, ts *testServer, run string) (next func() (sseEvent, bool), resp *http.Response) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", ts.http.URL+"/api/v1/runs/"+run+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err = ts.http.Client().Do(req)
	if err != nil {
		t.Fatalf("GET events: %v", err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("GET events: %d %s, want 200 text/event-stream", resp.StatusCode, ct)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	read := func() (sseEvent, bool) {
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.kind != "" || ev.data != "" {
					return ev, true
				}
			case strings.HasPrefix(line, "event: "):
				ev.kind = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			case strings.HasPrefix(line, ": following"):
				return sseEvent{kind: "hello"}, true
			}
		}
		return ev, false
	}
	if ev, ok := read(); !ok || ev.kind != "hello" {
		t.Fatalf("first event %+v, want the stream's greeting", ev)
	}
	return read, resp
}

// TestEvents checks that followers receive what is stored, as it is stored.
func TestEvents(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	c := ts.client(t, ClientOptions{})
	ctx := context.Background()
	if err := c.StoreTrainingStats(ctx, "r", mustTraining(t, 0, 1, 2)); err != nil {
		t.Fatal(err)
	}
	next, _ := follow(t, ts, "r")
	other, _ := follow(t, ts, "other")

	type trainingEvent struct {
		Run            string          `json:"run"`
		Action         string          `json:"action"`
		Truncated      bool            `json:"truncated"`
		IterationStats []trainingEntry `json:"iteration_stats"`
	}
	iters := func(ev sseEvent) (trainingEvent, []int) {
		var te trainingEvent
		if err := json.Unmarshal([]byte(ev.data), &te); err != nil {
			t.Fatalf("event data %s: %v", ev.data, err)
		}
		var out []int
		for _, e := range te.IterationStats {
			out = append(out, *e.Iteration)
		}
		return te, out
	}

	steps := []struct {
		name       string
		write      func() error
		kind       string
		action     string
		iterations []int
	}{
		{"append sends only the new entries", func() error { return c.StoreTrainingStats(ctx, "r", mustTraining(t, 0, 1, 2, 3, 4)) }, "training", "append", []int{3, 4}},
		{"resume sends the replacement", func() error { return c.StoreTrainingStats(ctx, "r", mustTraining(t, 0, 1)) }, "training", "replace", []int{0, 1}},
		{"validation", func() error {
			return c.StoreValidationIterationScores(ctx, "r", validationScores(t, 0, 100))
		}, "validation", "merge", []int{0, 100}},
		{"validation append", func() error {
			return c.StoreValidationIterationScores(ctx, "r", validationScores(t, 0, 100, 200))
		}, "validation", "merge", []int{200}},
		{"delete", func() error { return c.DeleteTrainingStats(ctx, "r") }, "delete", "", nil},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := st.write(); err != nil {
				t.Fatal(err)
			}
			ev, ok := next()
			if !ok || ev.kind != st.kind {
				t.Fatalf("got event %+v, want a %q event", ev, st.kind)
			}
			switch st.kind {
			case "training":
				te, got := iters(ev)
				if te.Action != st.action || !equalInts(got, st.iterations) || te.Run != "r" {
					t.Errorf("got %s %v of %q, want %s %v of \"r\"", te.Action, got, te.Run, st.action, st.iterations)
				}
			case "validation":
				var ve struct {
					Action string `json:"action"`
					Scores []struct {
						Iteration int `json:"iteration"`
					} `json:"scores"`
					Criteria []criterionWire `json:"criteria"`
				}
				if err := json.Unmarshal([]byte(ev.data), &ve); err != nil {
					t.Fatal(err)
				}
				var got []int
				for _, s := range ve.Scores {
					got = append(got, s.Iteration)
				}
				if ve.Action != st.action || !equalInts(got, st.iterations) || len(ve.Criteria) != 1 {
					t.Errorf("got %s %v with %d criteria, want %s %v with 1", ve.Action, got, len(ve.Criteria), st.action, st.iterations)
				}
			case "delete":
				if ev.data != `{"run":"r","what":"training"}` {
					t.Errorf("delete event data %s", ev.data)
				}
			}
		})
	}
	t.Run("other runs are not sent", func(t *testing.T) {
		if err := c.StoreTrainingStats(ctx, "other", mustTraining(t, 7)); err != nil {
			t.Fatal(err)
		}
		ev, ok := other()
		if _, got := iters(ev); !ok || !equalInts(got, []int{7}) {
			t.Errorf("follower of \"other\" got %+v, want only iteration 7 of its own run", ev)
		}
	})
	t.Run("server close ends streams", func(t *testing.T) {
		ts.server.Close()
		if ev, ok := next(); ok {
			t.Errorf("got %+v after Close, want the stream to end", ev)
		}
		status, body := ts.do(t, ts.request(t, "GET", "/api/v1/runs/r/events", "", ""))
		if status != http.StatusServiceUnavailable {
			t.Errorf("new stream after Close: got %d %s, want 503", status, body)
		}
	})
}

// TestBrokerOverflow checks that a subscriber that falls behind is dropped
// and told so, while others keep receiving.
func TestBrokerOverflow(t *testing.T) {
	b := newBroker(maxSubscribers, maxSubscribers)
	slow, err := b.subscribe("r", "c")
	if err != nil {
		t.Fatal(err)
	}
	fast, err := b.subscribe("r", "c")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i <= subscriberBuffer; i++ {
		b.publish("r", "training", []byte("{}"))
		if i < subscriberBuffer {
			<-fast.ch
		}
	}
	n := 0
	for range slow.ch {
		n++
	}
	if n != subscriberBuffer || !slow.overflow {
		t.Errorf("slow subscriber got %d events, overflow %v; want %d and true", n, slow.overflow, subscriberBuffer)
	}
	select {
	case ev, ok := <-fast.ch:
		if !ok {
			t.Fatalf("fast subscriber was dropped")
		}
		if ev.id != subscriberBuffer+1 {
			t.Errorf("fast subscriber's last event id %d, want %d", ev.id, subscriberBuffer+1)
		}
	default:
		t.Errorf("fast subscriber missed the last event")
	}
	if got := b.subscribers(); got != 1 {
		t.Errorf("%d subscribers left, want 1", got)
	}
	b.unsubscribe(slow) // already removed: a no-op
	b.close()
	if _, ok := <-fast.ch; ok {
		t.Errorf("close left a subscriber open")
	}
	if _, err := b.subscribe("r", "c"); err == nil {
		t.Errorf("subscribe after close succeeded")
	}
}

// TestEventsEndWhenClientLeaves checks that a subscriber is removed when
// its client disconnects.
func TestEventsEndWhenClientLeaves(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	_, resp := follow(t, ts, "r")
	if got := ts.server.broker.subscribers(); got != 1 {
		t.Fatalf("%d subscribers, want 1", got)
	}
	resp.Body.Close()
	// The handler notices when its next write fails or its context ends;
	// a write to the run makes it try at once.
	c := ts.client(t, ClientOptions{})
	for i := 0; ts.server.broker.subscribers() != 0; i++ {
		if err := c.StoreTrainingStats(context.Background(), "r", mustTraining(t, i)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// validationScores returns scores for one dataset, parameter set and
// criterion (dice, higher is better) at the iterations, score = iteration/1000.
func validationScores(t testing.TB, iters ...int) *statstore.ValidationScores {
	t.Helper()
	v := &statstore.ValidationScores{Metadata: statstore.Metadata{
		Datasets:         []string{"crop"},
		Parameters:       []statstore.ParameterSet{{ID: 0, Values: statstore.ParameterValues{{Name: "threshold", Value: 0.5}}}},
		EvaluationScores: []statstore.Criterion{{Name: "dice", HigherIsBetter: true, Bounds: statstore.Bounds{Lower: statstore.Bound(0), Upper: statstore.Bound(1)}}},
	}}
	for _, it := range iters {
		if err := v.AddIterationScores(statstore.ValidationIterationScores{Iteration: it, Scores: [][][]float64{{{float64(it) / 1000}}}}); err != nil {
			t.Fatal(err)
		}
	}
	return v
}
