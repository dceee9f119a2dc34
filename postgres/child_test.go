package postgres

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/statstore/statstore"
)

// Child processes: TestMain runs runChild instead of the tests when
// childEnv is set, so a test can re-execute its own binary as writers.
const (
	childEnv    = "POSTGRES_TEST_CHILD" // the writer id
	childURL    = "POSTGRES_TEST_URL"
	childRunEnv = "POSTGRES_TEST_RUN"
	childCalls  = "POSTGRES_TEST_CALLS"
	childChunk  = "POSTGRES_TEST_CHUNK"
)

// childStats is what writer w stores in call k: the cumulative history up
// to iteration (k+1)·chunk − 1, as a trainer storing its whole stats does,
// each entry tagged with its writer (loss) and call (time).
func childStats(w, k, chunk int) *statstore.TrainingStats {
	st := &statstore.TrainingStats{IterationStats: make([]statstore.TrainingIterationStats, (k+1)*chunk)}
	for i := range st.IterationStats {
		st.IterationStats[i] = statstore.TrainingIterationStats{Iteration: i, Loss: float64(w), Time: float64(k)}
	}
	return st
}

// runChild is a writer process: it opens the store (racing the other
// writers to migrate the schema), makes its calls and prints "ack <k>" to
// stdout after each acknowledged one.
func runChild() int {
	w, err1 := strconv.Atoi(os.Getenv(childEnv))
	calls, err2 := strconv.Atoi(os.Getenv(childCalls))
	chunk, err3 := strconv.Atoi(os.Getenv(childChunk))
	if err1 != nil || err2 != nil || err3 != nil {
		fmt.Fprintln(os.Stderr, "child: bad environment")
		return 2
	}
	ctx := context.Background()
	s, err := Open(ctx, os.Getenv(childURL), Options{MaxConns: 2})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: open:", err)
		return 1
	}
	defer s.Close()
	run := os.Getenv(childRunEnv)
	for k := 0; k < calls; k++ {
		if err := s.StoreTrainingStats(ctx, run, childStats(w, k, chunk)); err != nil {
			fmt.Fprintf(os.Stderr, "child %d: call %d: %v\n", w, k, err)
			return 1
		}
		fmt.Printf("ack %d\n", k)
	}
	return 0
}

// childResult is what a writer process did.
type childResult struct {
	writer int
	run    string
	acks   []int
	err    error
	stderr string
}

// runChildren starts one writer process per run name in runs (writer i
// writes runs[i]), all at once, and waits for them.
func runChildren(t *testing.T, url string, runs []string, calls, chunk int) []childResult {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	results := make([]childResult, len(runs))
	var wg sync.WaitGroup
	for w, run := range runs {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+strconv.Itoa(w), childURL+"="+url, childRunEnv+"="+run,
			childCalls+"="+strconv.Itoa(calls), childChunk+"="+strconv.Itoa(chunk))
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := childResult{writer: w, run: run, err: cmd.Wait(), stderr: stderr.String()}
			sc := bufio.NewScanner(&stdout)
			for sc.Scan() {
				if k, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
					n, err := strconv.Atoi(k)
					if err == nil {
						r.acks = append(r.acks, n)
					}
				}
			}
			results[w] = r
		}()
	}
	wg.Wait()
	return results
}
