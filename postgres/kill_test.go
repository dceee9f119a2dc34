package postgres

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/pgtest"
)

// killStats is the cumulative history a trainer stores in call k: entries
// 0 … (k+1)·chunk − 1 whose values depend only on the iteration, so a
// retried or repeated call stores the same entries.
func killStats(k, chunk int) *statstore.TrainingStats {
	st := &statstore.TrainingStats{IterationStats: make([]statstore.TrainingIterationStats, (k+1)*chunk)}
	for i := range st.IterationStats {
		st.IterationStats[i] = statstore.TrainingIterationStats{Iteration: i, Loss: 1 / float64(i+1), Time: float64(i) * 0.25}
	}
	return st
}

// isConnectionError reports an error that says the server could not be
// reached or the connection was lost.
func isConnectionError(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "cannot connect to PostgreSQL") || strings.Contains(msg, "lost the connection to PostgreSQL")
}

// TestServerKilledDuringWrites kills the PostgreSQL server while a writer
// loops, then restarts it: calls fail with connection errors while it is
// down, nothing torn is visible afterwards, and writes resume.
func TestServerKilledDuringWrites(t *testing.T) {
	const chunk, before, after = 200, 20, 20
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := pgtest.StartServer(t)
	s, err := Open(ctx, srv.Schema(t), Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	killNow := make(chan struct{})
	sawErrors := make(chan struct{})
	restarted := make(chan error, 1)
	go func() {
		<-killNow
		if err := srv.Kill(); err != nil {
			restarted <- err
			return
		}
		select {
		case <-sawErrors:
		case <-ctx.Done():
		}
		restarted <- srv.Restart(ctx)
	}()

	const (
		up   = iota // before the kill
		down        // killed (or about to be): calls fail
		back        // restarted: calls must succeed
	)
	phase, acked, errorsDown, okAfter := up, -1, 0, 0
	for k := 0; okAfter < after; k++ {
		err := s.StoreTrainingStats(ctx, "run", killStats(k, chunk))
		switch {
		case err == nil:
			acked = k
			if phase == back {
				okAfter++
			}
		case phase != down:
			t.Fatalf("call %d with the server up: %v", k, err)
		case !isConnectionError(err):
			t.Fatalf("call %d with the server down: got %v, want a clear connection error", k, err)
		default:
			errorsDown++
		}
		switch {
		case phase == up && k == before:
			close(killNow)
			phase = down
		case phase == down && errorsDown == 3:
			close(sawErrors)
			if err := <-restarted; err != nil {
				t.Fatalf("kill and restart: %v", err)
			}
			phase = back
		}
	}
	if errorsDown < 3 {
		t.Fatalf("got %d errors while the server was down, want 3", errorsDown)
	}

	got, err := s.RetrieveTrainingStats(ctx, "run")
	if err != nil {
		t.Fatalf("retrieve after restart: %v", err)
	}
	want := killStats(acked, chunk)
	if !got.Equal(want) {
		t.Fatalf("after restart: got %d entries, want the %d of the last acknowledged call, values intact", got.Len(), want.Len())
	}
	infos, err := s.ListRuns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || infos[0].TrainingIterations != got.Len() || infos[0].TrainedUntil != got.TrainedUntil() {
		t.Errorf("ListRuns after restart: got %+v, want counters matching %d entries", infos, got.Len())
	}
}

// TestReconnectAfterRestart restarts the server under a pool of idle
// connections: calls fail with a clear error while it is down, and the
// first call after the restart succeeds (dead pooled connections are
// retried or dropped, never handed to the caller as an error).
func TestReconnectAfterRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := pgtest.StartServer(t)
	s, err := Open(ctx, srv.Schema(t), Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	restarts := []struct {
		name       string
		stop       func() error
		callOnDown bool // make calls while the server is down (they empty the pool)
	}{
		{"kill", srv.Kill, true},
		{"stop", func() error { return srv.Stop(ctx) }, true},
		{"kill, idle while down", srv.Kill, false},
		{"stop, idle while down", func() error { return srv.Stop(ctx) }, false},
	}
	for i, r := range restarts {
		t.Run(r.name, func(t *testing.T) {
			// Fill the pool with idle connections.
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := s.ListRuns(ctx); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if err := s.StoreTrainingStats(ctx, "run", killStats(2*i, 10)); err != nil {
				t.Fatal(err)
			}
			if err := r.stop(); err != nil {
				t.Fatal(err)
			}
			if r.callOnDown {
				err := s.StoreTrainingStats(ctx, "run", killStats(2*i+1, 10))
				if err == nil || !isConnectionError(err) {
					t.Fatalf("store with the server down: got %v, want a clear connection error", err)
				}
				if _, err := s.RetrieveTrainingStats(ctx, "run"); err == nil || !isConnectionError(err) {
					t.Fatalf("retrieve with the server down: got %v, want a clear connection error", err)
				}
			}
			if err := srv.Restart(ctx); err != nil {
				t.Fatal(err)
			}
			if err := s.StoreTrainingStats(ctx, "run", killStats(2*i+1, 10)); err != nil {
				t.Fatalf("first call after the restart: %v", err)
			}
			got, err := s.RetrieveTrainingStats(ctx, "run")
			if err != nil {
				t.Fatal(err)
			}
			if want := killStats(2*i+1, 10); !got.Equal(want) {
				t.Errorf("after the restart: got %d entries, want %d", got.Len(), want.Len())
			}
		})
	}
}
