package filestore

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/statstore/statstore"
)

var killSeed = flag.Uint64("kill.seed", 0, "seed of TestKill's random kill delays (0: from the clock)")

// The kill test's writer: DaCapo's trainer, storing its whole history every
// killCallIters iterations and the validation scores of its checkpoints
// every killValEvery-th call. When the history reaches killMaxUntil it
// "resumes from the checkpoint" at killResumeAt: an overwrite of both files.
const (
	killCallIters = 1000
	killValEvery  = 3
	killMaxUntil  = 24_000
	killResumeAt  = 6_000
	killMinKills  = 100
	killPool      = 3                    // writers started ahead of their turn
	killMaxLines  = 6                    // the kill comes after 1 to 6 report lines,
	killMaxDelay  = 3 * time.Millisecond // and a delay of up to 3 ms
	// killFinalCheckpoint is the validation iteration the test's last write
	// adds: beyond any checkpoint, so the write is an append.
	killFinalCheckpoint = 1_000_000
)

// killHistory returns the training entries of the first n iterations, the
// same in every process (NaN and ±Inf included).
func killHistory(n int) []statstore.TrainingIterationStats { return history(0, 1, n) }

// killCheckpoints returns the validated checkpoints once the history has
// reached n (a multiple of killValEvery·killCallIters): 0, 3000, ..., n.
// n = 0 means nothing was validated.
func killCheckpoints(n int) []int {
	if n == 0 {
		return nil
	}
	var out []int
	for it := 0; it <= n; it += killValEvery * killCallIters {
		out = append(out, it)
	}
	return out
}

// killWriter is the child of TestKill: once a line arrives on stdin, it resumes from what the store holds
// and stores forever (or a.Calls times), printing "T begin n" before and
// "T ack n" after each training call that stores the first n iterations,
// and "V begin n" / "V ack n" around each validation call that stores
// killCheckpoints(n).
func killWriter(ctx context.Context, a childArgs, out io.Writer) error {
	// The parent starts writers ahead of time and lets each go in turn.
	if err := waitGo(); err != nil {
		return err
	}
	s, err := Open(a.Dir, Options{})
	if err != nil {
		return err
	}
	defer func() { _ = s.Close() }() // killed before it matters
	got, err := s.RetrieveTrainingStats(ctx, a.Run)
	if err != nil {
		return err
	}
	val, err := s.RetrieveValidationIterationScores(ctx, a.Run)
	if err != nil {
		return err
	}
	validated := 0
	if len(val) > 0 {
		validated = val[len(val)-1].Iteration + 1
	}
	if err := emit(out, "ready %d %d", got.TrainedUntil(), validated); err != nil {
		return err
	}
	all := killHistory(killMaxUntil)
	until := got.TrainedUntil()
	for call := 0; a.Calls == 0 || call < a.Calls; call++ {
		next := until + killCallIters
		if until >= killMaxUntil {
			next = killResumeAt
		}
		if err := emit(out, "T begin %d", next); err != nil {
			return err
		}
		if err := s.StoreTrainingStats(ctx, a.Run, &statstore.TrainingStats{IterationStats: all[:next]}); err != nil {
			return err
		}
		if err := emit(out, "T ack %d", next); err != nil {
			return err
		}
		until = next
		if next%(killValEvery*killCallIters) != 0 {
			continue
		}
		if err := emit(out, "V begin %d", next); err != nil {
			return err
		}
		if err := s.StoreValidationIterationScores(ctx, a.Run, scores(killCheckpoints(next)...)); err != nil {
			return err
		}
		if err := emit(out, "V ack %d", next); err != nil {
			return err
		}
	}
	return nil
}

// killState is what the store must hold as of the last acknowledged call:
// the history's length and the validated checkpoints (each with its
// superseded mark), and the calls in flight when the writer died (-1 for
// none).
type killState struct {
	train, trainFlight int
	val                map[int]bool // checkpoint → superseded
	valFlight          int
}

// clone returns a copy of st that can be changed without changing st.
func (st killState) clone() killState {
	st.val = maps.Clone(st.val)
	return st
}

// storeTraining applies a training call storing the first n iterations:
// an append, or a replace (resumed from an earlier checkpoint) that marks
// the checkpoints after its rewind point superseded.
func (st *killState) storeTraining(n int) {
	if n <= st.train {
		rewind := statstore.RewindPoint(killHistory(st.train), killHistory(n))
		for it := range st.val {
			if statstore.Supersedes(rewind, it) {
				st.val[it] = true
			}
		}
	}
	st.train = n
}

// storeValidation applies a validation call storing killCheckpoints(n):
// merged by iteration. A checkpoint not stored yet is inserted current; a
// stored one is sent again with the same scores (scores() depends only on
// the iteration), so it is unchanged and keeps its superseded mark.
func (st *killState) storeValidation(n int) {
	if st.val == nil {
		st.val = map[int]bool{}
	}
	for _, it := range killCheckpoints(n) {
		if _, ok := st.val[it]; !ok {
			st.val[it] = false
		}
	}
}

// validatedUntil returns the largest validated checkpoint + 1, 0 for none.
func (st *killState) validatedUntil() int {
	until := 0
	for it := range st.val {
		until = max(until, it+1)
	}
	return until
}

// wantScores returns the validation entries st holds.
func (st *killState) wantScores() []statstore.ValidationIterationScores {
	its := slices.Sorted(maps.Keys(st.val))
	out := scores(its...).Scores
	for i := range out {
		out[i].Superseded = st.val[its[i]]
	}
	return out
}

// apply follows a writer's report lines from its "ready" line on.
func (st *killState) apply(lines []string) error {
	if len(lines) == 0 {
		return nil // killed before it printed anything
	}
	f := parseLine(lines[0])
	if len(f) != 3 || f[0] != "ready" || f[1] != strconv.Itoa(st.train) || f[2] != strconv.Itoa(st.validatedUntil()) {
		return fmt.Errorf("writer started with %q, want \"ready %d %d\" (what the store held)", lines[0], st.train, st.validatedUntil())
	}
	for _, line := range lines[1:] {
		f := parseLine(line)
		if len(f) != 3 {
			return fmt.Errorf("bad report line %q", line)
		}
		n, err := strconv.Atoi(f[2])
		if err != nil {
			return fmt.Errorf("bad report line %q: %v", line, err)
		}
		flight, store := &st.trainFlight, st.storeTraining
		if f[0] == "V" {
			flight, store = &st.valFlight, st.storeValidation
		}
		switch {
		case f[1] == "begin" && *flight == -1:
			*flight = n
		case f[1] == "ack" && *flight == n:
			store(n)
			*flight = -1
		default:
			return fmt.Errorf("report line %q out of order (in flight: training %d, validation %d)", line, st.trainFlight, st.valFlight)
		}
	}
	return nil
}

// check compares what dir holds with the acknowledged state, or the state
// after the call in flight (for a training replace: the new history and
// the validations after its rewind point superseded, both or neither), and
// makes that the state. It returns the number of files Verify found with
// a torn tail.
func (st *killState) check(ctx context.Context, dir, run string) (torn int, err error) {
	r, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		return 0, err
	}
	defer func() { _ = r.Close() }() // read-only
	got, err := r.RetrieveTrainingStats(ctx, run)
	if err != nil {
		return 0, fmt.Errorf("RetrieveTrainingStats: %w", err)
	}
	val, err := r.RetrieveValidationIterationScores(ctx, run)
	if err != nil {
		return 0, fmt.Errorf("RetrieveValidationIterationScores: %w", err)
	}
	before := st.clone()
	before.trainFlight, before.valFlight = -1, -1
	candidates := []killState{before}
	if st.trainFlight >= 0 {
		after := before.clone()
		after.storeTraining(st.trainFlight)
		candidates = append(candidates, after)
	}
	if st.valFlight >= 0 {
		after := before.clone()
		after.storeValidation(st.valFlight)
		candidates = append(candidates, after)
	}
	all := killHistory(killMaxUntil)
	found := false
	for _, c := range candidates {
		if sameHistory(got.IterationStats, all[:c.train]) && sameScores(val, c.wantScores()) {
			*st, found = c, true
			break
		}
	}
	if !found {
		return 0, fmt.Errorf("training stats: %d entries, last %v; validation iterations %v (superseded %v); want the first %d iterations and validations %v (acknowledged), or the state after the call in flight (training %d, validation %d)",
			got.Len(), lastEntry(got), iterationsOf(val), supersededOf(val), st.train, before.wantScores(), st.trainFlight, st.valFlight)
	}
	rep, err := Verify(ctx, dir)
	if err != nil {
		return 0, fmt.Errorf("Verify: %w", err)
	}
	if !rep.OK() {
		return 0, fmt.Errorf("Verify found corruption: %+v", rep.Files)
	}
	for _, f := range rep.Files {
		if f.TornTail {
			torn++
		}
	}
	// The run's summary, kept or (stale after the kill) recomputed, is
	// what recomputing from the history gives.
	if err := checkSummary(ctx, r, run); err != nil {
		return 0, err
	}
	return torn, nil
}

// checkSummary fails unless the summary r lists for run, and its summary
// file when that is current, equal statstore.Summarize of run's history.
func checkSummary(ctx context.Context, r *Store, run string) error {
	want, err := statstore.SummarizeRun(ctx, r, run)
	if err != nil {
		return fmt.Errorf("SummarizeRun: %w", err)
	}
	page, err := r.RunSummaries(ctx, statstore.RunQuery{})
	if err != nil {
		return fmt.Errorf("RunSummaries: %w", err)
	}
	infos, err := r.ListRuns(ctx)
	if err != nil {
		return fmt.Errorf("ListRuns: %w", err)
	}
	if len(infos) == 0 {
		// Killed before its first write reached a file: the run does
		// not exist, and no summary may say it does.
		if len(page.Runs) != 0 {
			return fmt.Errorf("RunSummaries: got %+v for a run with no files", page.Runs)
		}
		return nil
	}
	if len(page.Runs) != 1 || !statstore.EqualSummaries(page.Runs[0], want) {
		return fmt.Errorf("RunSummaries: got %+v, want %+v (recomputed)", page.Runs, want)
	}
	stamps, err := r.stamps(run)
	if err != nil {
		return err
	}
	if kept, ok := r.readSummary(run, stamps); ok && !statstore.EqualSummaries(kept, want) {
		return fmt.Errorf("the current summary file: got %+v, want %+v (recomputed)", kept, want)
	}
	return nil
}

// supersededOf returns the superseded iterations of validation entries.
func supersededOf(entries []statstore.ValidationIterationScores) []int {
	var out []int
	for _, e := range entries {
		if e.Superseded {
			out = append(out, e.Iteration)
		}
	}
	return out
}

// killedBySignal reports whether a child's exit error says SIGKILL ended it.
func killedBySignal(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

func lastEntry(t *statstore.TrainingStats) any {
	if t.Len() == 0 {
		return "none"
	}
	return t.IterationStats[t.Len()-1]
}

// TestKill runs a writer in a child process, kills it with SIGKILL at a
// random moment, checks that the store holds every acknowledged call and
// nothing of a call in part, and restarts the writer on the same store,
// at least killMinKills times; then a last writer appends to the store and
// Verify finds it clean. The delays come from -kill.seed (logged).
func TestKill(t *testing.T) {
	seed := *killSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("kill delays from -kill.seed=%d", seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	ctx := t.Context()
	dir := t.TempDir()
	const run = "killed"
	st := killState{trainFlight: -1, valFlight: -1, val: map[int]bool{}}
	kills, torn, midCall := 0, 0, 0
	// Writers start (a slow exec under the race detector) ahead of their
	// turn and wait for a line on stdin.
	var pool []*child
	started := 0
	for round := 0; kills < killMinKills; round++ {
		for ; len(pool) < killPool; started++ {
			pool = append(pool, startChild(t, fmt.Sprintf("writer %d", started), "killwriter", childArgs{Dir: dir, Run: run}))
		}
		c := pool[0]
		pool = pool[1:]
		// The kill comes a random delay after a random number of report
		// lines: inside calls, between them, in the first call after a
		// restart, ...
		after := 1 + rng.IntN(killMaxLines)
		delay := time.Duration(rng.Int64N(int64(killMaxDelay)))
		c.start(t)
		c.waitLines(t, after)
		time.Sleep(delay)
		c.kill()
		lines, err := c.wait()
		if !killedBySignal(err) {
			t.Fatalf("round %d: writer ended by itself (%v), want it killed; stderr: %s", round, err, c.errb.String())
		}
		kills++
		if err := st.apply(lines); err != nil {
			t.Fatalf("round %d (killed %v after line %d): %v", round, delay, after, err)
		}
		if st.trainFlight >= 0 || st.valFlight >= 0 {
			midCall++
		}
		n, err := st.check(ctx, dir, run)
		if err != nil {
			t.Fatalf("round %d: after a kill %v after line %d (%d report lines): %v", round, delay, after, len(lines), err)
		}
		torn += n
	}
	t.Logf("%d kills (%d inside a call, %d torn tails seen); history at %d iterations, validated %v",
		kills, midCall, torn, st.train, st.wantScores())

	// The store opens and accepts more writes; the writer truncates the
	// torn tails with a warning, after which Verify finds nothing.
	log, buf := logBuffer()
	s, err := Open(dir, Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	before, err := Verify(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	all := killHistory(st.train + killCallIters)
	if err := s.StoreTrainingStats(ctx, run, &statstore.TrainingStats{IterationStats: all}); err != nil {
		t.Fatalf("store after the kills: %v", err)
	}
	if err := s.StoreValidationIterationScores(ctx, run, scores(killFinalCheckpoint)); err != nil {
		t.Fatalf("store validation after the kills: %v", err)
	}
	got, err := s.RetrieveTrainingStats(ctx, run)
	if err != nil || !sameHistory(got.IterationStats, all) {
		t.Fatalf("after the last write: %d entries (%v), want %d", got.Len(), err, len(all))
	}
	val, err := s.RetrieveValidationIterationScores(ctx, run)
	st.val[killFinalCheckpoint] = false
	if err != nil || !sameScores(val, st.wantScores()) {
		t.Fatalf("after the last write: validation iterations %v (%v), want %v", iterationsOf(val), err, iterationsOf(st.wantScores()))
	}
	after, err := Verify(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range after.Files {
		if f.Err != nil || f.TornTail {
			t.Errorf("Verify after the last write: %+v, want clean", f)
		}
	}
	for _, f := range before.Files {
		if f.TornTail && !strings.Contains(buf.String(), "level=WARN") {
			t.Errorf("%s had a torn tail, but the writer logged no warning: %q", f.Path, buf.String())
		}
	}
	if left, err := os.ReadDir(filepath.Join(dir, tmpDir)); err == nil && len(left) > 0 {
		t.Logf("%d temporary files left in %s by killed overwrites", len(left), tmpDir)
	}
}
