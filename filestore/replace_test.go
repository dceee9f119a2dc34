package filestore

import (
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/memstore"
	"github.com/statstore/statstore/storetest"
)

// replaceCase is a run holding a 40-iteration history and validations of
// 10, 20 and 30, and a training replace resumed at 15 (20 and 30
// superseded by it), with the states before and after the replace as the
// memory store (the model) holds them.
type replaceCase struct {
	old, resumed  *statstore.TrainingStats
	before, after cutState
}

func newReplaceCase(t *testing.T) replaceCase {
	t.Helper()
	c := replaceCase{
		old:     storetest.Training(storetest.Iters(0, 40, 1)...),
		resumed: storetest.Training(storetest.Iters(0, 15, 1)...),
	}
	m := memstore.New(nil)
	for _, call := range c.setup() {
		if err := call.do(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	c.before = modelState(t, m)
	if err := m.StoreTrainingStats(t.Context(), "r", c.resumed); err != nil {
		t.Fatal(err)
	}
	c.after = modelState(t, m)
	if got := supersededOf(c.after.val); !slices.Equal(got, []int{20, 30}) || statstore.CountSuperseded(c.before.val) != 0 {
		t.Fatalf("model: superseded %v after the replace, %d before; want [20 30] and none", got, statstore.CountSuperseded(c.before.val))
	}
	return c
}

func (c replaceCase) setup() []cutCall {
	return []cutCall{trainCall("store", c.old), valCall("validate", scores(10, 20, 30))}
}

// plus returns st with a current entry of iteration it added (a merge of
// scores(it)).
func plus(st cutState, it int) cutState {
	st.val = statstore.MergeValidation(append(slices.Clone(st.val), scores(it).Scores...))
	return st
}

// wantState fails unless run "r" of the store in dir reads as want.
func wantState(t *testing.T, what, dir string, want cutState) {
	t.Helper()
	got := readState(t, mustOpenDir(t, dir, Options{ReadOnly: true}))
	if !sameState(got, want) {
		t.Fatalf("%s: %d training entries, validation iterations %v (superseded %v); want %d entries, %v (superseded %v)",
			what, len(got.train), iterationsOf(got.val), supersededOf(got.val), len(want.train), iterationsOf(want.val), supersededOf(want.val))
	}
}

// pendingAtEnd reports whether run "r"'s validation file in dir ends with
// a pending supersede record that no resolve record follows.
func pendingAtEnd(t *testing.T, dir string) bool {
	t.Helper()
	snap, err := mustOpenDir(t, dir, Options{ReadOnly: true}).readValFile("r")
	if err != nil {
		t.Fatal(err)
	}
	return snap != nil && snap.pending != nil
}

// TestReplaceCrashAtEachStep crashes a training replace that supersedes
// validations just before each of its file-system operations (the files
// as they are then, every earlier write whole: a kill), and checks that
// the store reads exactly as before the call up to the rename of the new
// training file and exactly as after it from then on, verifies clean, and
// that the next writer, whether it retries the replace or merges new
// validation scores, resolves what the crash left and ends in the right
// state. Crashes inside the pending supersede record and inside its resolve
// record (torn tails) read as before and after the rename respectively.
// No timing is involved: the operations are the crash points.
func TestReplaceCrashAtEachStep(t *testing.T) {
	ctx := t.Context()
	c := newReplaceCase(t)
	dir := t.TempDir()
	ffs := &faultFS{}
	s := mustOpenDir(t, dir, Options{fs: ffs})
	for _, call := range c.setup() {
		if err := call.do(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	type image struct {
		step string
		dir  string
	}
	var images []image
	ffs.each = func(op faultOp, path string) {
		if op != opOpen {
			images = append(images, image{string(op) + " " + strings.TrimPrefix(path, dir), copyRunFiles(t, dir)})
		}
	}
	if err := s.StoreTrainingStats(ctx, "r", c.resumed); err != nil {
		t.Fatal(err)
	}
	ffs.each = nil
	images = append(images, image{"the call returned", copyRunFiles(t, dir)})

	renamed, valWrites := false, [2]int{}
	for i, im := range images {
		want, state := c.before, "before"
		if renamed {
			want, state = c.after, "after"
		}
		if strings.HasPrefix(im.step, string(opWrite)+" "+inValidation) {
			valWrites[btoi(renamed)]++
		}
		t.Logf("crash %d, before %s: reads as %s the call", i, im.step, state)
		wantState(t, "crash before "+im.step, im.dir, want)
		if rep, err := Verify(ctx, im.dir); err != nil || !rep.OK() {
			t.Fatalf("crash before %s: Verify %+v (%v), want clean", im.step, rep, err)
		}
		retry := copyRunFiles(t, im.dir)
		if err := mustOpenDir(t, retry, Options{}).StoreTrainingStats(ctx, "r", c.resumed); err != nil {
			t.Fatalf("crash before %s: retried replace: %v", im.step, err)
		}
		wantState(t, "crash before "+im.step+", then the retried replace", retry, c.after)
		merge := copyRunFiles(t, im.dir)
		if err := mustOpenDir(t, merge, Options{}).StoreValidationIterationScores(ctx, "r", scores(50)); err != nil {
			t.Fatalf("crash before %s: merge: %v", im.step, err)
		}
		wantState(t, "crash before "+im.step+", then a merge", merge, plus(want, 50))
		for _, d := range []string{retry, merge} {
			if pendingAtEnd(t, d) {
				t.Fatalf("crash before %s: the next writer left the pending supersede record unresolved", im.step)
			}
		}
		if strings.HasPrefix(im.step, string(opRename)+" "+inTraining) {
			renamed = true
		}
	}
	// The protocol: the marks are written before the rename, resolved after.
	if !renamed || valWrites[0] == 0 || valWrites[1] == 0 {
		t.Fatalf("saw the rename: %v; validation writes before it %d, after it %d: want the pending record before and its resolve record after",
			renamed, valWrites[0], valWrites[1])
	}

	// Torn tails: the pending record cut (old training file in place) and
	// the resolve record cut (new training file in place).
	first, last := images[0].dir, images[len(images)-1].dir
	var beforeRename string
	for i, im := range images {
		if strings.HasPrefix(im.step, string(opRename)+" "+inTraining) {
			beforeRename = images[i].dir
		}
	}
	readVal := func(d string) []byte {
		b, err := os.ReadFile(validationFile(d, "r"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	start, pendingEnd, full := len(readVal(first)), len(readVal(beforeRename)), readVal(last)
	if !(start < pendingEnd && pendingEnd < len(full)) {
		t.Fatalf("validation file of %d bytes before the call, %d before the rename, %d after: want it to grow at each step", start, pendingEnd, len(full))
	}
	for off := start + 1; off < len(full); off++ {
		if off == pendingEnd {
			continue // whole: a crash image above
		}
		base, want := beforeRename, c.before
		if off > pendingEnd {
			base, want = last, c.after
		}
		cut := copyRunFiles(t, base)
		if err := os.WriteFile(validationFile(cut, "r"), full[:off], 0o644); err != nil {
			t.Fatal(err)
		}
		wantState(t, "validation file cut", cut, want)
		rep, err := Verify(ctx, cut)
		if err != nil || !rep.OK() || !slices.ContainsFunc(rep.Files, func(f FileReport) bool { return f.TornTail }) {
			t.Fatalf("cut at %d: Verify %+v (%v), want a torn tail and no corruption", off, rep, err)
		}
		if err := mustOpenDir(t, cut, Options{NoSync: true}).StoreValidationIterationScores(ctx, "r", scores(50)); err != nil {
			t.Fatalf("cut at %d: merge: %v", off, err)
		}
		wantState(t, "validation file cut, then a merge", cut, plus(want, 50))
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestReplaceResolveFails makes the resolve record of a training replace
// fail to be written after the new training file is in place: the call
// succeeds (the replace is durable) with a warning, readers count the
// marks by the training file's id, and the next writer resolves them.
func TestReplaceResolveFails(t *testing.T) {
	ctx := t.Context()
	c := newReplaceCase(t)
	dir := t.TempDir()
	ffs := &faultFS{}
	log, buf := logBuffer()
	s := mustOpenDir(t, dir, Options{fs: ffs, Logger: log})
	for _, call := range c.setup() {
		if err := call.do(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	// Once the training file is renamed into place, the next validation
	// write fails.
	ffs.arm(fault{op: opRename, where: inTraining, pass: true, hook: func() {
		ffs.arm(fault{op: opWrite, where: inValidation, err: syscall.EIO})
	}})
	if err := s.StoreTrainingStats(ctx, "r", c.resumed); err != nil {
		t.Fatalf("training replace whose resolve record fails: %v, want nil (the replace is done)", err)
	}
	if len(ffs.fired) != 1 || ffs.fired[0].op != opWrite {
		t.Fatalf("faults fired after the rename: %v, want the resolve record's write", ffs.fired)
	}
	if !strings.Contains(buf.String(), "level=WARN") || !strings.Contains(buf.String(), "input/output error") {
		t.Errorf("log %q, want a warning with the write error", buf.String())
	}
	if !pendingAtEnd(t, dir) {
		t.Fatal("the validation file does not end with the pending supersede record")
	}
	if got := readState(t, s); !sameState(got, c.after) {
		t.Fatalf("the same store: superseded %v, want %v", supersededOf(got.val), supersededOf(c.after.val))
	}
	wantState(t, "a new store", dir, c.after)
	if err := s.StoreValidationIterationScores(ctx, "r", scores(50)); err != nil {
		t.Fatal(err)
	}
	if pendingAtEnd(t, dir) {
		t.Fatal("the next writer left the pending supersede record unresolved")
	}
	wantState(t, "after the next merge", dir, plus(c.after, 50))
}

// TestReaderSeesReplaceWhole runs a whole training replace between a
// reader's look at a validation file that ends with a pending supersede
// record (of an earlier replace whose resolve record is not written) and
// its look at the training file. The training file the reader sees is the
// second replace's, which would void the first replace's marks if the
// reader did not notice that the validation file changed meanwhile; it
// must return the state after the first replace or after the second.
func TestReaderSeesReplaceWhole(t *testing.T) {
	ctx := t.Context()
	c := newReplaceCase(t)
	dir := t.TempDir()
	ffs := &faultFS{}
	w := mustOpenDir(t, dir, Options{fs: ffs})
	for _, call := range c.setup() {
		if err := call.do(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	ffs.arm(fault{op: opRename, where: inTraining, pass: true, hook: func() {
		ffs.arm(fault{op: opWrite, where: inValidation, err: syscall.EIO})
	}})
	if err := w.StoreTrainingStats(ctx, "r", c.resumed); err != nil {
		t.Fatal(err)
	}
	if !pendingAtEnd(t, dir) {
		t.Fatal("the validation file does not end with the pending supersede record")
	}
	// The second replace resumes at 5: 10 superseded too.
	second := storetest.TrainingVersion(2, storetest.Iters(0, 8, 1)...)
	afterSecond := c.after
	afterSecond.train = second.IterationStats
	afterSecond.val = slices.Clone(c.after.val)
	for i := range afterSecond.val {
		afterSecond.val[i].Superseded = true
	}
	rfs := &faultFS{}
	r := mustOpenDir(t, dir, Options{fs: rfs, ReadOnly: true})
	ran := false
	rfs.arm(fault{op: opOpen, where: inTraining, pass: true, hook: func() {
		ran = true
		if err := mustOpenDir(t, dir, Options{}).StoreTrainingStats(ctx, "r", second); err != nil {
			t.Error(err)
		}
	}})
	got, err := r.RetrieveValidationIterationScores(ctx, "r")
	if err != nil || !ran {
		t.Fatalf("read: %v; the second replace ran: %v", err, ran)
	}
	if !sameScores(got, c.after.val) && !sameScores(got, afterSecond.val) {
		t.Fatalf("read during the second replace: superseded %v, want %v (after the first) or %v (after the second)",
			supersededOf(got), supersededOf(c.after.val), supersededOf(afterSecond.val))
	}
	wantState(t, "after the second replace", dir, afterSecond)
}
