package filestore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/record"
	"github.com/statstore/statstore/storetest"
)

// fileVersion returns the format version in the header of the file at path.
func fileVersion(tb testing.TB, path string) uint16 {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if len(b) < headerSize {
		tb.Fatalf("%s: %d bytes, shorter than a header", path, len(b))
	}
	return binary.LittleEndian.Uint16(b[8:])
}

// putValidation writes b as run "r"'s validation file in dir.
func putValidation(tb testing.TB, dir string, b []byte) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Join(dir, kindValidation.dirName()), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(validationFile(dir, "r"), b, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// readSeed returns a seed file of testdata/.
func readSeed(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// appendRecord appends a record with payload to the file bytes b, whose
// header says its version, as a writer of that version would.
func appendRecord(tb testing.TB, b []byte, payload []byte) []byte {
	tb.Helper()
	h, err := decodeHeader(b, kindValidation)
	if err != nil {
		tb.Fatal(err)
	}
	out, _, _ := h.layout().Append(slices.Clone(b), int64(len(b)), payload)
	return out
}

// withVersion returns the file bytes b with the header's version set to v.
func withVersion(b []byte, v uint16) []byte {
	b = slices.Clone(b)
	binary.LittleEndian.PutUint16(b[8:], v)
	binary.LittleEndian.PutUint32(b[28:], record.Checksum(b[:28]))
	return b
}

// wantIterations checks the run's validation entries: their iterations,
// which of them are superseded, and the version of each entry's values.
func wantIterations(tb testing.TB, s statstore.StatsStore, iters, superseded, versions []int) {
	tb.Helper()
	got, err := s.RetrieveValidationIterationScores(tb.Context(), "r")
	if err != nil {
		tb.Fatalf("RetrieveValidationIterationScores: %v", err)
	}
	want := make([]statstore.ValidationIterationScores, len(iters))
	for i, it := range iters {
		want[i] = storetest.IterationScores(storetest.Metadata(), versions[i], it)
		want[i].Superseded = slices.Contains(superseded, it)
	}
	if !sameScores(got, want) {
		tb.Fatalf("validation: iterations %v (superseded %v, first values %v), want %v (superseded %v, versions %v)",
			iterationsOf(got), supersededOf(got), firstValues(got), iters, superseded, versions)
	}
}

// firstValues returns the first score of each entry, for messages.
func firstValues(entries []statstore.ValidationIterationScores) []float64 {
	out := make([]float64, len(entries))
	for i, e := range entries {
		out[i] = e.Scores[0][0][0]
	}
	return out
}

// TestOldVersionDuplicateIsCorrupt checks that a validation file of format
// version 1 or 2 holding an iteration twice is still corrupt (their
// writers never wrote one), while the same records in version 3 read with
// the last entry winning.
func TestOldVersionDuplicateIsCorrupt(t *testing.T) {
	meta := storetest.Metadata()
	for _, seed := range []string{"validation-v1.seed", "validation-v2.seed"} {
		t.Run(seed, func(t *testing.T) {
			old := readSeed(t, seed)
			dup := appendRecord(t, old, encodeScores(meta.Shape(), storetest.ScoresVersion(meta, 7, 10).Scores))
			dir := t.TempDir()
			putValidation(t, dir, dup)
			r, err := Open(dir, Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = r.Close() }() // read-only
			_, err = r.RetrieveValidationIterationScores(t.Context(), "r")
			var ce *statstore.CorruptError
			if !errors.As(err, &ce) || ce.Offset != int64(len(old)) || !strings.Contains(err.Error(), "stored twice") {
				t.Fatalf("read of a version %d file holding iteration 10 twice: %v, want a CorruptError at offset %d saying it is stored twice",
					fileVersion(t, validationFile(dir, "r")), err, len(old))
			}
			rep, err := Verify(t.Context(), dir)
			if err != nil || rep.OK() {
				t.Fatalf("Verify: %+v (%v), want the duplicate reported", rep, err)
			}
			if fileVersion(t, validationFile(dir, "r")) == formatV1 {
				return // version 1's blocks differ from version 3's
			}
			putValidation(t, dir, withVersion(dup, formatV3))
			wantIterations(t, r, []int{0, 5, 10, 20}, nil, []int{0, 0, 7, 0})
			if rep, err := Verify(t.Context(), dir); err != nil || !rep.OK() {
				t.Fatalf("Verify of the version 3 file: %+v (%v), want clean", rep, err)
			}
		})
	}
}

// TestOldVersionNewRecordIsCorrupt checks that a record of a kind newer
// than the file's format version is corruption (supersede and delete
// records in version 2; marked scores, pending supersede and resolve
// records in version 3), reported by readers and Verify at the record's
// offset, and that Repair keeps the records before it.
func TestOldVersionNewRecordIsCorrupt(t *testing.T) {
	marked := storetest.IterationScores(storetest.Metadata(), 0, 30)
	marked.Superseded = true
	for _, c := range []struct {
		seed    string
		payload []byte
	}{
		{"validation-v2.seed", encodeMark(valRecordSupersede, 5)},
		{"validation-v2.seed", encodeMark(valRecordDelete, 5)},
		{"validation-v3.seed", encodeScores(storetest.Metadata().Shape(), []statstore.ValidationIterationScores{marked})},
		{"validation-v3.seed", encodePending(pendingMark{rewind: 5, train: 7})},
		{"validation-v3.seed", encodeResolve(outcomeApplied, 7)},
	} {
		t.Run(c.seed+"/"+valRecordName(c.payload[0]), func(t *testing.T) {
			old := readSeed(t, c.seed)
			version := binary.LittleEndian.Uint16(old[8:])
			dir := t.TempDir()
			putValidation(t, dir, appendRecord(t, old, c.payload))
			r, err := Open(dir, Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = r.Close() }() // read-only
			_, err = r.RetrieveValidationScores(t.Context(), "r")
			var ce *statstore.CorruptError
			if !errors.As(err, &ce) || ce.Offset != int64(len(old)) || !strings.Contains(err.Error(), fmt.Sprintf("format version %d", version)) {
				t.Fatalf("read: %v, want a CorruptError at offset %d naming format version %d", err, len(old), version)
			}
			rep, err := Repair(t.Context(), dir, nil)
			if err != nil || len(rep.Files) != 1 || rep.Files[0].ValidBytes != int64(len(old)) {
				t.Fatalf("Repair: %+v (%v), want the file's first %d bytes kept", rep, err, len(old))
			}
			if version == formatV2 {
				wantIterations(t, r, []int{0, 5, 10, 20}, nil, []int{0, 0, 0, 0})
			} else {
				wantIterations(t, r, []int{0, 5, 10, 20}, []int{20}, []int{0, 0, 2, 0})
			}
		})
	}
}

// TestOldVersionUpgraded checks what a Store does to a validation file of
// format version 1, 2 or 3: an insert appends to it in its own version
// (old programs still read it), and so does every call the version can
// express; a call it cannot express (a re-validation or a delete after an
// iteration in version 1 or 2; a training replace that supersedes
// validations or a merge of superseded entries in any of them) rewrites
// it in version 4 after keeping it under .backup, and the result persists.
func TestOldVersionUpgraded(t *testing.T) {
	meta := storetest.Metadata()
	type state struct{ iters, superseded, versions []int }
	calls := []struct {
		name string
		do   func(t *testing.T, s *Store)
		// since is the first format version that expresses the call.
		since uint16
		// the state after the call: old for the seeds of versions 1 and 2
		// (0, 5, 10 and 20), v3 for the version 3 seed (10 re-validated
		// with version 2 scores, 20 superseded); the test inserts 3 first.
		old, v3 state
	}{
		{"re-validation", func(t *testing.T, s *Store) {
			res, err := s.MergeValidationScores(t.Context(), "r", storetest.ScoresVersion(meta, 3, 10, 30))
			if err != nil || !slices.Equal(res.Replaced, []int{10}) || !slices.Equal(res.Inserted, []int{30}) {
				t.Fatalf("MergeValidationScores: %+v (%v), want 10 replaced and 30 inserted", res, err)
			}
		}, formatV3,
			state{[]int{0, 3, 5, 10, 20, 30}, nil, []int{0, 0, 0, 3, 0, 3}},
			state{[]int{0, 3, 5, 10, 20, 30}, []int{20}, []int{0, 0, 0, 3, 0, 3}}},
		{"training replace", func(t *testing.T, s *Store) {
			// The stored history is history(0, 3, 1400): resumed at 9.
			storeHistory(t, s, "r", history(0, 3, 3), 3)
		}, formatV4,
			state{[]int{0, 3, 5, 10, 20}, []int{10, 20}, []int{0, 0, 0, 0, 0}},
			state{[]int{0, 3, 5, 10, 20}, []int{10, 20}, []int{0, 0, 0, 2, 0}}},
		{"delete after", func(t *testing.T, s *Store) {
			if err := s.DeleteValidationAfter(t.Context(), "r", 6); err != nil {
				t.Fatal(err)
			}
		}, formatV3,
			state{[]int{0, 3, 5}, nil, []int{0, 0, 0}},
			state{[]int{0, 3, 5}, nil, []int{0, 0, 0}}},
		{"superseded entry sent", func(t *testing.T, s *Store) {
			sent := scores(40)
			sent.Scores[0].Superseded = true
			res, err := s.MergeValidationScores(t.Context(), "r", sent)
			if err != nil || !slices.Equal(res.Inserted, []int{40}) {
				t.Fatalf("MergeValidationScores: %+v (%v), want 40 inserted", res, err)
			}
		}, formatV4,
			state{[]int{0, 3, 5, 10, 20, 40}, []int{40}, []int{0, 0, 0, 0, 0, 0}},
			state{[]int{0, 3, 5, 10, 20, 40}, []int{20, 40}, []int{0, 0, 0, 2, 0, 0}}},
	}
	for _, seed := range []string{"validation-v1.seed", "validation-v2.seed", "validation-v3.seed"} {
		for _, c := range calls {
			t.Run(seed+"/"+c.name, func(t *testing.T) {
				dir := t.TempDir()
				s := mustOpenDir(t, dir, Options{NoSync: true})
				storeHistory(t, s, "r", history(0, 3, 1400), 700)
				old := readSeed(t, seed)
				oldVersion := binary.LittleEndian.Uint16(old[8:])
				putValidation(t, dir, old)
				path := validationFile(dir, "r")
				want := c.old
				if oldVersion == formatV3 {
					want = c.v3
				}

				// An insert keeps the file's version.
				res, err := s.MergeValidationScores(t.Context(), "r", scores(0, 3, 5))
				if err != nil || !slices.Equal(res.Inserted, []int{3}) || !slices.Equal(res.Unchanged, []int{0, 5}) {
					t.Fatalf("insert: %+v (%v), want 3 inserted, 0 and 5 unchanged", res, err)
				}
				if v := fileVersion(t, path); v != oldVersion {
					t.Fatalf("after an insert the file is version %d, want %d", v, oldVersion)
				}
				before, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}

				c.do(t, s)
				wantVersion, wantBackups := uint16(formatV4), 1
				if oldVersion >= c.since {
					wantVersion, wantBackups = oldVersion, 0
				}
				if v := fileVersion(t, path); v != wantVersion {
					t.Fatalf("after the %s the file is version %d, want %d", c.name, v, wantVersion)
				}
				backups, _ := filepath.Glob(filepath.Join(dir, backupDir, kindValidation.dirName(), "r.*.upgraded"))
				if len(backups) != wantBackups {
					t.Fatalf("backups %v, want %d r.*.upgraded", backups, wantBackups)
				}
				if wantBackups > 0 {
					if b, err := os.ReadFile(backups[0]); err != nil || !bytes.Equal(b, before) {
						t.Fatalf("backup %s holds %d bytes (%v), want the %d bytes of the version %d file", backups[0], len(b), err, len(before), oldVersion)
					}
				}
				wantIterations(t, s, want.iters, want.superseded, want.versions)
				wantIterations(t, mustOpenDir(t, dir, Options{ReadOnly: true}), want.iters, want.superseded, want.versions)
			})
		}
	}
}

// constScores returns the validation entry of iteration it with every
// score x.
func constScores(it int, x float64) statstore.ValidationIterationScores {
	e := storetest.IterationScores(storetest.Metadata(), 0, it)
	for _, d := range e.Scores {
		for _, p := range d {
			for c := range p {
				p[c] = x
			}
		}
	}
	return e
}

// TestDaCapoResume is DaCapo's resume: train to 3456, validate 1000, 2000
// and 3000, resume from the checkpoint at 2000 (the next store holds a
// history that departs from the stored one at 2000), train on and
// validate 3000 again. In between, 3000 is superseded, also for a Store
// opened afresh, and the best report leaves it out although its scores
// are the best; after the re-validation 3000 is current with the new
// scores.
func TestDaCapoResume(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	log, buf := logBuffer()
	s := mustOpenDir(t, dir, Options{Logger: log})
	meta := storetest.Metadata()
	first := history(0, 1, 3456)
	if err := s.StoreTrainingStats(ctx, "r", &statstore.TrainingStats{IterationStats: first}); err != nil {
		t.Fatal(err)
	}
	// voi (lower is better): the old 3000 is the best checkpoint.
	old := []statstore.ValidationIterationScores{constScores(1000, 0.5), constScores(2000, 0.4), constScores(3000, 0.1)}
	for _, e := range old {
		if err := s.StoreValidationIterationScores(ctx, "r", &statstore.ValidationScores{Metadata: meta, Scores: []statstore.ValidationIterationScores{e}}); err != nil {
			t.Fatal(err)
		}
	}
	resumed := slices.Clone(first[:3000])
	for i := 2000; i < len(resumed); i++ {
		resumed[i].Loss += 1 // the resumed training's own losses
	}
	if err := s.StoreTrainingStats(ctx, "r", &statstore.TrainingStats{IterationStats: resumed}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "superseded=[3000]") || !strings.Contains(buf.String(), "rewind_point=2000") {
		t.Errorf("log %q, want the superseded validation 3000 and the rewind point 2000", buf.String())
	}
	for what, r := range map[string]*Store{"the writer": s, "a new store": mustOpenDir(t, dir, Options{ReadOnly: true})} {
		v, err := r.RetrieveValidationScores(ctx, "r")
		if err != nil {
			t.Fatal(err)
		}
		if got := supersededOf(v.Scores); !slices.Equal(got, []int{3000}) {
			t.Fatalf("%s: superseded %v, want [3000]", what, got)
		}
		rep := v.BestReport()
		if rep.Superseded != 1 {
			t.Errorf("%s: best report left out %d superseded entries, want 1", what, rep.Superseded)
		}
		for _, b := range append(rep.PerDataset, rep.OverDatasets...) {
			if b.Iteration != 2000 {
				t.Fatalf("%s: best %s/%s is iteration %d, want 2000 (3000 is superseded)", what, b.Dataset, b.Criterion, b.Iteration)
			}
		}
	}
	resumed = append(resumed, history(3000, 1, 200)...)
	if err := s.StoreTrainingStats(ctx, "r", &statstore.TrainingStats{IterationStats: resumed}); err != nil {
		t.Fatal(err)
	}
	// DaCapo's in-memory list after the resume: [1000, 2000, 3000, 3000].
	again := append(slices.Clone(old), constScores(3000, 0.3))
	res, err := s.MergeValidationScores(ctx, "r", &statstore.ValidationScores{Metadata: meta, Scores: again})
	if err != nil || !slices.Equal(res.Replaced, []int{3000}) || !slices.Equal(res.Unchanged, []int{1000, 2000}) {
		t.Fatalf("re-validation: %+v (%v), want 3000 replaced, 1000 and 2000 unchanged", res, err)
	}
	want := []statstore.ValidationIterationScores{old[0], old[1], constScores(3000, 0.3)}
	for what, r := range map[string]*Store{"the writer": s, "a new store": mustOpenDir(t, dir, Options{ReadOnly: true})} {
		v, err := r.RetrieveValidationScores(ctx, "r")
		if err != nil || !sameScores(v.Scores, want) {
			t.Fatalf("%s after the re-validation: iterations %v, superseded %v, values %v (%v); want 3000 current with 0.3",
				what, iterationsOf(v.Scores), supersededOf(v.Scores), firstValues(v.Scores), err)
		}
		for _, b := range v.BestReport().PerDataset {
			if b.Iteration != 3000 || b.Value != 0.3 {
				t.Fatalf("%s: best %s/%s is iteration %d (%v), want the new 3000 (0.3)", what, b.Dataset, b.Criterion, b.Iteration, b.Value)
			}
		}
	}
}

// TestSupersedeSurvivesReopen checks that superseded marks are in the
// file: a new Store, and one whose cache follows the file's appends, read
// them; a later entry for the iteration clears its mark, and a second
// rewind marks again.
func TestSupersedeSurvivesReopen(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := mustOpenDir(t, dir, Options{NoSync: true})
	reader := mustOpenDir(t, dir, Options{ReadOnly: true})
	meta := storetest.Metadata()
	train := func(iters ...int) {
		t.Helper()
		if err := s.StoreTrainingStats(ctx, "r", storetest.Training(iters...)); err != nil {
			t.Fatal(err)
		}
	}
	validate := func(version int, iters ...int) {
		t.Helper()
		if err := s.StoreValidationIterationScores(ctx, "r", storetest.ScoresVersion(meta, version, iters...)); err != nil {
			t.Fatal(err)
		}
	}
	check := func(iters, superseded, versions []int) {
		t.Helper()
		wantIterations(t, reader, iters, superseded, versions) // cached, follows the appends
		wantIterations(t, s, iters, superseded, versions)
		wantIterations(t, mustOpenDir(t, dir, Options{ReadOnly: true}), iters, superseded, versions)
	}
	train(storetest.Iters(0, 40, 1)...)
	validate(0, 10, 20, 30)
	check([]int{10, 20, 30}, nil, []int{0, 0, 0})
	train(storetest.Iters(0, 15, 1)...) // resumed: rewind point 15
	check([]int{10, 20, 30}, []int{20, 30}, []int{0, 0, 0})
	validate(0, 30) // the same scores sent again: still superseded
	check([]int{10, 20, 30}, []int{20, 30}, []int{0, 0, 0})
	validate(1, 20) // validated again: current
	check([]int{10, 20, 30}, []int{30}, []int{0, 1, 0})
	train(storetest.Iters(0, 5, 1)...) // resumed again: rewind point 5
	check([]int{10, 20, 30}, []int{10, 20, 30}, []int{0, 1, 0})
	validate(2, 30, 10)
	check([]int{10, 20, 30}, []int{20}, []int{2, 1, 2})
	if err := s.DeleteValidationAfter(ctx, "r", 20); err != nil {
		t.Fatal(err)
	}
	check([]int{10}, nil, []int{2})
	validate(1, 25)
	check([]int{10, 25}, nil, []int{2, 1})
}

// TestDeleteValidationAfter checks the explicit delete: a record that
// removes the entries from an iteration on (later entries insert again),
// the file removed when nothing is left, an unknown run or nothing to
// delete is not an error, and a negative iteration or a read-only store is.
func TestDeleteValidationAfter(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := mustOpenDir(t, dir, Options{NoSync: true})
	path := validationFile(dir, "r")
	if err := s.DeleteValidationAfter(ctx, "r", 0); err != nil {
		t.Fatalf("unknown run: %v, want nil", err)
	}
	if err := s.StoreValidationIterationScores(ctx, "r", scores(0, 10, 20, 30)); err != nil {
		t.Fatal(err)
	}
	size := fileSize(t, path)
	if err := s.DeleteValidationAfter(ctx, "r", 31); err != nil || fileSize(t, path) != size {
		t.Fatalf("nothing to delete: %v, file of %d bytes; want nil and the file unchanged (%d bytes)", err, fileSize(t, path), size)
	}
	if err := s.DeleteValidationAfter(ctx, "r", -1); !errors.Is(err, statstore.ErrInvalidArgument) {
		t.Fatalf("negative iteration: %v, want ErrInvalidArgument", err)
	}
	ro := mustOpenDir(t, dir, Options{ReadOnly: true})
	if err := ro.DeleteValidationAfter(ctx, "r", 0); !errors.Is(err, statstore.ErrReadOnly) {
		t.Fatalf("read-only store: %v, want ErrReadOnly", err)
	}
	if err := s.DeleteValidationAfter(ctx, "r", 15); err != nil {
		t.Fatal(err)
	}
	if got := fileSize(t, path) - size; got != record.HeaderSize+valMarkSize {
		t.Errorf("the delete wrote %d bytes, want one record of %d", got, record.HeaderSize+valMarkSize)
	}
	wantIterations(t, ro, []int{0, 10}, nil, []int{0, 0})
	runs, err := ro.ListRuns(ctx)
	if err != nil || len(runs) != 1 || runs[0].ValidatedUntil != 11 || runs[0].ValidationIterations != 2 {
		t.Fatalf("ListRuns: %+v (%v), want validated until 11 with 2 entries", runs, err)
	}
	if err := s.StoreValidationIterationScores(ctx, "r", scores(20)); err != nil {
		t.Fatal(err)
	}
	wantIterations(t, ro, []int{0, 10, 20}, nil, []int{0, 0, 0})
	if err := s.DeleteValidationAfter(ctx, "r", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("after deleting every entry: stat %s: %v, want the file removed", path, err)
	}
	if runs, err := ro.ListRuns(ctx); err != nil || len(runs) != 0 {
		t.Fatalf("ListRuns after deleting every entry: %+v (%v), want none", runs, err)
	}
	if _, err := os.Stat(filepath.Join(dir, locksDir, "r")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the lock file of a run with no data left: %v, want it removed", err)
	}
}

// copyRunFiles copies run "r"'s training and validation files from dir to
// a new directory, as a crash at this instant leaves them (every write
// before it was fsynced), and returns that directory.
func copyRunFiles(tb testing.TB, dir string) string {
	tb.Helper()
	img := tb.TempDir()
	for _, path := range []func(dir, run string) string{trainingFile, validationFile} {
		b, err := os.ReadFile(path(dir, "r"))
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(path(img, "r")), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path(img, "r"), b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return img
}
