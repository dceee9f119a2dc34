package httpapi

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/statstore/statstore"
)

var loadFlag = flag.Bool("load", false, "run TestLoad at full size (32 writers × 100 batches of 1,000 iterations) and print its figures")

// loadBatches is the number of batches per writer of the full-size load test.
const loadBatches = 100

// loadStats are the latencies of one kind of request.
type loadStats struct {
	latencies []time.Duration
}

func (l *loadStats) add(d time.Duration) { l.latencies = append(l.latencies, d) }

func (l *loadStats) percentile(p float64) time.Duration {
	if len(l.latencies) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), l.latencies...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(math.Ceil(p*float64(len(s))))-1]
}

// TestLoad runs the load test on loopback: 32 concurrent writers each store
// a run in batches of 1,000 iterations through the Go client while readers
// poll the runs list and plot subsamples. No request may fail, and every
// acknowledged iteration must be stored. It is small unless -load is given;
// the figures are logged (go test -run TestLoad -load -v ./httpapi).
func TestLoad(t *testing.T) {
	const (
		writers   = 32
		batchSize = 1000
		readers   = 4
	)
	batches := 3
	if *loadFlag {
		batches = loadBatches
	}
	ts := startServer(t, ServerOptions{})
	c := ts.client(t, ClientOptions{})
	ctx := context.Background()

	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		writes  loadStats
		reads   loadStats
		failed  []error
		acked   = make([][]statstore.TrainingIterationStats, writers)
		done    = make(chan struct{})
		reading sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		failed = append(failed, err)
	}
	run := func(w int) string { return fmt.Sprintf("load-%02d", w) }
	for r := 0; r < readers; r++ {
		reading.Add(1)
		go func() {
			defer reading.Done()
			rng := rand.New(rand.NewPCG(uint64(r), 1))
			var local loadStats
			for i := 0; ; i++ {
				select {
				case <-done:
					mu.Lock()
					reads.latencies = append(reads.latencies, local.latencies...)
					mu.Unlock()
					return
				default:
				}
				start := time.Now()
				var err error
				if i%2 == 0 {
					_, err = c.ListRuns(ctx)
				} else {
					_, err = c.SubsampleTraining(ctx, run(rng.IntN(writers)), statstore.SubsampleOptions{MaxPoints: 1000})
				}
				local.add(time.Since(start))
				if err != nil {
					fail(fmt.Errorf("reader %d: %w", r, err))
				}
			}
		}()
	}
	start := time.Now()
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local loadStats
			for b := 0; b < batches; b++ {
				stats := &statstore.TrainingStats{IterationStats: make([]statstore.TrainingIterationStats, batchSize)}
				for i := range stats.IterationStats {
					it := b*batchSize + i
					stats.IterationStats[i] = statstore.TrainingIterationStats{Iteration: it, Loss: 1 / float64(it+1+w), Time: float64(w) + 0.001*float64(i)}
				}
				t0 := time.Now()
				err := c.StoreTrainingStats(ctx, run(w), stats)
				local.add(time.Since(t0))
				if err != nil {
					fail(fmt.Errorf("writer %d batch %d: %w", w, b, err))
					continue
				}
				acked[w] = append(acked[w], stats.IterationStats...)
			}
			mu.Lock()
			writes.latencies = append(writes.latencies, local.latencies...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(done)
	reading.Wait()

	for _, err := range failed {
		t.Errorf("request failed: %v", err)
	}
	for w := 0; w < writers; w++ {
		got, err := ts.store.RetrieveTrainingStats(ctx, run(w))
		if err != nil {
			t.Fatalf("retrieving %s: %v", run(w), err)
		}
		if want := (&statstore.TrainingStats{IterationStats: acked[w]}); !got.Equal(want) {
			t.Errorf("%s holds %d entries, want the %d acknowledged ones", run(w), got.Len(), want.Len())
		}
	}
	iterations := writers * batches * batchSize
	requests := len(writes.latencies) + len(reads.latencies)
	t.Logf("load: %d writers × %d batches of %d iterations, %d readers, over %v", writers, batches, batchSize, readers, elapsed.Round(time.Millisecond))
	t.Logf("load: %d requests (%d writes, %d reads): %.0f requests/s, %.0f stored iterations/s",
		requests, len(writes.latencies), len(reads.latencies), float64(requests)/elapsed.Seconds(), float64(iterations)/elapsed.Seconds())
	t.Logf("load: write latency p50 %v p99 %v; read latency p50 %v p99 %v",
		writes.percentile(0.5), writes.percentile(0.99), reads.percentile(0.5), reads.percentile(0.99))
}

// BenchmarkTrainingBatch measures the server's own cost of one batch of
// 1,000 training entries: decoding the request body and encoding it back.
func BenchmarkTrainingBatch(b *testing.B) {
	entries := make([]statstore.TrainingIterationStats, 1000)
	for i := range entries {
		entries[i] = statstore.TrainingIterationStats{Iteration: i, Loss: 1 / float64(i+1), Time: 0.001 * float64(i)}
	}
	body := appendTrainingJSON(nil, "r", entries, true)
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := decodeTraining(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		buf := make([]byte, 0, len(body))
		for b.Loop() {
			buf = appendTrainingJSON(buf[:0], "r", entries, true)
		}
	})
}
