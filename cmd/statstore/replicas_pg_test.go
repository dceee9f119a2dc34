package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/httpapi"
	"github.com/statstore/statstore/internal/pgtest"
	"github.com/statstore/statstore/memstore"
	"github.com/statstore/statstore/postgres"
	"github.com/statstore/statstore/storetest"
)

// roundRobin is a load balancer for tests: each request goes to the next
// backend in turn.
func roundRobin(t testing.TB, backends ...string) *httptest.Server {
	t.Helper()
	var proxies []*httputil.ReverseProxy
	for _, b := range backends {
		u, err := url.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		proxies = append(proxies, httputil.NewSingleHostReverseProxy(u))
	}
	var next atomic.Uint64
	lb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxies[(next.Add(1)-1)%uint64(len(proxies))].ServeHTTP(w, r)
	}))
	t.Cleanup(lb.Close)
	return lb
}

// replica starts a `statstore serve` replica in the test: its own
// PostgreSQL store (its own connection pool) on the database at dbURL and
// an HTTP server over it. maxConns bounds its pool (0: the default, 4 on
// this machine).
func replica(t testing.TB, dbURL string, maxConns int32) string {
	t.Helper()
	s, err := postgres.Open(context.Background(), dbURL, postgres.Options{MaxConns: maxConns})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.NewServer(s, httpapi.ServerOptions{}))
	t.Cleanup(func() {
		srv.Close()
		s.Close()
	})
	return srv.URL
}

// TestReplicasSerialiseWrites runs two server replicas on one PostgreSQL
// database behind a round-robin load balancer, and writers that store
// into the same runs at once, each through the balancer or straight to a
// replica (issue 12, point 2). The database serialises the writes of each
// run, so the extend-or-overwrite and merge rules hold as in one process:
//
//   - trainers storing growing prefixes of one history: every read, at any
//     moment and through either replica, is a prefix of that history, and
//     the run ends as the whole history;
//   - two trainers with different histories racing on one run: every read
//     is made of whole checkpoints of one or the other (an append extends
//     whatever is stored, a shorter write replaces it whole), and the run
//     ends as the history of the trainer whose last write came last;
//   - validators merging disjoint checkpoints into one run: the run ends
//     holding all of them, exactly as the model (memstore) given the same
//     writes in any order.
func TestReplicasSerialiseWrites(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.Start(t)
	a, b := replica(t, dbURL, 0), replica(t, dbURL, 0)
	lb := roundRobin(t, a, b)
	client := func(base string) *httpapi.Client {
		c, err := httpapi.NewClient(base, httpapi.ClientOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	clients := []*httpapi.Client{client(lb.URL), client(a), client(b)}

	const (
		writers     = 4
		checkpoints = 30
		perCkpt     = 50
	)
	history := func(version int) []statstore.TrainingIterationStats {
		return storetest.Entries(version, storetest.Iters(0, checkpoints*perCkpt, 1)...)
	}
	shared, rivalA, rivalB := history(0), history(1), history(2)
	meta := storetest.Metadata()

	same := func(a, b []statstore.TrainingIterationStats) bool {
		return (&statstore.TrainingStats{IterationStats: a}).Equal(&statstore.TrainingStats{IterationStats: b})
	}
	// serialisable reports whether got is a state that serial writes of
	// prefixes of the histories hs (whole checkpoints of perCkpt entries)
	// can leave: whole checkpoints, each that of one of hs. With one
	// history, a prefix of it.
	serialisable := func(got []statstore.TrainingIterationStats, hs ...[]statstore.TrainingIterationStats) bool {
		if len(got)%perCkpt != 0 || len(got) > len(hs[0]) {
			return false
		}
		for from := 0; from < len(got); from += perCkpt {
			if !slices.ContainsFunc(hs, func(h []statstore.TrainingIterationStats) bool {
				return same(got[from:from+perCkpt], h[from:from+perCkpt])
			}) {
				return false
			}
		}
		return true
	}

	var wg sync.WaitGroup
	errs := make(chan error, 64)
	fail := func(format string, args ...any) { errs <- fmt.Errorf(format, args...) }
	trainer := func(w int, run string, h []statstore.TrainingIterationStats) {
		defer wg.Done()
		for k := 1; k <= checkpoints; k++ {
			c := clients[(w+k)%len(clients)]
			if err := c.StoreTrainingStats(ctx, run, &statstore.TrainingStats{IterationStats: h[:k*perCkpt]}); err != nil {
				fail("trainer %d, run %s, checkpoint %d: %v", w, run, k, err)
				return
			}
		}
	}
	for w := range writers {
		wg.Add(1)
		go trainer(w, "shared", shared)
	}
	wg.Add(2)
	go trainer(0, "rivals", rivalA)
	go trainer(1, "rivals", rivalB)
	// Validators: validator w stores checkpoints w, w+writers, ... one call each.
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := w; k < checkpoints; k += writers {
				c := clients[(w+k)%len(clients)]
				if err := c.StoreValidationIterationScores(ctx, "validated", storetest.Scores(meta, k*perCkpt)); err != nil {
					fail("validator %d, checkpoint %d: %v", w, k, err)
					return
				}
			}
		}()
	}
	// Readers through every path while the writers run.
	done := make(chan struct{})
	var readers sync.WaitGroup
	for i, c := range clients {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				for _, r := range []struct {
					run string
					hs  [][]statstore.TrainingIterationStats
				}{{"shared", [][]statstore.TrainingIterationStats{shared}}, {"rivals", [][]statstore.TrainingIterationStats{rivalA, rivalB}}} {
					got, err := c.RetrieveTrainingStats(ctx, r.run)
					if err != nil {
						fail("reader %d, run %s: %v", i, r.run, err)
						return
					}
					if !serialisable(got.IterationStats, r.hs...) {
						fail("reader %d, run %s: %d entries, not a state that serial writes leave", i, r.run, got.Len())
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}

	model := memstore.New(nil)
	if err := model.StoreTrainingStats(ctx, "shared", &statstore.TrainingStats{IterationStats: shared}); err != nil {
		t.Fatal(err)
	}
	for k := range checkpoints {
		if err := model.StoreValidationIterationScores(ctx, "validated", storetest.Scores(meta, k*perCkpt)); err != nil {
			t.Fatal(err)
		}
	}
	wantScores, err := model.RetrieveValidationScores(ctx, "validated")
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range clients {
		got, err := c.RetrieveTrainingStats(ctx, "shared")
		if err != nil || !got.Equal(&statstore.TrainingStats{IterationStats: shared}) {
			t.Errorf("client %d: run shared: %d entries (%v), want the whole history of %d", i, got.Len(), err, len(shared))
		}
		got, err = c.RetrieveTrainingStats(ctx, "rivals")
		if err != nil || !got.Equal(&statstore.TrainingStats{IterationStats: rivalA}) && !got.Equal(&statstore.TrainingStats{IterationStats: rivalB}) {
			t.Errorf("client %d: run rivals: %d entries (%v), want one rival's whole history", i, got.Len(), err)
		}
		v, err := c.RetrieveValidationScores(ctx, "validated")
		if err != nil || !v.Metadata.Equal(wantScores.Metadata) ||
			!slices.EqualFunc(v.Scores, wantScores.Scores, statstore.ValidationIterationScores.Equal) {
			t.Errorf("client %d: run validated: %d checkpoints (%v), want the model's %d", i, len(v.Scores), err, len(wantScores.Scores))
		}
		runs, err := c.ListRuns(ctx)
		if err != nil || len(runs) != 3 {
			t.Fatalf("client %d: ListRuns: %+v, %v", i, runs, err)
		}
		for _, r := range runs {
			if r.Run == "shared" && (r.TrainingIterations != len(shared) || r.TrainedUntil != len(shared)) ||
				r.Run == "validated" && (r.ValidationIterations != checkpoints || r.ValidatedUntil != (checkpoints-1)*perCkpt+1) {
				t.Errorf("client %d: ListRuns: %+v", i, r)
			}
		}
	}
}

// BenchmarkReplicas measures the requests per second that 1 and 3 server
// replicas on one PostgreSQL database serve behind a round-robin load
// balancer (docs/deployment.md, sizing), and 1 replica with a pool of 12
// connections (as many as 3 replicas' default pools hold together). Each of 8 clients (4 per CPU)
// stores its own run in 1,000-entry appends and reads a 1,000-point
// subsample of it after each, alternately: a trainer's checkpoint and a
// dashboard's refresh. The database, the replicas, the balancer and the
// clients share the machine's CPUs.
func BenchmarkReplicas(b *testing.B) {
	srv := pgtest.StartServer(b)
	for _, tc := range []struct{ replicas, conns int }{{1, 0}, {1, 12}, {3, 0}} {
		b.Run(fmt.Sprintf("replicas=%d/pool=%d", tc.replicas, tc.conns), func(b *testing.B) {
			dbURL := srv.Database(b)
			var backends []string
			for range tc.replicas {
				backends = append(backends, replica(b, dbURL, int32(tc.conns)))
			}
			lb := roundRobin(b, backends...)
			var clientID atomic.Int64
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				c, err := httpapi.NewClient(lb.URL, httpapi.ClientOptions{})
				if err != nil {
					b.Error(err)
					return
				}
				defer c.Close()
				run := fmt.Sprintf("bench-%d", clientID.Add(1))
				next := 0
				for i := 0; pb.Next(); i++ {
					if i%2 == 0 {
						err = c.StoreTrainingStats(ctx, run, benchEntries(next, 1000))
						next += 1000
					} else {
						_, err = c.SubsampleTraining(ctx, run, statstore.SubsampleOptions{MaxPoints: 1000})
					}
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "requests/s")
		})
	}
}

// benchEntries returns n training entries from iteration from on.
func benchEntries(from, n int) *statstore.TrainingStats {
	st := &statstore.TrainingStats{IterationStats: make([]statstore.TrainingIterationStats, n)}
	for i := range st.IterationStats {
		st.IterationStats[i] = statstore.TrainingIterationStats{Iteration: from + i, Loss: 1 / float64(from+i+1), Time: 0.1}
	}
	return st
}
