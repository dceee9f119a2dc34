package filestore

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/statstore/statstore"
)

// The crash and concurrency tests run writers and readers in other
// processes: the test binary re-executes itself with envChildMode set, and
// TestMain runs that child instead of the tests. A child gets its
// parameters as JSON in envChildArgs and reports on stdout, one line per
// event, flushed before it goes on (so a line a killed child printed is
// about something that happened).
const (
	envChildMode = "FILESTORE_TEST_CHILD"
	envChildArgs = "FILESTORE_TEST_CHILD_ARGS"
)

// childArgs are the parameters of a child process.
type childArgs struct {
	Dir    string // the store's directory
	Run    string // the run it writes
	Index  int    // which writer or reader it is (encoded in what it writes)
	Calls  int    // Store calls to make (0: until killed)
	Batch  int    // training entries added per call
	Runs   []string
	Shared string // the run two writers share
}

// childProgram returns the program a child runs in mode.
func childProgram(mode string) (func(ctx context.Context, a childArgs, out io.Writer) error, bool) {
	switch mode {
	case "killwriter":
		return killWriter, true
	case "solowriter":
		return soloWriter, true
	case "sharedwriter":
		return sharedWriter, true
	case "reader":
		return concurrentReader, true
	}
	return nil, false
}

func TestMain(m *testing.M) {
	if mode := os.Getenv(envChildMode); mode != "" {
		os.Exit(runChild(mode))
	}
	os.Exit(m.Run())
}

// runChild runs the child program mode and returns the exit code.
func runChild(mode string) int {
	prog, ok := childProgram(mode)
	if !ok {
		fmt.Fprintf(os.Stderr, "child: unknown mode %q\n", mode)
		return 2
	}
	var a childArgs
	if err := json.Unmarshal([]byte(os.Getenv(envChildArgs)), &a); err != nil {
		fmt.Fprintf(os.Stderr, "child: $%s: %v\n", envChildArgs, err)
		return 2
	}
	if err := prog(context.Background(), a, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "child %s: %v\n", mode, err)
		return 1
	}
	return 0
}

// child is a running child process and the lines it printed.
type child struct {
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	errb  bytes.Buffer

	waitOnce sync.Once
	waitErr  error

	mu    sync.Mutex
	lines []string
	ready chan struct{} // closed at the first line
	eof   chan struct{} // closed when stdout is drained
}

// startChild starts the test binary as a child running mode.
func startChild(tb testing.TB, name, mode string, a childArgs) *child {
	tb.Helper()
	js, err := json.Marshal(a)
	if err != nil {
		tb.Fatal(err)
	}
	c := &child{name: name, ready: make(chan struct{}), eof: make(chan struct{})}
	c.cmd = exec.Command(os.Args[0], "-test.run=^$")
	c.cmd.Env = append(os.Environ(), envChildMode+"="+mode, envChildArgs+"="+string(js))
	c.cmd.Stderr = &c.errb
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if c.stdin, err = c.cmd.StdinPipe(); err != nil {
		tb.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		tb.Fatalf("start child %s: %v", name, err)
	}
	tb.Cleanup(func() { // a failed test leaves no process behind
		c.kill()
		_, _ = c.wait()
	})
	go func() {
		defer close(c.eof)
		sc := bufio.NewScanner(out)
		first := true
		for sc.Scan() {
			c.mu.Lock()
			c.lines = append(c.lines, sc.Text())
			c.mu.Unlock()
			if first {
				close(c.ready)
				first = false
			}
		}
		if first {
			close(c.ready)
		}
	}()
	return c
}

// waitReady waits for the child's first line (or its end).
func (c *child) waitReady(tb testing.TB) {
	tb.Helper()
	select {
	case <-c.ready:
	case <-time.After(2 * time.Minute):
		c.kill()
		tb.Fatalf("child %s printed nothing in 2 minutes; stderr: %s", c.name, c.errb.String())
	}
}

// waitLines waits until the child has printed n lines (or ended).
func (c *child) waitLines(tb testing.TB, n int) {
	tb.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		c.mu.Lock()
		have := len(c.lines)
		c.mu.Unlock()
		select {
		case <-c.eof:
			return
		default:
		}
		if have >= n {
			return
		}
		if time.Now().After(deadline) {
			c.kill()
			tb.Fatalf("child %s printed %d lines in 2 minutes, want %d; stderr: %s", c.name, have, n, c.errb.String())
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// kill sends SIGKILL.
func (c *child) kill() { _ = c.cmd.Process.Kill() } // it may have exited already

// wait waits for the child to exit after its stdout is drained, returning
// its lines and its exit error.
func (c *child) wait() ([]string, error) {
	c.waitOnce.Do(func() {
		<-c.eof
		c.waitErr = c.cmd.Wait()
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lines, c.waitErr
}

// waitGo waits for the line on stdin with which the parent lets a child
// that it started ahead of time go.
func waitGo() error {
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return fmt.Errorf("wait for the go line: %w", err)
	}
	return nil
}

// start lets a child started ahead of time go (see waitGo).
func (c *child) start(tb testing.TB) {
	tb.Helper()
	if _, err := io.WriteString(c.stdin, "go\n"); err != nil {
		tb.Fatalf("child %s: %v", c.name, err)
	}
}

// emit prints one report line of a child.
func emit(out io.Writer, format string, args ...any) error {
	_, err := fmt.Fprintf(out, format+"\n", args...)
	return err
}

// parseLine splits a child's report line into its fields.
func parseLine(line string) []string { return strings.Fields(line) }

// sameScores reports whether two validation score lists are equal, the
// floats bit for bit, superseded marks included.
func sameScores(a, b []statstore.ValidationIterationScores) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Iteration != b[i].Iteration || a[i].Superseded != b[i].Superseded || len(a[i].Scores) != len(b[i].Scores) {
			return false
		}
		for d := range a[i].Scores {
			if len(a[i].Scores[d]) != len(b[i].Scores[d]) {
				return false
			}
			for p := range a[i].Scores[d] {
				if len(a[i].Scores[d][p]) != len(b[i].Scores[d][p]) {
					return false
				}
				for c := range a[i].Scores[d][p] {
					if math.Float64bits(a[i].Scores[d][p][c]) != math.Float64bits(b[i].Scores[d][p][c]) {
						return false
					}
				}
			}
		}
	}
	return true
}

// iterationsOf returns the iterations of validation entries.
func iterationsOf(entries []statstore.ValidationIterationScores) []int {
	out := make([]int, len(entries))
	for i, e := range entries {
		out[i] = e.Iteration
	}
	return out
}
