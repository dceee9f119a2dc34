//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/statstore/statstore/filestore"
)

// killLoss is the loss a kill test writer posts for iteration i: each
// iteration's own value, so that a misplaced or torn entry shows.
func killLoss(writer, i int) float64 { return float64(writer) + 1/float64(i+2) }

// killWriter posts appends to its own run until the server stops
// answering, and counts what the server acknowledged.
type killWriter struct {
	id    int
	run   string
	batch int // iterations per request
	// acked is the number of iterations (0..acked-1) the server answered
	// 2xx for; sent the number posted, answered or not.
	acked, sent int
	err         error // why it stopped, when not the kill
}

// post sends iterations from..from+n-1 and reports whether the server
// acknowledged them (2xx).
func (w *killWriter) post(ctx context.Context, c *http.Client, base string, from, n int) (bool, error) {
	var b bytes.Buffer
	b.WriteString(`{"iteration_stats":[`)
	for i := from; i < from+n; i++ {
		if i > from {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"iteration":%d,"loss":%s,"time":%d}`, i, strconv.FormatFloat(killLoss(w.id, i), 'g', -1, 64), i)
	}
	b.WriteString("]}")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"api/v1/runs/"+w.run+"/training", &b)
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return false, nil // the server is gone: not acknowledged
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return false, fmt.Errorf("POST %s: %s: %s", req.URL.Path, resp.Status, body)
	}
	return true, nil
}

var servingURL = regexp.MustCompile(`dashboard: (http://\S+/)`)

// TestKillDuringConcurrentWrites: a "statstore serve" child process on a
// file store takes appends from 8 to 32 concurrent writers (each its own
// run, batches of 1 to 300 iterations) and is killed with SIGKILL after a
// random number of acknowledged requests (the seed is logged: rerun with
// STATSTORE_KILL_SEED=N). Then every iteration the server acknowledged
// (answered 2xx) is in the store with the value posted, Verify finds no
// damage (at most a torn tail, which it classifies as such), and after
// Repair it finds nothing at all. Issue 13: the durability of concurrent
// (and group-committed) writes.
func TestKillDuringConcurrentWrites(t *testing.T) {
	bin := buildBinary(t)
	rounds := 3
	if testing.Short() {
		rounds = 1
	}
	for round := range rounds {
		seed := uint64(time.Now().UnixNano())
		if s := os.Getenv("STATSTORE_KILL_SEED"); s != "" {
			v, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				t.Fatalf("STATSTORE_KILL_SEED=%q: %v", s, err)
			}
			seed = v
		}
		t.Run(strconv.Itoa(round), func(t *testing.T) {
			t.Logf("seed %d (STATSTORE_KILL_SEED=%d reruns it)", seed, seed)
			killDuringWrites(t, bin, rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)))
		})
	}
}

func killDuringWrites(t *testing.T, bin string, rng *rand.Rand) {
	dir := t.TempDir()
	cmd := exec.Command(bin, "--store", dir, "serve", "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "STATSTORE=")
	outR, outW := io.Pipe()
	cmd.Stdout, cmd.Stderr = outW, outW
	out := watchLines(outR, "Press Ctrl+C")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		outW.Close()
		exited <- err
	}()
	defer func() { _ = cmd.Process.Kill() }()
	select {
	case <-out.found:
	case err := <-exited:
		t.Fatalf("serve exited before it was ready (%v):\n%s", err, out)
	case <-time.After(time.Minute):
		t.Fatalf("serve did not start within a minute:\n%s", out)
	}
	m := servingURL.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no dashboard URL in serve's output:\n%s", out)
	}
	base := m[1]

	writers := make([]*killWriter, 8+rng.IntN(25))
	for i := range writers {
		writers[i] = &killWriter{id: i, run: fmt.Sprintf("kill_%02d", i), batch: 1 + rng.IntN(300)}
	}
	killAfter := int64(len(writers) + rng.IntN(40*len(writers)))
	t.Logf("%d writers, kill after %d acknowledged requests", len(writers), killAfter)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: len(writers)}}
	var (
		acks   atomic.Int64
		killed = make(chan struct{})
		once   sync.Once
		wg     sync.WaitGroup
	)
	kill := func() {
		once.Do(func() {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Errorf("SIGKILL: %v", err)
			}
			close(killed)
		})
	}
	for _, w := range writers {
		wg.Go(func() {
			for ctx.Err() == nil {
				w.sent = w.acked + w.batch
				ok, err := w.post(ctx, c, base, w.acked, w.batch)
				if err != nil {
					w.err = err
					kill()
					return
				}
				if !ok {
					return
				}
				w.acked += w.batch
				if acks.Add(1) == killAfter {
					kill()
				}
			}
		})
	}
	wg.Wait()
	kill() // in case every writer stopped first
	<-killed
	err := <-exited
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		t.Fatalf("serve ended with %v, want killed by SIGKILL:\n%s", err, out)
	}
	if ws, ok := exitErr.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("serve ended with %v, want killed by SIGKILL:\n%s", err, out)
	}
	for _, w := range writers {
		if w.err != nil {
			t.Fatalf("writer %d: %v", w.id, w.err)
		}
	}

	bg := context.Background()
	rep, err := filestore.Verify(bg, dir)
	if err != nil {
		t.Fatal(err)
	}
	torn := 0
	for _, f := range rep.Files {
		if f.Err != nil {
			t.Errorf("after the kill, %s is damaged beyond a torn tail: %v", f.Path, f.Err)
		}
		if f.TornTail {
			torn++
		}
	}
	t.Logf("after the kill: %d files, %d with a torn tail", len(rep.Files), torn)
	if _, err := filestore.Repair(bg, dir, nil); err != nil {
		t.Fatal(err)
	}
	if rep, err = filestore.Verify(bg, dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Files {
		if f.Err != nil || f.TornTail {
			t.Errorf("after Repair, %s: torn tail %v, damage %v", f.Path, f.TornTail, f.Err)
		}
	}

	s, err := filestore.Open(dir, filestore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var total int
	for _, w := range writers {
		total += w.acked
		ts, err := s.RetrieveTrainingStats(bg, w.run)
		if w.acked == 0 && err != nil {
			continue // nothing acknowledged, nothing need be there
		}
		if err != nil {
			t.Errorf("run %s (%d iterations acknowledged): %v", w.run, w.acked, err)
			continue
		}
		got := ts.IterationStats
		// Every acknowledged iteration is there; what follows (posted,
		// not answered) may be there too, whole and in order.
		if len(got) < w.acked || len(got) > w.sent {
			t.Errorf("run %s holds %d iterations, want %d acknowledged (at most %d posted)", w.run, len(got), w.acked, w.sent)
		}
		for i, e := range got {
			if e.Iteration != i || e.Loss != killLoss(w.id, i) || e.Time != float64(i) {
				t.Errorf("run %s entry %d = %+v, want iteration %d loss %v time %d", w.run, i, e, i, killLoss(w.id, i), i)
				break
			}
		}
	}
	if total == 0 {
		t.Errorf("no iteration was acknowledged before the kill: the test tested nothing\n%s", out)
	}
	t.Logf("%d iterations acknowledged by the killed server, all present", total)
}
