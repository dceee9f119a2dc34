package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/httpapi"
	"github.com/statstore/statstore/internal/pgtest"
	"github.com/statstore/statstore/postgres"
	"github.com/statstore/statstore/storetest"
)

// page is what a dashboard following one replica shows: each run's
// training history, kept up to date from the events as the dashboard does
// (fetch what an append added, reload a run after a replace, reload
// everything after a resync), dropping an event whose id it has applied.
type page struct {
	c       *httpapi.Client
	applyMu sync.Mutex // one event at a time, whichever stream it came from

	mu      sync.Mutex
	runs    map[string][]statstore.TrainingIterationStats
	applied map[string]bool // event ids
	resyncs int
	dups    int // events dropped by id
	stale   int // appends the page already held (after a reload)
}

// retry calls fn until it succeeds or ctx is done (the replica answers 503
// while PostgreSQL is down).
func retry(ctx context.Context, fn func() error) error {
	for {
		err := fn()
		if err == nil || ctx.Err() != nil {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// reload reads every run from the replica.
func (p *page) reload(ctx context.Context) error {
	return retry(ctx, func() error {
		infos, err := p.c.ListRuns(ctx)
		if err != nil {
			return err
		}
		runs := map[string][]statstore.TrainingIterationStats{}
		for _, info := range infos {
			st, err := p.c.RetrieveTrainingStats(ctx, info.Run)
			if err != nil {
				return err
			}
			runs[info.Run] = st.IterationStats
		}
		p.mu.Lock()
		p.runs = runs
		p.mu.Unlock()
		return nil
	})
}

// apply applies one event.
func (p *page) apply(ctx context.Context, ev statstore.Event) error {
	p.applyMu.Lock()
	defer p.applyMu.Unlock()
	p.mu.Lock()
	if ev.ID != "" && p.applied[ev.ID] {
		p.dups++
		p.mu.Unlock()
		return nil
	}
	p.applied[ev.ID] = true
	have := 0
	if h := p.runs[ev.Run]; len(h) > 0 {
		have = h[len(h)-1].Iteration + 1
	}
	p.mu.Unlock()
	switch ev.Kind {
	case statstore.EventResync:
		p.mu.Lock()
		p.resyncs++
		p.mu.Unlock()
		return p.reload(ctx)
	case statstore.EventTrainingAppended:
		if ev.To <= have {
			p.mu.Lock()
			p.stale++
			p.mu.Unlock()
			return nil
		}
		if ev.From > have { // a gap: the page missed something
			return p.reload(ctx)
		}
		return retry(ctx, func() error {
			st, err := p.c.RetrieveTrainingRange(ctx, ev.Run, statstore.IterationRange{From: have, To: ev.To})
			if err != nil {
				return err
			}
			p.mu.Lock()
			p.runs[ev.Run] = append(p.runs[ev.Run], st.IterationStats...)
			p.mu.Unlock()
			return nil
		})
	case statstore.EventTrainingReplaced, statstore.EventRunCreated, statstore.EventRunDeleted:
		return p.reload(ctx)
	}
	return nil
}

// shows reports whether the page shows exactly want.
func (p *page) shows(want map[string][]statstore.TrainingIterationStats) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.runs) != len(want) {
		return false
	}
	for run, w := range want {
		if !slices.Equal(p.runs[run], w) {
			return false
		}
	}
	return true
}

// TestReplicasFollowPostgres: three servers on one PostgreSQL database;
// a writer writes through the first, two dashboards follow the other two.
// PostgreSQL is killed and restarted mid-stream. After catch-up each page
// shows every write exactly once (an append applied twice would repeat
// entries), and each saw the resync that tells it to catch up.
func TestReplicasFollowPostgres(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	srv := pgtest.StartServer(t)
	url := srv.Schema(t)
	var clients []*httpapi.Client
	for range 3 {
		st, err := postgres.Open(ctx, url, postgres.Options{MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		s := httpapi.NewServer(st, httpapi.ServerOptions{})
		hs := httptest.NewServer(s)
		c, err := httpapi.NewClient(hs.URL, httpapi.ClientOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			c.Close()
			s.Close()
			hs.Close()
			st.Close()
		})
		clients = append(clients, c)
	}
	// Page 1 follows replica 2. Page 2 follows replicas 2 and 3 at once (a
	// page that reconnected through a load balancer while its old stream
	// was still open): it gets every event twice and drops one by id.
	var pages []*page
	var wg sync.WaitGroup
	for i, followed := range [][]*httpapi.Client{{clients[1]}, {clients[1], clients[2]}} {
		p := &page{c: followed[len(followed)-1], runs: map[string][]statstore.TrainingIterationStats{}, applied: map[string]bool{}}
		pages = append(pages, p)
		for _, c := range followed {
			events, err := c.Watch(ctx, statstore.WatchFilter{})
			if err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ev := range events {
					if err := p.apply(ctx, ev); err != nil && ctx.Err() == nil {
						t.Errorf("page %d, event %+v: %v", i+1, ev, err)
						return
					}
				}
			}()
		}
	}
	defer wg.Wait()
	defer cancel()

	const writes, batch = 30, 10
	runs := []string{"a", "b"}
	w := clients[0]
	for k := 1; k <= writes; k++ {
		if k == writes/2 {
			if err := srv.Kill(); err != nil {
				t.Fatal(err)
			}
			// A write fails while the database is down.
			if err := w.StoreTrainingStats(ctx, "a", storetest.Training(span(0, k*batch, 1)...)); err == nil {
				t.Fatal("a write succeeded with PostgreSQL killed")
			}
			if err := srv.Restart(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for _, run := range runs {
			// Each write holds the whole history: retried after a failure,
			// it appends what is missing.
			if err := retry(ctx, func() error {
				return w.StoreTrainingStats(ctx, run, storetest.Training(span(0, k*batch, 1)...))
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := map[string][]statstore.TrainingIterationStats{}
	for _, run := range runs {
		want[run] = storetest.Training(span(0, writes*batch, 1)...).IterationStats
	}
	for i, p := range pages {
		deadline := time.Now().Add(30 * time.Second)
		for !p.shows(want) {
			if time.Now().After(deadline) {
				p.mu.Lock()
				t.Fatalf("page %d after 30s: %s (resyncs %d, dropped duplicates %d)", i+1, describePage(p.runs), p.resyncs, p.dups)
			}
			time.Sleep(20 * time.Millisecond)
		}
		p.mu.Lock()
		t.Logf("page %d: every write shown once; %d resyncs, %d events dropped by id, %d appends already held", i+1, p.resyncs, p.dups, p.stale)
		if p.resyncs == 0 {
			t.Errorf("page %d saw no resync although PostgreSQL restarted", i+1)
		}
		if i == 1 && p.dups == 0 {
			t.Errorf("page %d follows two replicas but dropped no event by id", i+1)
		}
		p.mu.Unlock()
	}
}

// describePage summarises a page's runs for a failure message.
func describePage(runs map[string][]statstore.TrainingIterationStats) string {
	s := ""
	for run, h := range runs {
		n := len(h)
		until := 0
		if n > 0 {
			until = h[n-1].Iteration + 1
		}
		s += fmt.Sprintf("%s: %d entries, until %d; ", run, n, until)
	}
	return s
}
