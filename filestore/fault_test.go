package filestore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/fsutil"
	"github.com/statstore/statstore/memstore"
	"github.com/statstore/statstore/storetest"
)

// faultOp is a file-system operation a fault can hit.
type faultOp string

const (
	opCreate   faultOp = "create" // OpenFile with O_CREATE
	opWrite    faultOp = "write"
	opSync     faultOp = "fsync"
	opTruncate faultOp = "truncate"
	opRename   faultOp = "rename"   // matched on the new path
	opSyncDir  faultOp = "fsyncdir" // matched on the directory
	opOpen     faultOp = "open"     // OpenFile without O_CREATE
)

// Where a fault hits: path substrings.
const (
	inTmp        = string(filepath.Separator) + tmpDir + string(filepath.Separator)
	inTraining   = string(filepath.Separator) + "training_stats"
	inValidation = string(filepath.Separator) + "validation_scores"
)

// fault makes the first matching operation fail with err; a short write
// writes the first half of its buffer before failing. hook, if set, runs
// when the fault fires, before the operation fails.
type fault struct {
	op    faultOp
	where string
	err   error
	short bool
	hook  func()
	pass  bool // the operation goes on after the hook: a fault that only watches
}

func (f fault) String() string {
	s := fmt.Sprintf("%s in %s: %v", f.op, strings.Trim(f.where, "/"), f.err)
	if f.short {
		s = "short " + s
	}
	return s
}

// faultFS is the operating system's file system with faults armed: each
// fires once, at the first operation it matches.
type faultFS struct {
	fsutil.OS
	mu    sync.Mutex
	armed []fault
	fired []fault
	// each, if set when the FS is made, runs before every operation a
	// fault can hit (a crash just before it leaves what is on disk then).
	each func(op faultOp, path string)
}

func (x *faultFS) arm(fs ...fault) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.armed = append(x.armed[:0], fs...)
	x.fired = nil
}

// hit returns (and disarms) the fault matching op on path, after running
// its hook and the FS's each; a fault that passes is not returned.
func (x *faultFS) hit(op faultOp, path string) (fault, bool) {
	if x.each != nil {
		x.each(op, path)
	}
	x.mu.Lock()
	var f fault
	found := false
	for i, a := range x.armed {
		if a.op == op && strings.Contains(path, a.where) {
			x.armed = append(x.armed[:i], x.armed[i+1:]...)
			x.fired = append(x.fired, a)
			f, found = a, true
			break
		}
	}
	x.mu.Unlock()
	if found && f.hook != nil {
		f.hook()
	}
	return f, found && !f.pass
}

func (x *faultFS) OpenFile(name string, flag int, perm fs.FileMode) (fsutil.File, error) {
	op := opOpen
	if flag&os.O_CREATE != 0 {
		op = opCreate
	}
	if f, ok := x.hit(op, name); ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: f.err}
	}
	f, err := x.OS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: f, fs: x}, nil
}

func (x *faultFS) Rename(oldpath, newpath string) error {
	if f, ok := x.hit(opRename, newpath); ok {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: f.err}
	}
	return x.OS.Rename(oldpath, newpath)
}

func (x *faultFS) SyncDir(dir string) error {
	if f, ok := x.hit(opSyncDir, dir+string(filepath.Separator)); ok {
		return &fs.PathError{Op: "fsync", Path: dir, Err: f.err}
	}
	return x.OS.SyncDir(dir)
}

// faultFile is a file of a faultFS.
type faultFile struct {
	fsutil.File
	fs *faultFS
}

func (f *faultFile) WriteAt(p []byte, off int64) (int, error) {
	if ft, ok := f.fs.hit(opWrite, f.Name()); ok {
		n := 0
		if ft.short {
			n, _ = f.File.WriteAt(p[:len(p)/2], off) // the injected error is what the caller sees
		}
		return n, &fs.PathError{Op: "write", Path: f.Name(), Err: ft.err}
	}
	return f.File.WriteAt(p, off)
}

func (f *faultFile) Sync() error {
	if ft, ok := f.fs.hit(opSync, f.Name()); ok {
		return &fs.PathError{Op: "fsync", Path: f.Name(), Err: ft.err}
	}
	return f.File.Sync()
}

func (f *faultFile) Truncate(size int64) error {
	if ft, ok := f.fs.hit(opTruncate, f.Name()); ok {
		return &fs.PathError{Op: "truncate", Path: f.Name(), Err: ft.err}
	}
	return f.File.Truncate(size)
}

// faultScenario is a state of the store and a call that changes it.
type faultScenario struct {
	name  string
	setup []cutCall
	// damage, if set, changes the files after setup (a torn tail).
	damage func(tb testing.TB, dir string)
	call   cutCall
	// points are where the call can fail: the first op matching each.
	points []faultPoint
}

// faultPoint is one injection point: the faults to arm and whether the
// failed call may nevertheless have taken effect (a failed directory fsync
// after the rename: the new file is in place, its durability unknown).
type faultPoint struct {
	faults []fault
	either bool
}

func (p faultPoint) String() string {
	names := make([]string, len(p.faults))
	for i, f := range p.faults {
		names[i] = f.String()
	}
	return strings.Join(names, ", then ")
}

func appendPoints(where string) []faultPoint {
	return []faultPoint{
		{faults: []fault{{op: opWrite, where: where, err: syscall.EIO}}},
		{faults: []fault{{op: opWrite, where: where, err: syscall.ENOSPC}}},
		{faults: []fault{{op: opWrite, where: where, err: syscall.ENOSPC, short: true}}},
		{faults: []fault{{op: opWrite, where: where, err: syscall.ENOSPC, short: true}, {op: opTruncate, where: where, err: syscall.EIO}}},
		{faults: []fault{{op: opSync, where: where, err: syscall.EIO}}},
		// The record is whole on disk and cannot be cut back: it may count.
		{faults: []fault{{op: opSync, where: where, err: syscall.EIO}, {op: opTruncate, where: where, err: syscall.EIO}}, either: true},
	}
}

func replacePoints(where string) []faultPoint {
	return []faultPoint{
		{faults: []fault{{op: opCreate, where: inTmp, err: syscall.ENOSPC}}},
		{faults: []fault{{op: opWrite, where: inTmp, err: syscall.EIO}}},
		{faults: []fault{{op: opWrite, where: inTmp, err: syscall.ENOSPC}}},
		{faults: []fault{{op: opWrite, where: inTmp, err: syscall.ENOSPC, short: true}}},
		{faults: []fault{{op: opSync, where: inTmp, err: syscall.EIO}}},
		{faults: []fault{{op: opRename, where: where, err: syscall.EIO}}},
		{faults: []fault{{op: opSyncDir, where: where, err: syscall.EIO}}, either: true},
	}
}

func faultScenarios() []faultScenario {
	v1 := func(n int) *statstore.TrainingStats { return storetest.TrainingVersion(1, storetest.Iters(0, n, 1)...) }
	base := []cutCall{trainCall("store", v1(1000)), valCall("store", scores(0, 10))}
	tornTraining := func(tb testing.TB, dir string) {
		tb.Helper()
		s := mustOpenDir(tb, dir, Options{NoSync: true})
		path := trainingFile(dir, "r")
		before := fileSize(tb, path)
		if err := s.StoreTrainingStats(tb.Context(), "r", v1(1100)); err != nil {
			tb.Fatal(err)
		}
		if err := os.Truncate(path, before+100); err != nil {
			tb.Fatal(err)
		}
	}
	return []faultScenario{
		{name: "training first store", call: trainCall("store", v1(1000)), points: replacePoints(inTraining)},
		{name: "training append", setup: base, call: trainCall("append", v1(2000)), points: appendPoints(inTraining)},
		{name: "training append after a torn tail", setup: base, damage: tornTraining, call: trainCall("append", v1(2000)),
			points: []faultPoint{
				{faults: []fault{{op: opTruncate, where: inTraining, err: syscall.EIO}}},
				{faults: []fault{{op: opSync, where: inTraining, err: syscall.EIO}}},
			}},
		{name: "training replace", setup: base, call: trainCall("replace", storetest.TrainingVersion(2, 0, 5, 10)), points: replacePoints(inTraining)},
		{name: "validation first store", call: valCall("store", scores(0, 10)), points: replacePoints(inValidation)},
		{name: "validation append", setup: base, call: valCall("append", scores(0, 3, 10, 20)), points: appendPoints(inValidation)},
		{name: "validation re-validated", setup: base, call: valCall("re-validate", storetest.ScoresVersion(storetest.Metadata(), 2, 10, 0)),
			points: appendPoints(inValidation)},
		{name: "validation delete after", setup: append(base, valCall("append", scores(20, 30))), call: deleteValCall(20),
			points: appendPoints(inValidation)},
		// A training replace appends the marks of the validations after
		// its rewind point (0) as a pending supersede record first: when
		// that fails, the training stats are not replaced, and a record
		// that cannot be cut back names a training file that never comes.
		{name: "training replace marking validations", setup: base, call: trainCall("replace", storetest.TrainingVersion(2, 0, 5, 10)),
			points: appendPoints(inValidation)},
		// Re-validating iteration 10 in a format version 2 file rewrites it
		// in version 4.
		{name: "validation upgrade", setup: seedCalls(), damage: putSeed("validation-v2.seed"),
			call: valCall("re-validate", storetest.ScoresVersion(storetest.Metadata(), 2, 10)), points: replacePoints(inValidation)},
	}
}

// TestFaults injects I/O failures through the FS seam at every step of
// appends and replacements: the call must fail with the injected error,
// the store (the same one, and one opened afresh) must read as before the
// call, Verify must find no corruption, nothing may be left in the
// temporary directory, and the call must succeed when retried.
func TestFaults(t *testing.T) {
	for _, sc := range faultScenarios() {
		for _, p := range sc.points {
			t.Run(sc.name+"/"+p.String(), func(t *testing.T) {
				ctx := t.Context()
				dir := t.TempDir()
				m := memstore.New(nil)
				setup := mustOpenDir(t, dir, Options{NoSync: true})
				for _, c := range sc.setup {
					if err := c.do(ctx, setup); err != nil {
						t.Fatal(err)
					}
					if err := c.do(ctx, m); err != nil {
						t.Fatal(err)
					}
				}
				if sc.damage != nil {
					sc.damage(t, dir)
				}
				before := modelState(t, m)
				if err := sc.call.do(ctx, m); err != nil {
					t.Fatal(err)
				}
				after := modelState(t, m)

				ffs := &faultFS{}
				s := mustOpenDir(t, dir, Options{fs: ffs})
				ffs.arm(p.faults...)
				err := sc.call.do(ctx, s)
				ffs.mu.Lock()
				fired, unfired := ffs.fired, ffs.armed
				ffs.armed = nil
				ffs.mu.Unlock()
				if len(fired) == 0 {
					t.Fatalf("%s: no fault fired (call returned %v): the injection point was not reached", sc.call.name, err)
				}
				if err == nil {
					t.Fatalf("%s returned nil after %v, want an error", sc.call.name, fired)
				}
				if !errors.Is(err, p.faults[0].err) {
					t.Errorf("%s returned %v, want an error wrapping %v", sc.call.name, err, p.faults[0].err)
				}
				t.Logf("fired %v (not reached: %v): %v", fired, unfired, err)

				check := func(what string, r statstore.StatsStore) {
					t.Helper()
					got := readState(t, r)
					if !sameState(got, before) && !(p.either && sameState(got, after)) {
						t.Fatalf("%s after the failed call: %d training entries, validation iterations %v; want the state before: %d entries, %v",
							what, len(got.train), iterationsOf(got.val), len(before.train), iterationsOf(before.val))
					}
				}
				check("the same store", s)
				check("a new store", mustOpenDir(t, dir, Options{ReadOnly: true}))
				rep, err := Verify(ctx, dir)
				if err != nil || !rep.OK() {
					t.Fatalf("Verify after the failed call: %+v (%v), want no corruption", rep, err)
				}
				if left, err := os.ReadDir(filepath.Join(dir, tmpDir)); err != nil || len(left) > 0 {
					t.Errorf("temporary directory after the failed call: %v (%v), want empty", left, err)
				}

				if err := sc.call.do(ctx, s); err != nil {
					t.Fatalf("%s retried without faults: %v", sc.call.name, err)
				}
				for what, r := range map[string]statstore.StatsStore{"the same store": s, "a new store": mustOpenDir(t, dir, Options{ReadOnly: true})} {
					if got := readState(t, r); !sameState(got, after) {
						t.Fatalf("%s after the retried call: %d training entries, validation iterations %v; want %d entries, %v",
							what, len(got.train), iterationsOf(got.val), len(after.train), iterationsOf(after.val))
					}
				}
			})
		}
	}
}

// deleteValCall deletes run "r"'s validation scores from iteration on.
func deleteValCall(iteration int) cutCall {
	return cutCall{fmt.Sprintf("delete validation after %d", iteration), func(ctx context.Context, s statstore.StatsStore) error {
		return s.DeleteValidationAfter(ctx, "r", iteration)
	}}
}

// seedCalls are the calls that store what the seed files under testdata/
// hold (see TestSeedFiles).
func seedCalls() []cutCall {
	var calls []cutCall
	for n := 700; n <= 1400; n += 700 {
		calls = append(calls, trainCall("store", &statstore.TrainingStats{IterationStats: history(0, 3, n)}))
	}
	return append(calls, valCall("store", scores(0, 10)), valCall("append", scores(0, 5, 10, 20)))
}

// putSeed returns a damage function that puts the validation seed file
// name (which holds what seedCalls store) in place of run "r"'s
// validation file.
func putSeed(name string) func(tb testing.TB, dir string) {
	return func(tb testing.TB, dir string) {
		tb.Helper()
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(validationFile(dir, "r"), b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// readState reads run "r" of a store.
func readState(tb testing.TB, s statstore.StatsStore) cutState {
	tb.Helper()
	tr, err := s.RetrieveTrainingStats(tb.Context(), "r")
	if err != nil {
		tb.Fatalf("RetrieveTrainingStats: %v", err)
	}
	val, err := s.RetrieveValidationIterationScores(tb.Context(), "r")
	if err != nil {
		tb.Fatalf("RetrieveValidationIterationScores: %v", err)
	}
	return cutState{tr.IterationStats, val}
}

func sameState(a, b cutState) bool {
	return sameHistory(a.train, b.train) && sameScores(a.val, b.val)
}

// TestFailedAppendSeenThenReplaced checks a Store that read a validation
// append while it was being written, before its fsync failed and the
// writer cut it off again; the writer's next append is a record of the
// same length, so the file has its old id and size again. The reading
// Store must return the acknowledged call's scores, not the failed one's.
func TestFailedAppendSeenThenReplaced(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	meta := storetest.Metadata()
	if err := mustOpenDir(t, dir, Options{NoSync: true}).StoreValidationIterationScores(ctx, "r", scores(0, 10)); err != nil {
		t.Fatal(err)
	}
	r := mustOpenDir(t, dir, Options{ReadOnly: true})
	ffs := &faultFS{}
	w := mustOpenDir(t, dir, Options{fs: ffs})
	var during []statstore.ValidationIterationScores
	ffs.arm(fault{op: opSync, where: inValidation, err: syscall.EIO, hook: func() {
		var err error
		if during, err = r.RetrieveValidationIterationScores(ctx, "r"); err != nil {
			t.Errorf("read during the append: %v", err)
		}
	}})
	if err := w.StoreValidationIterationScores(ctx, "r", storetest.ScoresVersion(meta, 2, 0, 10, 20)); !errors.Is(err, syscall.EIO) {
		t.Fatalf("append with a failing fsync: %v, want EIO", err)
	}
	t.Logf("read during the failed append: iterations %v", iterationsOf(during))
	acked := storetest.ScoresVersion(meta, 3, 0, 10, 20)
	if err := w.StoreValidationIterationScores(ctx, "r", acked); err != nil {
		t.Fatal(err)
	}
	want := acked.Scores // 0 and 10 re-validated, 20 inserted: the latest result wins
	for what, s := range map[string]*Store{"the writer": w, "the reader": r, "a new store": mustOpenDir(t, dir, Options{ReadOnly: true})} {
		got, err := s.RetrieveValidationIterationScores(ctx, "r")
		if err != nil || !sameScores(got, want) {
			t.Errorf("%s reads iterations %v (%v), iteration 20 as %v; want iteration 20 of the acknowledged call: %v",
				what, iterationsOf(got), err, lastScores(got), want[2].Scores[0][0])
		}
	}
}

// lastScores returns the first row of the last entry's scores, for messages.
func lastScores(entries []statstore.ValidationIterationScores) any {
	if len(entries) == 0 || len(entries[len(entries)-1].Scores) == 0 {
		return "none"
	}
	return entries[len(entries)-1].Scores[0][0]
}
