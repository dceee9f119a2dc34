package filestore

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/storetest"
)

// TestSummaryFileChecksum: a version 2 summary file is used only whole.
// Every prefix of it (a write cut short, a crash's leftover) and every
// mix of a new and an old file (an in-place rewrite a reader meets half
// done) is refused, so the reader recomputes; a version 1 file (replaced
// by rename only, never torn) is still read.
func TestSummaryFileChecksum(t *testing.T) {
	sum := statstore.Summarize("run", nil, nil)
	sum.Run = "run"
	old, err := encodeSummaryFile(summaryFile{Version: summaryVersion, runStamps: runStamps{Training: &fileStamp{Size: 100, MTime: 1, Inode: 2}}, Summary: sum})
	if err != nil {
		t.Fatal(err)
	}
	sum.TrainedUntil, sum.TrainingIterations = 1000, 1000
	cur, err := encodeSummaryFile(summaryFile{Version: summaryVersion, runStamps: runStamps{Training: &fileStamp{Size: 123456, MTime: 99, Inode: 2}}, Summary: sum})
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeSummaryFile(cur, "run")
	if err != nil || got.Summary.TrainedUntil != 1000 || got.Training.Size != 123456 {
		t.Fatalf("decode of a whole file = %+v, %v", got, err)
	}
	for n := range len(cur) {
		if _, err := decodeSummaryFile(cur[:n], "run"); err == nil {
			t.Fatalf("a prefix of %d of %d bytes decodes", n, len(cur))
		}
	}
	// A rewrite in place that a reader meets half done: the new bytes up
	// to n, the old ones after them (and an old tail past a shorter file).
	for _, pair := range [][2][]byte{{cur, old}, {old, cur}} {
		next, prev := pair[0], pair[1]
		for n := range len(next) {
			mixed := append(append([]byte{}, next[:n]...), prev[min(n, len(prev)):]...)
			if bytes.Equal(mixed, prev) || bytes.Equal(mixed, next) {
				continue
			}
			if _, err := decodeSummaryFile(mixed, "run"); err == nil {
				t.Fatalf("a half-done rewrite (%d new bytes of %d) decodes: %q", n, len(next), mixed)
			}
		}
		// The new file written, the old tail not yet truncated.
		if len(prev) > len(next) {
			if _, err := decodeSummaryFile(append(append([]byte{}, next...), prev[len(next):]...), "run"); err == nil {
				t.Fatal("a rewrite not yet truncated decodes")
			}
		}
	}
	v1 := []byte(`{"version":1,"training":{"size":5,"mtime_ns":1,"inode":2},"validation":null,"summary":{"run":"run"}}`)
	if _, err := decodeSummaryFile(v1, "run"); err != nil {
		t.Fatalf("a version 1 file: %v", err)
	}
	if _, err := decodeSummaryFile(bytes.Replace(cur, []byte(`"version":2`), []byte(`"version":1`), 1), "run"); err == nil {
		t.Fatal("a version 1 document with a checksum line decodes")
	}
}

// TestSummaryFileWrittenInPlace: a Store rewrites a summary file in place,
// but never through a symbolic link or into a file with a second name.
func TestSummaryFileWrittenInPlace(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.sumLag = 0 // every write rewrites the file
	write := func(from int) {
		t.Helper()
		if err := s.StoreTrainingStats(ctx, "run", &statstore.TrainingStats{IterationStats: history(0, 1, from)}); err != nil {
			t.Fatal(err)
		}
	}
	write(10)
	path := s.summaryPath("run")
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	write(20)
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Error("the summary file was replaced, want it rewritten in place")
	}
	checkKeptSummary(t, s, "run", 20)

	// A symbolic link: replaced, its target untouched.
	target := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.WriteFile(target, []byte("not a summary"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	write(30)
	if data, err := os.ReadFile(target); err != nil || string(data) != "not a summary" {
		t.Fatalf("the link's target now holds %q (%v), want it untouched", data, err)
	}
	if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("the summary path after a write: %v, %v; want a regular file", fi, err)
	}
	checkKeptSummary(t, s, "run", 30)
	write(35) // the Store keeps the new file open for the next write
	checkKeptSummary(t, s, "run", 35)

	// A second name, made while the Store keeps the file open: the other
	// name keeps its bytes.
	other := filepath.Join(t.TempDir(), "second-name")
	if err := os.Link(path, other); err != nil {
		t.Fatal(err)
	}
	kept, err := os.ReadFile(other)
	if err != nil {
		t.Fatal(err)
	}
	write(40)
	if data, err := os.ReadFile(other); err != nil || !bytes.Equal(data, kept) {
		t.Fatalf("the file's second name changed (%v): a summary was written through a hard link", err)
	}
	checkKeptSummary(t, s, "run", 40)
}

// checkKeptSummary fails unless run's summary file decodes and says the
// run is trained until until.
func checkKeptSummary(t *testing.T, s *Store, run string, until int) {
	t.Helper()
	if sf, _ := readSummaryFile(t, s, run); sf.Summary.TrainedUntil != until {
		t.Fatalf("summary file says trained until %d, want %d", sf.Summary.TrainedUntil, until)
	}
}

// TestSummaryStampsAfterWrites checks that after every kind of write the
// summary file is stamped with the run's files as they are (what a reader
// compares it with): appends through the kept training file, which take
// the training file's stamp from its descriptor and keep the validation
// file's, a validation write, an overwrite, a new Store's first append.
func TestSummaryStampsAfterWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := mustOpenDir(t, dir, Options{NoSync: true})
	s.sumLag = 0 // every write rewrites the file
	check := func(after string) {
		t.Helper()
		sf, _ := readSummaryFile(t, s, "run")
		now, err := s.stamps("run")
		if err != nil {
			t.Fatal(err)
		}
		if !sf.runStamps.equal(now) {
			t.Fatalf("after %s: the summary file is stamped training %+v, validation %+v; the files are %+v, %+v",
				after, sf.Training, sf.Validation, now.Training, now.Validation)
		}
	}
	train := func(n int) {
		t.Helper()
		if err := s.StoreTrainingStats(ctx, "run", &statstore.TrainingStats{IterationStats: history(0, 1, n)}); err != nil {
			t.Fatal(err)
		}
		check(fmt.Sprintf("storing %d entries", n))
	}
	train(10)
	train(20)
	if err := s.StoreValidationIterationScores(ctx, "run", storetest.Scores(storetest.Metadata(), 5)); err != nil {
		t.Fatal(err)
	}
	check("a validation write")
	train(30)
	train(40)
	train(15) // an overwrite: a new training file, validations superseded
	check("an overwrite")
	train(50)
	s = mustOpenDir(t, dir, Options{NoSync: true})
	s.sumLag = 0
	train(60)
}
