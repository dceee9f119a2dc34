package filestore

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/storetest"
)

// The concurrency test's workload: concSolo runs with one writer process
// each, and one run two writer processes share, while concReaders reader
// processes read all of them. Every training call adds concBatch entries
// whose values encode their run and call, so a reader can tell a whole
// call from part of one.
const (
	concSolo        = 4
	concReaders     = 2
	concBatch       = 50
	concCalls       = 60
	concValEvery    = 5 // solo writers store validation scores every 5th call
	concSharedRun   = "shared"
	concSharedIndex = concSolo
	// concSentinel is a validation iteration every call to the shared run
	// stores: the stored scores then never reach further than a call's, so
	// each call appends its own new checkpoints (validated "late") and
	// never replaces the other writer's.
	concSentinel = 1_000_000
)

// concSoloRun returns the name of solo run i.
func concSoloRun(i int) string { return "solo" + strconv.Itoa(i) }

// concEntry is the training entry of iteration it of run index idx: the
// loss encodes the run and the iteration, the time the call that added it.
func concEntry(idx, it int) statstore.TrainingIterationStats {
	return statstore.TrainingIterationStats{Iteration: it, Loss: float64(idx)*1e7 + float64(it), Time: float64(it / concBatch)}
}

// concHistory returns the first n training entries of run index idx.
func concHistory(idx, n int) []statstore.TrainingIterationStats {
	out := make([]statstore.TrainingIterationStats, n)
	for i := range out {
		out[i] = concEntry(idx, i)
	}
	return out
}

// concCheckHistory checks that entries are a whole number of calls of run
// index idx, bit-exact.
func concCheckHistory(idx int, entries []statstore.TrainingIterationStats) error {
	if len(entries)%concBatch != 0 {
		return fmt.Errorf("%d entries: not a whole number of %d-entry calls", len(entries), concBatch)
	}
	for i, e := range entries {
		if want := concEntry(idx, i); !sameHistory([]statstore.TrainingIterationStats{e}, []statstore.TrainingIterationStats{want}) {
			return fmt.Errorf("entry %d is %+v, want %+v", i, e, want)
		}
	}
	return nil
}

// concSoloCheckpoints returns the checkpoints a solo run has validated
// once its history has reached n: 0, 250, ..., the last multiple of
// concValEvery·concBatch up to n (none before the first validation).
func concSoloCheckpoints(n int) []int {
	step := concValEvery * concBatch
	if n < step {
		return nil
	}
	return storetest.Iters(0, n/step*step+1, step)
}

// concSharedIters returns the validation iterations writer w adds to the
// shared run in its call j: two, so that part of a call is detectable.
func concSharedIters(w, j int) []int { return []int{4*j + 2*w, 4*j + 2*w + 1} }

// concSharedScores returns what writer w stores in its call k: the
// checkpoints of its calls 0..k and the sentinel.
func concSharedScores(w, k int) *statstore.ValidationScores {
	var iters []int
	for j := 0; j <= k; j++ {
		iters = append(iters, concSharedIters(w, j)...)
	}
	return scores(append(iters, concSentinel)...)
}

// soloWriter is a child writing solo run a.Index: a.Calls calls, each the
// whole history grown by concBatch entries, and every concValEvery-th call
// the validation scores of its checkpoints.
func soloWriter(ctx context.Context, a childArgs, out io.Writer) error {
	if err := waitGo(); err != nil { // all writers start together
		return err
	}
	s, err := Open(a.Dir, Options{})
	if err != nil {
		return err
	}
	defer func() { _ = s.Close() }() // a Store has nothing to flush
	all := concHistory(a.Index, a.Calls*concBatch)
	for k := range a.Calls {
		n := (k + 1) * concBatch
		if err := s.StoreTrainingStats(ctx, a.Run, &statstore.TrainingStats{IterationStats: all[:n]}); err != nil {
			return err
		}
		if err := emit(out, "T ack %d", n); err != nil {
			return err
		}
		if (k+1)%concValEvery == 0 {
			if err := s.StoreValidationIterationScores(ctx, a.Run, scores(concSoloCheckpoints(n)...)); err != nil {
				return err
			}
		}
	}
	return nil
}

// sharedWriter is child a.Index of the two writing the shared run: each
// call reads the history, checks it, and stores it grown by concBatch
// entries (DaCapo's resume-and-store), then stores its validation
// checkpoints with the sentinel. It prints "T begin n" before each
// training call that stores the first n entries.
func sharedWriter(ctx context.Context, a childArgs, out io.Writer) error {
	if err := waitGo(); err != nil { // all writers start together
		return err
	}
	s, err := Open(a.Dir, Options{})
	if err != nil {
		return err
	}
	defer func() { _ = s.Close() }() // a Store has nothing to flush
	for k := range a.Calls {
		got, err := s.RetrieveTrainingStats(ctx, a.Run)
		if err != nil {
			return err
		}
		if err := concCheckHistory(concSharedIndex, got.IterationStats); err != nil {
			return fmt.Errorf("writer %d read the shared run: %w", a.Index, err)
		}
		n := got.Len() + concBatch
		if err := emit(out, "T begin %d", n); err != nil {
			return err
		}
		if err := s.StoreTrainingStats(ctx, a.Run, &statstore.TrainingStats{IterationStats: concHistory(concSharedIndex, n)}); err != nil {
			return err
		}
		if err := s.StoreValidationIterationScores(ctx, a.Run, concSharedScores(a.Index, k)); err != nil {
			return err
		}
	}
	return nil
}

// concReadState is what one reader has seen of the runs.
type concReadState struct {
	soloTrain, soloVal []int // the longest history and most checkpoints seen per solo run
	sharedSeen         map[int]bool
}

// concurrentReader is a reader child: it reads every run in turn, checking
// that each read is a whole number of calls, until its stdin closes; then
// it prints "reads <rounds>" and "seen <n>..." (the shared run's history
// lengths it saw). Reader 0 keeps one Store; reader 1 opens one per round,
// as a dashboard polling the directory would.
func concurrentReader(ctx context.Context, a childArgs, out io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(io.Discard, os.Stdin) // the parent closes it to stop us
		cancel()
	}()
	st := concReadState{soloTrain: make([]int, concSolo), soloVal: make([]int, concSolo), sharedSeen: map[int]bool{}}
	var keep *Store
	rounds := 0
	for ; ctx.Err() == nil; rounds++ {
		s := keep
		if s == nil {
			var err error
			if s, err = Open(a.Dir, Options{ReadOnly: true}); err != nil {
				return err
			}
		}
		err := st.round(context.Background(), s)
		if a.Index == 0 {
			keep = s
		} else {
			_ = s.Close() // read-only
		}
		if err != nil {
			return fmt.Errorf("reader %d round %d: %w", a.Index, rounds, err)
		}
		if rounds == 0 {
			if err := emit(out, "ready"); err != nil {
				return err
			}
		}
	}
	<-done
	seen := make([]string, 0, len(st.sharedSeen))
	for n := range st.sharedSeen {
		seen = append(seen, strconv.Itoa(n))
	}
	if err := emit(out, "reads %d", rounds); err != nil {
		return err
	}
	return emit(out, "seen %s", strings.Join(seen, " "))
}

// round reads every run once and checks what it reads.
func (st *concReadState) round(ctx context.Context, s *Store) error {
	for i := range concSolo {
		if err := st.readSolo(ctx, s, i); err != nil {
			return fmt.Errorf("run %s: %w", concSoloRun(i), err)
		}
	}
	if err := st.readShared(ctx, s); err != nil {
		return fmt.Errorf("run %s: %w", concSharedRun, err)
	}
	runs, err := s.ListRuns(ctx)
	if err != nil {
		return err
	}
	for _, r := range runs {
		if r.TrainedUntil%concBatch != 0 || r.TrainingIterations != r.TrainedUntil {
			return fmt.Errorf("ListRuns: %+v, want a whole number of %d-entry calls", r, concBatch)
		}
	}
	return nil
}

// readSolo reads solo run i: its history and checkpoints only grow, in
// whole calls.
func (st *concReadState) readSolo(ctx context.Context, s *Store, i int) error {
	run := concSoloRun(i)
	got, err := s.RetrieveTrainingStats(ctx, run)
	if err != nil {
		return err
	}
	if err := concCheckHistory(i, got.IterationStats); err != nil {
		return err
	}
	if got.Len() < st.soloTrain[i] {
		return fmt.Errorf("history of %d entries after one of %d: a reader saw an append undone", got.Len(), st.soloTrain[i])
	}
	st.soloTrain[i] = got.Len()
	if err := checkSubsample(ctx, s, run, i, got.Len()); err != nil {
		return err
	}
	val, err := s.RetrieveValidationIterationScores(ctx, run)
	if err != nil {
		return err
	}
	var want []int
	if len(val) > 0 {
		want = concSoloCheckpoints(val[len(val)-1].Iteration)
	}
	if !sameScores(val, scores(want...).Scores) {
		return fmt.Errorf("validation iterations %v, want 0, %d, ... up to the last", iterationsOf(val), concValEvery*concBatch)
	}
	if len(val) < st.soloVal[i] {
		return fmt.Errorf("%d validation entries after %d", len(val), st.soloVal[i])
	}
	st.soloVal[i] = len(val)
	return nil
}

// checkSubsample checks a stride subsample of a run that held at least
// `least` entries a moment ago (0 for the shared run, which may shrink):
// points of the run, from iteration 0 to the end of a whole call.
func checkSubsample(ctx context.Context, s *Store, run string, idx, least int) error {
	sub, err := s.SubsampleTraining(ctx, run, statstore.SubsampleOptions{MaxPoints: 20})
	if err != nil {
		return err
	}
	if least == 0 && len(sub) == 0 {
		return nil
	}
	if len(sub) == 0 {
		return fmt.Errorf("empty subsample of a run with %d entries", least)
	}
	end := sub[len(sub)-1].Iteration + 1
	if sub[0].Iteration != 0 || end%concBatch != 0 || end < least {
		return fmt.Errorf("subsample %v of a run with at least %d entries: want iteration 0 first and the end of a call last", sub, least)
	}
	for _, e := range sub {
		if want := concEntry(idx, e.Iteration); e != want {
			return fmt.Errorf("subsample point %+v, want %+v", e, want)
		}
	}
	return nil
}

// readShared reads the shared run: whole calls of training, and for each
// writer the checkpoints of a prefix of its calls, each call whole.
func (st *concReadState) readShared(ctx context.Context, s *Store) error {
	got, err := s.RetrieveTrainingStats(ctx, concSharedRun)
	if err != nil {
		return err
	}
	if err := concCheckHistory(concSharedIndex, got.IterationStats); err != nil {
		return err
	}
	st.sharedSeen[got.Len()] = true
	if err := checkSubsample(ctx, s, concSharedRun, concSharedIndex, 0); err != nil {
		return err
	}
	val, err := s.RetrieveValidationIterationScores(ctx, concSharedRun)
	if err != nil {
		return err
	}
	return checkSharedScores(val, -1)
}

// checkSharedScores checks the shared run's validation entries: correct
// values, the sentinel, and for each writer whole calls 0..k (all its
// concCalls calls when complete is the number of calls, -1 for any k).
func checkSharedScores(val []statstore.ValidationIterationScores, complete int) error {
	if len(val) == 0 && complete < 0 {
		return nil
	}
	iters := iterationsOf(val)
	// A writer that read the history before the other one extended it
	// stores a shorter one: a replace, which supersedes the validations
	// after it (the sentinel among them) until they are stored again. The
	// marks are not checked here: the values are.
	val = slices.Clone(val)
	for i := range val {
		val[i].Superseded = false
	}
	if !sameScores(val, scores(iters...).Scores) || iters[len(iters)-1] != concSentinel {
		return fmt.Errorf("validation iterations %v: wrong values or no sentinel %d", iters, concSentinel)
	}
	for w := range 2 {
		var want []int
		for j := 0; ; j++ {
			c := concSharedIters(w, j)
			has := slices.Contains(iters, c[0])
			if has != slices.Contains(iters, c[1]) {
				return fmt.Errorf("validation iterations %v hold part of writer %d's call %d (%v)", iters, w, j, c)
			}
			if !has || (complete >= 0 && j >= complete) {
				break
			}
			want = append(want, c...)
		}
		if complete >= 0 && len(want) != 2*complete {
			return fmt.Errorf("validation iterations %v: writer %d's acknowledged calls %d..%d are missing", iters, w, len(want)/2, complete-1)
		}
		for _, it := range iters {
			if it != concSentinel && (it%4)/2 == w && !slices.Contains(want, it) {
				return fmt.Errorf("validation iterations %v: writer %d's call %d is there without its calls before", iters, w, it/4)
			}
		}
	}
	return nil
}

// TestConcurrentProcesses runs concSolo writer processes on runs of their
// own and two on a shared run, while concReaders reader processes check
// that every read is a whole number of calls; then checks that no
// acknowledged call is missing, that the shared run's history is what its
// last call stored, and that Verify finds every file clean.
func TestConcurrentProcesses(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	var readers []*child
	for r := range concReaders {
		c := startChild(t, fmt.Sprintf("reader %d", r), "reader", childArgs{Dir: dir, Index: r})
		c.waitReady(t)
		readers = append(readers, c)
	}
	var writers []*child
	for i := range concSolo {
		writers = append(writers, startChild(t, concSoloRun(i), "solowriter",
			childArgs{Dir: dir, Run: concSoloRun(i), Index: i, Calls: concCalls}))
	}
	for w := range 2 {
		writers = append(writers, startChild(t, fmt.Sprintf("shared writer %d", w), "sharedwriter",
			childArgs{Dir: dir, Run: concSharedRun, Index: w, Calls: concCalls}))
	}
	for _, c := range writers {
		c.start(t)
	}
	// inputs[n]: some call stored the first n entries of the shared run;
	// last[w]: what writer w's last call stored.
	inputs := map[int]bool{0: true}
	var last []int
	for _, c := range writers {
		lines, err := c.wait()
		if err != nil {
			t.Fatalf("%s: %v; stderr: %s", c.name, err, c.errb.String())
		}
		if len(lines) != concCalls {
			t.Fatalf("%s printed %d lines, want one per call (%d)", c.name, len(lines), concCalls)
		}
		if strings.HasPrefix(c.name, "shared") {
			for _, l := range lines {
				n, err := strconv.Atoi(strings.TrimPrefix(l, "T begin "))
				if err != nil {
					t.Fatalf("%s: bad line %q", c.name, l)
				}
				inputs[n] = true
			}
			n, _ := strconv.Atoi(strings.TrimPrefix(lines[len(lines)-1], "T begin "))
			last = append(last, n)
		}
	}
	for _, c := range readers {
		_ = c.stdin.Close() // tells the reader to stop
	}
	for _, c := range readers {
		lines, err := c.wait()
		if err != nil {
			t.Fatalf("%s: %v; stderr: %s", c.name, err, c.errb.String())
		}
		if len(lines) != 3 || !strings.HasPrefix(lines[1], "reads ") || !strings.HasPrefix(lines[2], "seen") {
			t.Fatalf("%s printed %q, want ready, reads and seen", c.name, lines)
		}
		rounds, _ := strconv.Atoi(strings.TrimPrefix(lines[1], "reads "))
		if rounds < 2 {
			t.Fatalf("%s read %d rounds, want some reads while writers wrote", c.name, rounds)
		}
		for _, f := range parseLine(lines[2])[1:] {
			if n, _ := strconv.Atoi(f); !inputs[n] {
				t.Errorf("%s saw the shared run with %d entries, which no call stored (calls stored %v)", c.name, n, inputs)
			}
		}
		t.Logf("%s: %d rounds, shared run seen at %d lengths", c.name, rounds, len(parseLine(lines[2]))-1)
	}

	s := mustOpenDir(t, dir, Options{ReadOnly: true})
	for i := range concSolo {
		run := concSoloRun(i)
		got, err := s.RetrieveTrainingStats(ctx, run)
		if err != nil || !sameHistory(got.IterationStats, concHistory(i, concCalls*concBatch)) {
			t.Errorf("run %s: %d entries (%v), want all %d acknowledged", run, got.Len(), err, concCalls*concBatch)
		}
		val, err := s.RetrieveValidationIterationScores(ctx, run)
		if want := concSoloCheckpoints(concCalls * concBatch); err != nil || !sameScores(val, scores(want...).Scores) {
			t.Errorf("run %s: validation iterations %v (%v), want %v", run, iterationsOf(val), err, want)
		}
	}
	got, err := s.RetrieveTrainingStats(ctx, concSharedRun)
	if err != nil {
		t.Fatal(err)
	}
	if err := concCheckHistory(concSharedIndex, got.IterationStats); err != nil || !slices.Contains(last, got.Len()) {
		t.Errorf("shared run: %d entries (%v), want what one of the last calls stored: %v", got.Len(), err, last)
	}
	val, err := s.RetrieveValidationIterationScores(ctx, concSharedRun)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkSharedScores(val, concCalls); err != nil {
		t.Errorf("shared run: %v", err)
	}
	rep, err := Verify(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Files) != 2*(concSolo+1) {
		t.Errorf("Verify checked %d files, want %d", len(rep.Files), 2*(concSolo+1))
	}
	for _, f := range rep.Files {
		if f.Err != nil || f.TornTail {
			t.Errorf("Verify: %+v, want clean", f)
		}
	}
}

// entrySizeOf returns the size of one entry in a training record or, with
// values per entry, a validation record.
func entrySizeOf(training bool, values int) int {
	if training {
		return trainingEntrySize
	}
	return 8 + 8*values
}

// TestCachedTornTailRewritten checks a Store that looked at a file while it
// had a torn tail, after another Store (another process) truncated the
// tail and appended a record of exactly the torn tail's length: the file
// has the same id and size as before, but new committed data. The first
// Store must read the new record, and its next append must keep it.
func TestCachedTornTailRewritten(t *testing.T) {
	train := func(version, n int) func(s *Store) error {
		return func(s *Store) error {
			return s.StoreTrainingStats(t.Context(), "r", storetest.TrainingVersion(version, storetest.Iters(0, n, 1)...))
		}
	}
	validate := func(iters ...int) func(s *Store) error {
		return func(s *Store) error { return s.StoreValidationIterationScores(t.Context(), "r", scores(iters...)) }
	}
	tests := []struct {
		name  string
		path  func(dir, run string) string
		first func(s *Store) error // the stored state
		torn  func(s *Store) error // a call whose record is then damaged
		other func(s *Store) error // the other process's call: a record of the same length
		next  func(s *Store) error // the first Store's next call
		want  func(s *Store) error // nil when the store reads as it must
	}{
		{
			name: "training", path: trainingFile,
			first: train(1, 100), torn: train(1, 151), other: train(2, 150), next: train(3, 200),
			want: func(s *Store) error {
				got, err := s.RetrieveTrainingStats(t.Context(), "r")
				if err != nil {
					return err
				}
				want := append(storetest.Entries(1, storetest.Iters(0, 100, 1)...), storetest.Entries(2, storetest.Iters(100, 150, 1)...)...)
				want = append(want, storetest.Entries(3, storetest.Iters(150, 200, 1)...)...)
				if got.Len() < 150 || !sameHistory(got.IterationStats, want[:got.Len()]) {
					return fmt.Errorf("%d entries: %s; want iterations 0-99 of version 1, 100-149 of version 2 (the other process's acknowledged call)",
						got.Len(), firstDiff(got.IterationStats, want))
				}
				return nil
			},
		},
		{
			name: "validation", path: validationFile,
			first: validate(0, 10), torn: validate(0, 10, 20, 25), other: validate(0, 10, 30), next: validate(0, 10, 40),
			want: func(s *Store) error {
				got, err := s.RetrieveValidationIterationScores(t.Context(), "r")
				if err != nil {
					return err
				}
				if its := iterationsOf(got); !slices.Contains(its, 30) {
					return fmt.Errorf("validation iterations %v, want 30 (the other process's acknowledged call) among them", its)
				}
				return nil
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			w := mustOpenDir(t, dir, Options{NoSync: true})
			if err := tt.first(w); err != nil {
				t.Fatal(err)
			}
			path := tt.path(dir, "r")
			end := fileSize(t, path)
			if err := tt.torn(w); err != nil {
				t.Fatal(err)
			}
			// A crash cut the record one entry short: a torn tail as long
			// as the other process's record.
			f, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f = f[:len(f)-entrySizeOf(tt.path(dir, "r") == trainingFile(dir, "r"), len(storetest.Metadata().Datasets)*len(storetest.Metadata().Parameters)*len(storetest.Metadata().EvaluationScores))]
			if err := os.WriteFile(path, f, 0o644); err != nil {
				t.Fatal(err)
			}
			a := mustOpenDir(t, dir, Options{NoSync: true})
			if err := tt.want(a); err == nil {
				t.Fatalf("setup: the damaged call reads back")
			}
			b := mustOpenDir(t, dir, Options{NoSync: true})
			if err := tt.other(b); err != nil {
				t.Fatal(err)
			}
			if got := fileSize(t, path); got != int64(len(f)) {
				t.Fatalf("setup: the other call left %d bytes, want %d (as long as the torn tail after %d)", got, len(f), end)
			}
			if err := tt.want(b); err != nil {
				t.Fatalf("the other store after its call: %v", err)
			}
			if err := tt.want(a); err != nil {
				t.Errorf("the store that saw the torn tail reads a stale state: %v", err)
			}
			if err := tt.next(a); err != nil {
				t.Fatalf("the store that saw the torn tail, next call: %v", err)
			}
			if err := tt.want(mustOpenDir(t, dir, Options{ReadOnly: true})); err != nil {
				t.Errorf("after the next call of the store that saw the torn tail: %v", err)
			}
		})
	}
}
