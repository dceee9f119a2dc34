package filestore

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/storetest"
)

func TestTrashConformance(t *testing.T) {
	storetest.RunTrash(t, func(t *testing.T, now func() time.Time) statstore.StatsStore {
		dir := t.TempDir()
		t.Cleanup(func() { checkTrash(t, dir) })
		return mustOpenDir(t, dir, Options{Now: now})
	})
}

// checkTrash fails unless the trashed files in dir verify and no move is
// left half done.
func checkTrash(tb testing.TB, dir string) {
	tb.Helper()
	rep, err := VerifyTrash(context.Background(), dir)
	if err != nil {
		tb.Fatalf("VerifyTrash: %v", err)
	}
	if !rep.OK() {
		tb.Errorf("VerifyTrash: %+v", rep.Files)
	}
	left, err := os.ReadDir(filepath.Join(dir, trashDir, movingDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		tb.Fatal(err)
	}
	if len(left) > 0 {
		tb.Errorf("moves left in %s: %d", filepath.Join(dir, trashDir, movingDir), len(left))
	}
}

// seedRun stores the run the trash tests move: 3 training entries and 2
// validations.
func seedRun(tb testing.TB, dir string) {
	tb.Helper()
	s := mustOpenDir(tb, dir, Options{})
	ctx := context.Background()
	if err := s.StoreTrainingStats(ctx, "run", storetest.Training(0, 10, 20)); err != nil {
		tb.Fatal(err)
	}
	if err := s.StoreValidationIterationScores(ctx, "run", scores(0, 10)); err != nil {
		tb.Fatal(err)
	}
	if err := s.Close(); err != nil {
		tb.Fatal(err)
	}
}

// trashState opens dir as a fresh process would (finishing what a crash
// cut) and reports whether "run" is live and how many trash entries hold
// it, failing unless it is exactly one of the two with all its data.
func trashState(t *testing.T, dir string) (live bool) {
	t.Helper()
	s := mustOpenDir(t, dir, Options{})
	defer s.Close()
	ctx := context.Background()
	checkTrash(t, dir)
	runs, err := s.ListRuns(ctx)
	if err != nil {
		t.Fatalf("ListRuns: %v", err)
	}
	trash, err := s.ListTrash(ctx)
	if err != nil {
		t.Fatalf("ListTrash: %v", err)
	}
	live = len(runs) == 1
	switch {
	case live && len(trash) == 0:
	case len(runs) == 0 && len(trash) == 1:
		if _, err := s.RestoreRun(ctx, trash[0].ID, ""); err != nil {
			t.Fatalf("RestoreRun: %v", err)
		}
	default:
		t.Fatalf("runs %+v and trash %+v: want the run either live or in the trash", runs, trash)
	}
	runs, err = s.ListRuns(ctx)
	want := statstore.RunInfo{Run: "run", TrainedUntil: 21, TrainingIterations: 3, ValidatedUntil: 11, ValidationIterations: 2}
	if err != nil || len(runs) != 1 || runs[0].LastWrite.IsZero() || withoutTime(runs[0]) != want {
		t.Fatalf("ListRuns: got %+v, %v, want %+v", runs, err, want)
	}
	return live
}

// trashCalls are the calls whose every step is cut: trashing the seeded
// run, and restoring it from the trash.
func trashCalls() []struct {
	name  string
	setup func(t *testing.T, dir string) string // returns the trash id, if any
	call  func(s *Store, id string) error
} {
	return []struct {
		name  string
		setup func(t *testing.T, dir string) string
		call  func(s *Store, id string) error
	}{
		{"TrashRun", func(t *testing.T, dir string) string { seedRun(t, dir); return "" },
			func(s *Store, _ string) error { _, err := s.TrashRun(context.Background(), "run"); return err }},
		{"RestoreRun", func(t *testing.T, dir string) string {
			seedRun(t, dir)
			s := mustOpenDir(t, dir, Options{})
			defer s.Close()
			e, err := s.TrashRun(context.Background(), "run")
			if err != nil {
				t.Fatal(err)
			}
			return e.ID
		}, func(s *Store, id string) error { _, err := s.RestoreRun(context.Background(), id, ""); return err }},
	}
}

// opAt is one file-system operation a call made.
type opAt struct {
	op   faultOp
	path string
}

// TestTrashCrashAtEveryStep copies the store's directory just before each
// file-system operation of a trash and of a restore (a process killed
// there leaves it so) and checks that a fresh Open finds the run either
// live or in the trash, whole, never both or neither.
func TestTrashCrashAtEveryStep(t *testing.T) {
	for _, c := range trashCalls() {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			id := c.setup(t, dir)
			var ops []opAt
			snaps := []string{}
			fsys := &faultFS{each: func(op faultOp, path string) {
				ops = append(ops, opAt{op, path})
				snap := filepath.Join(t.TempDir(), "store")
				copyTree(t, dir, snap)
				snaps = append(snaps, snap)
			}}
			s := mustOpenDir(t, dir, Options{fs: fsys})
			ops, snaps = ops[:0], snaps[:0] // Open's own operations are not the call's
			if err := c.call(s, id); err != nil {
				t.Fatal(err)
			}
			if len(ops) < 4 {
				t.Fatalf("the call made %d file-system operations, want at least 4 (renames and fsyncs)", len(ops))
			}
			lives := 0
			for i, snap := range snaps {
				t.Run(string(ops[i].op)+" "+filepath.Base(ops[i].path), func(t *testing.T) {
					if trashState(t, snap) {
						lives++
					}
				})
			}
			// The cuts before the commit find the run where it was, the
			// cuts after it where the call moves it.
			if lives == 0 || lives == len(snaps) {
				t.Errorf("%d of %d cuts find the run live: want some of each", lives, len(snaps))
			}
		})
	}
}

// TestTrashFaultAtEveryStep fails each file-system operation of a trash
// and of a restore in turn (EIO) and checks that the store, reopened,
// holds the run either live or in the trash, whole.
func TestTrashFaultAtEveryStep(t *testing.T) {
	for _, c := range trashCalls() {
		t.Run(c.name, func(t *testing.T) {
			// A first run lists the operations.
			dir := t.TempDir()
			id := c.setup(t, dir)
			var ops []opAt
			fsys := &faultFS{each: func(op faultOp, path string) { ops = append(ops, opAt{op, path}) }}
			s := mustOpenDir(t, dir, Options{fs: fsys})
			ops = ops[:0]
			if err := c.call(s, id); err != nil {
				t.Fatal(err)
			}
			_ = s.Close()
			for n, o := range ops {
				t.Run(string(o.op)+" "+filepath.Base(o.path), func(t *testing.T) {
					dir := t.TempDir()
					id := c.setup(t, dir)
					fsys := &faultFS{}
					s := mustOpenDir(t, dir, Options{fs: fsys})
					count := 0
					// The n-th operation fails, whatever its (random) path.
					fsys.each = func(op faultOp, path string) {
						if count++; count == n+1 {
							fsys.arm(fault{op: op, where: path, err: syscall.EIO})
						}
					}
					err := c.call(s, id)
					if len(fsys.fired) == 0 || fsys.fired[0].op != o.op {
						t.Fatalf("the fault did not fire at the %s of %s: fired %v", o.op, o.path, fsys.fired)
					}
					// Only the reads that count what the run holds may fail
					// without failing the call (the counts are then -1).
					if err == nil && o.op != opOpen {
						t.Errorf("the call succeeded through a failed %s of %s", o.op, o.path)
					}
					_ = s.Close()
					trashState(t, dir)
				})
			}
		})
	}
}

// copyTree copies the directory tree src to dst (regular files and
// directories).
func copyTree(tb testing.TB, src, dst string) {
	tb.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(to, data, 0o644)
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// TestTrashedFilesVerify checks that Verify does not take the trash for
// damage and that VerifyTrash finds damage in a trashed file.
func TestTrashedFilesVerify(t *testing.T) {
	dir := t.TempDir()
	seedRun(t, dir)
	s := mustOpenDir(t, dir, Options{})
	e, err := s.TrashRun(context.Background(), "run")
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	rep, err := Verify(context.Background(), dir)
	if err != nil || !rep.OK() || len(rep.Files) != 0 {
		t.Fatalf("Verify with the run in the trash: got %+v, %v, want no files and no damage", rep, err)
	}
	rep, err = VerifyTrash(context.Background(), dir)
	if err != nil || !rep.OK() || len(rep.Files) != 2 {
		t.Fatalf("VerifyTrash: got %+v, %v, want 2 good files", rep, err)
	}
	path := filepath.Join(dir, trashDir, e.ID, kindTraining.dirName())
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-3] ^= 0x10
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err = VerifyTrash(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() {
		t.Errorf("VerifyTrash after a flipped bit in %s: got no damage", path)
	}
	// Damaged or not, it is restored as it is, and the live Verify sees it.
	if err := os.WriteFile(filepath.Join(dir, trashDir, e.ID, manifestName), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err = VerifyTrash(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Files) != 3 || rep.Files[0].Err == nil {
		t.Errorf("VerifyTrash with a damaged manifest: got %+v, want it reported first", rep.Files)
	}
	s2, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := s2.ListTrash(context.Background()); !errors.Is(err, statstore.ErrCorrupt) {
		t.Errorf("ListTrash with a damaged manifest: got %v, want ErrCorrupt", err)
	}
}

func FuzzDecodeManifest(f *testing.F) {
	good, err := encodeManifest(statstore.TrashEntry{ID: "20260301-120000-0dfdb472", Run: "run", DeletedAt: time.Unix(1e9, 5).UTC(), TrainingIterations: 3, ValidationIterations: -1, Bytes: 947})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`{"version":2,"id":"x","run":"r","deleted_at":"2026-03-01T12:00:00Z"}`))
	f.Add([]byte(`{"version":1,"id":"x","run":"a/b","deleted_at":"2026-03-01T12:00:00Z"} {}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := decodeManifest(data)
		if err != nil {
			return
		}
		if verr := e.Validate(); verr != nil {
			t.Fatalf("decodeManifest accepted an invalid entry %+v: %v", e, verr)
		}
		again, err := encodeManifest(e)
		if err != nil {
			t.Fatalf("encodeManifest(%+v): %v", e, err)
		}
		back, err := decodeManifest(again)
		if err != nil || back.ID != e.ID || back.Run != e.Run || !back.DeletedAt.Equal(e.DeletedAt) ||
			back.TrainingIterations != e.TrainingIterations || back.ValidationIterations != e.ValidationIterations || back.Bytes != e.Bytes {
			t.Fatalf("round trip of %+v: got %+v, %v", e, back, err)
		}
	})
}

// BenchmarkTrashVersusDelete compares moving a run to the trash (and
// restoring it) with deleting it for good, for a run of 10,000 training
// entries and 20 validations: the trash costs renames, never the data.
func BenchmarkTrashVersusDelete(b *testing.B) {
	ctx := context.Background()
	for _, mode := range []string{"delete", "trash", "trash+restore"} {
		b.Run(mode, func(b *testing.B) {
			s := mustOpen(b, Options{})
			entries := history(0, 1, 10_000)
			for b.Loop() {
				b.StopTimer()
				storeHistory(b, s, "run", entries, len(entries))
				if err := s.StoreValidationIterationScores(ctx, "run", scores(storetest.Iters(0, 20_000, 1000)...)); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				switch mode {
				case "delete":
					if err := s.DeleteRun(ctx, "run"); err != nil {
						b.Fatal(err)
					}
				default:
					e, err := s.TrashRun(ctx, "run")
					if err != nil {
						b.Fatal(err)
					}
					if mode == "trash+restore" {
						if _, err := s.RestoreRun(ctx, e.ID, ""); err != nil {
							b.Fatal(err)
						}
						if err := s.DeleteRun(ctx, "run"); err != nil {
							b.Fatal(err)
						}
					}
				}
			}
		})
	}
}

// TestUnfinishedMoveWarned: a read-only Store cannot finish a move a
// crash cut; listing the runs warns of it, naming the run.
func TestUnfinishedMoveWarned(t *testing.T) {
	dir := t.TempDir()
	seedRun(t, dir)
	moving := filepath.Join(dir, trashDir, movingDir, "run")
	if err := os.MkdirAll(moving, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(validationFile(dir, "run"), filepath.Join(moving, kindValidation.dirName())); err != nil {
		t.Fatal(err)
	}
	logger, buf := logBuffer()
	s := mustOpenDir(t, dir, Options{ReadOnly: true, Logger: logger})
	if _, err := s.ListRuns(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "move of this run to or from the trash was interrupted") || !strings.Contains(buf.String(), "run=run") {
		t.Errorf("log %q: want a warning naming the run", buf.String())
	}
	_ = s.Close()
	trashState(t, dir) // a writable open finishes it: the run is live and whole
}

// withoutTime is r without its LastWrite (the files' modification times).
func withoutTime(r statstore.RunInfo) statstore.RunInfo {
	r.LastWrite = time.Time{}
	return r
}
