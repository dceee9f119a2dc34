package filestore

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/storetest"
)

// readSummaryFile reads and decodes run's summary file in s, failing
// the test when it does not decode; it returns the bytes too.
func readSummaryFile(t *testing.T, s *Store, run string) (summaryFile, []byte) {
	t.Helper()
	data, err := os.ReadFile(s.summaryPath(run))
	if err != nil {
		t.Fatal(err)
	}
	sf, err := decodeSummaryFile(data, run)
	if err != nil {
		t.Fatalf("summary file: %v", err)
	}
	return sf, data
}

// checkCatchUp fails unless a fresh read-only Store of dir takes run's
// summary from its summary file (caught up when behind, never recomputed)
// and that summary equals the one recomputed from the history, and
// unless RunSummaries answers the same.
func checkCatchUp(t *testing.T, dir, run string) statstore.RunSummary {
	t.Helper()
	ctx := context.Background()
	r := mustOpenDir(t, dir, Options{ReadOnly: true})
	defer r.Close()
	want, err := r.recompute(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	r.forget()
	stamps, err := r.stamps(run)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := r.readSummary(run, stamps)
	if !ok {
		t.Fatal("the summary file was not used: want it used, caught up from its cover when behind")
	}
	if !statstore.EqualSummaries(got, want) {
		t.Fatalf("summary from the file: got %+v, want %+v (recomputed)", got, want)
	}
	r.forget()
	page, err := r.RunSummaries(ctx, statstore.RunQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Runs) != 1 || !statstore.EqualSummaries(page.Runs[0], want) {
		t.Fatalf("RunSummaries: got %+v, want %+v", page.Runs, want)
	}
	return want
}

// refusedCatchUp fails if a fresh read-only Store of dir takes run's
// summary from its summary file, which is behind the files in a way that
// what says; it returns that Store's listing, which recomputes the
// summary. Not through mustOpenDir: some callers damaged the files.
func refusedCatchUp(t *testing.T, dir, run, what string) (statstore.RunPage, error) {
	t.Helper()
	r, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	stamps, err := r.stamps(run)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := r.readSummary(run, stamps); ok {
		t.Fatalf("caught up %s: %+v", what, got)
	}
	return r.RunSummaries(context.Background(), statstore.RunQuery{})
}

// TestSummaryLagsAndCatchesUp: appends of a few records leave the summary
// file behind (its cover within summaryLag bytes of the committed end);
// a reader catches up from the cover to the summary a recomputation
// gives; a validation write and Close write it current again.
func TestSummaryLagsAndCatchesUp(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := mustOpenDir(t, dir, Options{NoSync: true})
	const per = 1000
	all := history(0, 1, 40*per)
	behind := 0
	for n := per; n <= len(all); n += per {
		if err := w.StoreTrainingStats(ctx, "run", &statstore.TrainingStats{IterationStats: all[:n]}); err != nil {
			t.Fatal(err)
		}
		if n == 20*per {
			if err := w.StoreValidationIterationScores(ctx, "run", storetest.Scores(storetest.Metadata(), 5)); err != nil {
				t.Fatal(err)
			}
			sf, _ := readSummaryFile(t, w, "run")
			if now, err := w.stamps("run"); err != nil || !sf.runStamps.equal(now) {
				t.Fatalf("after a validation write the summary file is stamped %+v, the files are %+v (%v)", sf.runStamps, now, err)
			}
		}
		sf, _ := readSummaryFile(t, w, "run")
		now, err := w.stamps("run")
		if err != nil {
			t.Fatal(err)
		}
		if n == per && (sf.Cover == nil || sf.Cover.End != now.Training.Size || sf.Cover.Count != per) {
			// The run's creation learns the new file's identity, so that
			// the next appends can leave the summary file behind.
			t.Fatalf("after the run's first write the summary file's cover is %+v, want its %d entries up to the file's end %d", sf.Cover, per, now.Training.Size)
		}
		if !sf.runStamps.equal(now) {
			behind++
			if sf.Cover == nil {
				t.Fatalf("after %d entries: a summary file behind the files without a cover", n)
			}
			if lag := now.Training.Size - sf.Cover.End; lag <= 0 || lag >= summaryLag {
				t.Fatalf("after %d entries: the summary file's cover is %d bytes behind, want 1 to %d", n, lag, summaryLag-1)
			}
		}
		if n%(7*per) == 0 || n == len(all) {
			checkCatchUp(t, dir, "run")
		}
	}
	if behind < 20 {
		t.Fatalf("the summary file was behind after %d of 40 appends, want most", behind)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	sf, _ := readSummaryFile(t, w, "run")
	if now, err := w.stamps("run"); err != nil || !sf.runStamps.equal(now) {
		t.Fatalf("after Close the summary file is stamped %+v, the files are %+v (%v)", sf.runStamps, now, err)
	}
	if got := checkCatchUp(t, dir, "run"); got.TrainedUntil != len(all) {
		t.Fatalf("trained until %d, want %d", got.TrainedUntil, len(all))
	}
}

// laggingStore writes run's history in appends of per entries through a
// Store and leaves the summary file as the writer left it before Close
// (a killed writer): behind the training file, its cover at the end of
// the first record (the run's creation). It returns the summary file's bytes and the
// training file's size after each append.
func laggingStore(t *testing.T, dir, run string, all []statstore.TrainingIterationStats, per int) ([]byte, []int64) {
	t.Helper()
	ctx := context.Background()
	w, err := Open(dir, Options{NoSync: true}) // not mustOpenDir: tests damage the files
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var ends []int64
	for n := per; n <= len(all); n += per {
		if err := w.StoreTrainingStats(ctx, run, &statstore.TrainingStats{IterationStats: all[:n]}); err != nil {
			t.Fatal(err)
		}
		ends = append(ends, fileSize(t, trainingFile(dir, run)))
	}
	sf, data := readSummaryFile(t, w, run)
	if sf.Cover == nil || sf.Cover.End != ends[0] || sf.Cover.Count != per {
		t.Fatalf("summary file's cover %+v, want the first record (ending at %d)", sf.Cover, ends[0])
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(w.summaryPath(run), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return data, ends
}

// TestSummaryCatchUpTornTail: a torn append after the cover is not
// summarised; the committed records after the cover are.
func TestSummaryCatchUpTornTail(t *testing.T) {
	dir := t.TempDir()
	laggingStore(t, dir, "run", history(0, 1, 4000), 1000)
	path := trainingFile(dir, "run")
	if err := os.Truncate(path, fileSize(t, path)-5); err != nil {
		t.Fatal(err)
	}
	if got := checkCatchUp(t, dir, "run"); got.TrainedUntil != 3000 || got.TrainingIterations != 3000 {
		t.Fatalf("after a torn last append: trained until %d with %d entries, want 3000 and 3000", got.TrainedUntil, got.TrainingIterations)
	}
}

// TestSummaryCatchUpDamageAfterCover: damage in a record after the cover
// (the first of two, so that only the catch-up's scan meets it, not the
// look at the file's last record) is never summarised: the summary file
// is not used, and listing the run reports the damage with the file's
// path.
func TestSummaryCatchUpDamageAfterCover(t *testing.T) {
	dir := t.TempDir()
	_, ends := laggingStore(t, dir, "run", history(0, 1, 4000), 1000)
	path := trainingFile(dir, "run")
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{0xff, 0xfe}, ends[0]+100); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = refusedCatchUp(t, dir, "run", "over a damaged record")
	var ce *statstore.CorruptError
	if !errors.As(err, &ce) || ce.Path != path {
		t.Fatalf("RunSummaries over a damaged record: %v, want a CorruptError naming %s", err, path)
	}
}

// TestSummaryCatchUpRewrittenCover: a training file cut back into its
// covered record (to its header) and extended again with other entries
// of the same sizes (same header id, inode and size) is not caught up
// from the old cover, whose last chunk no longer matches: the summary is
// recomputed.
func TestSummaryCatchUpRewrittenCover(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	all := history(0, 1, 3000)
	old, ends := laggingStore(t, dir, "run", all, 1000)
	path := trainingFile(dir, "run")
	if err := os.Truncate(path, headerSize); err != nil {
		t.Fatal(err)
	}
	other := append([]statstore.TrainingIterationStats{}, all...)
	for i := range 1000 {
		other[i].Loss = 1e-9 // a new minimum in the rewritten first record
	}
	w := mustOpenDir(t, dir, Options{NoSync: true})
	for _, n := range []int{1000, 2000, 3000} {
		if err := w.StoreTrainingStats(ctx, "run", &statstore.TrainingStats{IterationStats: other[:n]}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := fileSize(t, path); got != ends[2] {
		t.Fatalf("rewritten file of %d bytes, want %d as before", got, ends[2])
	}
	if err := os.WriteFile(w.summaryPath("run"), old, 0o644); err != nil {
		t.Fatal(err)
	}
	page, err := refusedCatchUp(t, dir, "run", "from a cover whose records were rewritten")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Runs) != 1 || page.Runs[0].MinLoss != 1e-9 {
		t.Fatalf("RunSummaries after the rewrite: %+v, want the rewritten record's minimum loss 1e-9", page.Runs)
	}
}

// TestSummaryCatchUpValidationChanged: a summary file left behind by a
// crash between a validation write and the summary's rewrite (the file
// restored to what it was before the write) is not caught up from its
// cover: the validation file's stamp no longer matches, and the summary
// is recomputed with the new scores.
func TestSummaryCatchUpValidationChanged(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	old, _ := laggingStore(t, dir, "run", history(0, 1, 4000), 1000)
	w := mustOpenDir(t, dir, Options{NoSync: true})
	if err := w.StoreValidationIterationScores(ctx, "run", storetest.Scores(storetest.Metadata(), 3)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(w.summaryPath("run"), old, 0o644); err != nil {
		t.Fatal(err)
	}
	page, err := refusedCatchUp(t, dir, "run", "over a validation write")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Runs) != 1 || page.Runs[0].ValidationIterations == 0 {
		t.Fatalf("RunSummaries after the validation write: %+v, want its validations counted", page.Runs)
	}
}
