package httpapi

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/memstore"
	"github.com/statstore/statstore/storetest"
)

// unwatchable hides the store's Watch: the server feeds the stream from the
// writes it makes itself.
type unwatchable struct{ statstore.StatsStore }

// TestClientWatch runs the Watcher conformance on the HTTP client, over a
// server whose store can be watched.
func TestClientWatch(t *testing.T) {
	storetest.RunWatch(t, func(t *testing.T) statstore.StatsStore {
		ts := startServer(t, ServerOptions{})
		return ts.client(t, ClientOptions{})
	})
}

// TestFeedFallback: over a store that cannot be watched, the stream carries
// the writes made through the server (without run_created: the server
// cannot tell a new run without reading it).
func TestFeedFallback(t *testing.T) {
	ts := startServerOver(t, unwatchable{memstore.New(nil)}, ServerOptions{})
	c := ts.client(t, ClientOptions{})
	ctx := t.Context()
	ch, err := c.Watch(ctx, statstore.WatchFilter{})
	if err != nil {
		t.Fatal(err)
	}
	m := storetest.Metadata()
	steps := []struct {
		write func() error
		want  statstore.Event
	}{
		{func() error { return c.StoreTrainingStats(ctx, "r", storetest.Training(0, 1)) }, statstore.Event{Kind: statstore.EventTrainingAppended, Run: "r", To: 2}},
		{func() error { return c.StoreTrainingStats(ctx, "r", storetest.Training(0, 1, 2)) }, statstore.Event{Kind: statstore.EventTrainingAppended, Run: "r", From: 2, To: 3}},
		{func() error { return c.StoreTrainingStats(ctx, "r", storetest.TrainingVersion(2, 0)) }, statstore.Event{Kind: statstore.EventTrainingReplaced, Run: "r", To: 1}},
		{func() error { return c.StoreValidationIterationScores(ctx, "r", storetest.Scores(m, 4)) }, statstore.Event{Kind: statstore.EventValidationMerged, Run: "r", From: 4, To: 5}},
		{func() error { return c.DeleteRun(ctx, "r") }, statstore.Event{Kind: statstore.EventRunDeleted, Run: "r"}},
	}
	for i, st := range steps {
		if err := st.write(); err != nil {
			t.Fatal(err)
		}
		select {
		case ev := <-ch:
			ev.Seq, ev.ID = 0, ""
			if ev != st.want {
				t.Fatalf("step %d: got %+v, want %+v", i, ev, st.want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("step %d: no event within 10s", i)
		}
	}
}

// rawFeed opens GET /api/v1/events with lastID and returns a reader of its
// events (id, name) and a function that closes the stream.
func rawFeed(t *testing.T, ts *testServer, query, lastID string) (next func() (id, kind, data string), stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	req, err := http.NewRequestWithContext(ctx, "GET", ts.http.URL+"/api/v1/events"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := ts.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET /api/v1/events%s: %d %s", query, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	type ev struct{ id, kind, data string }
	ch := make(chan ev, 100)
	go func() {
		defer close(ch)
		readFeed(resp, func(id, kind, data string) bool {
			ch <- ev{id, kind, data}
			return true
		})
	}()
	next = func() (string, string, string) {
		t.Helper()
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatal("the stream ended")
			}
			return e.id, e.kind, e.data
		case <-time.After(10 * time.Second):
			t.Fatal("no event within 10s")
		}
		return "", "", ""
	}
	return next, func() { cancel(); resp.Body.Close() }
}

// TestFeedResume: a client reconnecting with the last id it saw gets the
// events it missed and no resync; with an unknown id, a resync first.
func TestFeedResume(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	ctx := t.Context()
	next, stop := rawFeed(t, ts, "", "")
	if err := ts.store.StoreTrainingStats(ctx, "r", storetest.Training(0)); err != nil {
		t.Fatal(err)
	}
	next() // run_created
	id, kind, data := next()
	if kind != "training_appended" || !strings.Contains(data, `"run":"r"`) || !strings.Contains(data, `"to":1`) {
		t.Fatalf("got %s %s, want training_appended of r to 1", kind, data)
	}
	stop()
	if err := ts.store.StoreTrainingStats(ctx, "r", storetest.Training(0, 1)); err != nil {
		t.Fatal(err)
	}
	next, stop = rawFeed(t, ts, "", id)
	defer stop()
	if _, kind, data := next(); kind != "training_appended" || !strings.Contains(data, `"from":1,"to":2`) {
		t.Fatalf("after resuming got %s %s, want the missed training_appended [1, 2)", kind, data)
	}

	for _, bad := range []string{"elsewhere-1", "garbage", strings.Split(id, "-")[0] + "-999"} {
		next, stop := rawFeed(t, ts, "", bad)
		if _, kind, _ := next(); kind != "resync" {
			t.Errorf("Last-Event-ID %q: first event %s, want resync", bad, kind)
		}
		stop()
	}
}

// TestFeedFilter: ?run= passes only those runs; a bad name is a 400.
func TestFeedFilter(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	ctx := t.Context()
	next, stop := rawFeed(t, ts, "?run=b", "")
	defer stop()
	for _, run := range []string{"a", "b"} {
		if err := ts.store.StoreTrainingStats(ctx, run, storetest.Training(0)); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, data := next(); !strings.Contains(data, `"run":"b"`) {
		t.Fatalf("stream filtered to run b got %s first", data)
	}
	resp, err := http.Get(ts.http.URL + "/api/v1/events?run=..")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("?run=.. answered %d, want 400", resp.StatusCode)
	}
}

// TestFeedOverflow: a client that falls more than the ring behind gets a
// resync, then the new events.
func TestFeedOverflow(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	ctx := t.Context()
	next, stop := rawFeed(t, ts, "", "")
	if err := ts.store.StoreTrainingStats(ctx, "r", storetest.Training(0)); err != nil {
		t.Fatal(err)
	}
	id, _, _ := next()
	stop()
	for i := range feedRing {
		if err := ts.store.StoreTrainingStats(ctx, "r", storetest.Training(storetest.Iters(0, i+2, 1)...)); err != nil {
			t.Fatal(err)
		}
	}
	// The feed may not have taken in every event yet: wait until it has.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		ts.server.feed.mu.Lock()
		n := ts.server.feed.seq
		ts.server.feed.mu.Unlock()
		if n >= feedRing+2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the feed holds %d events", n)
		}
	}
	next, stop = rawFeed(t, ts, "", id)
	defer stop()
	if _, kind, _ := next(); kind != "resync" {
		t.Fatalf("resuming from an event older than the ring: got %s, want resync", kind)
	}
}

// TestFeedHeartbeat is a smoke test of the stream's greeting: retry and a
// comment, before any event.
func TestFeedGreeting(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	resp, err := http.Get(ts.http.URL + "/api/v1/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "retry: ") {
		t.Fatalf("first line %q, want retry", sc.Text())
	}
}

// FuzzFeedStream: any stream body parses into events that are resyncs or
// name a valid run, without panicking.
func FuzzFeedStream(f *testing.F) {
	f.Add("id: e-1\nevent: training_appended\ndata: {\"run\":\"r\",\"from\":0,\"to\":5}\n\n")
	f.Add("event: resync\ndata: {}\n\n: keep-alive\n\n")
	f.Add("event: run_created\ndata: {\"run\":\"../x\"}\n\n")
	f.Add("data: a\ndata: b\n\nevent: x\n")
	f.Fuzz(func(t *testing.T, body string) {
		resp := &http.Response{Body: io.NopCloser(strings.NewReader(body))}
		readFeed(resp, func(id, kind, data string) bool {
			ev, ok := decodeFeedEvent(kind, data)
			if ok && ev.Kind != statstore.EventResync && statstore.ValidateRunName(ev.Run) != nil {
				t.Fatalf("event %+v from %q", ev, body)
			}
			return true
		})
	})
}
