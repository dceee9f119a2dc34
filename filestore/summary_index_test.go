package filestore

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/statstore/statstore"
)

// FuzzDecodeSummaryIndex checks that any summary index decodes or is
// refused without panicking, and that what decodes encodes back to an
// index that decodes the same.
func FuzzDecodeSummaryIndex(f *testing.F) {
	sum := statstore.Summarize("run", &statstore.TrainingStats{IterationStats: history(0, 1, 3)}, nil)
	sum.Run = "run"
	good, err := encodeSummaryIndex([]indexEntry{{Run: "run", Training: &fileStamp{Size: 10, MTime: 5, Inode: 7}, Summary: sum}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:summaryIndexHeader])
	f.Add([]byte(summaryIndexMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := decodeSummaryIndex(data)
		if err != nil {
			return
		}
		again, err := encodeSummaryIndex(entries)
		if err != nil {
			t.Fatalf("encode of a decoded index: %v", err)
		}
		back, err := decodeSummaryIndex(again)
		if err != nil {
			t.Fatalf("decode of what encode wrote: %v", err)
		}
		if len(back) != len(entries) {
			t.Fatalf("round trip: %d entries, want %d", len(back), len(entries))
		}
		for i := range back {
			a, b := back[i], entries[i]
			if a.Run != b.Run || !(runStamps{a.Training, a.Validation}).equal(runStamps{b.Training, b.Validation}) || !statstore.EqualSummaries(a.Summary, b.Summary) {
				t.Fatalf("round trip of entry %d: got %+v, want %+v", i, a, b)
			}
		}
	})
}

// checkListing fails t unless s lists exactly the runs of want, each with
// the summary recomputed from its history and the tags of its metadata.
func checkListing(t *testing.T, s *Store, want []string) {
	t.Helper()
	ctx := context.Background()
	page, err := s.RunSummaries(ctx, statstore.RunQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != len(want) {
		t.Fatalf("listed %d runs, want %d", page.Total, len(want))
	}
	for i, got := range page.Runs {
		if got.Run != want[i] {
			t.Fatalf("run %d is %q, want %q", i, got.Run, want[i])
		}
		ref, err := statstore.SummarizeRun(ctx, s, got.Run)
		if err != nil {
			t.Fatal(err)
		}
		m, err := s.RetrieveRunMeta(ctx, got.Run)
		if err != nil {
			t.Fatal(err)
		}
		ref.SetMeta(m)
		got.LastWrite = ref.LastWrite
		if !statstore.EqualSummaries(got, ref) {
			t.Fatalf("run %s: listed %+v, recomputed %+v", got.Run, got, ref)
		}
	}
}

// TestSummaryIndexStale writes runs through one Store while others (as
// other processes would) list them from the summary index: every listing
// equals recomputation, whatever the index held.
func TestSummaryIndexStale(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, run := range []string{"a", "b", "c"} {
		if err := w.StoreTrainingStats(ctx, run, &statstore.TrainingStats{IterationStats: history(0, 1, 5)}); err != nil {
			t.Fatal(err)
		}
	}
	checkListing(t, w, []string{"a", "b", "c"}) // writes the index
	if _, err := os.Stat(filepath.Join(dir, summaryIndexFile)); err != nil {
		t.Fatalf("no summary index after a listing: %v", err)
	}
	fresh := func() *Store {
		s, err := Open(dir, Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	r := fresh()
	checkListing(t, r, []string{"a", "b", "c"})

	// Another writer appends to b, replaces c, deletes a, adds d and tags
	// b; its own summaries are current, the index is not.
	other, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.StoreTrainingStats(ctx, "b", &statstore.TrainingStats{IterationStats: history(0, 1, 9)}); err != nil {
		t.Fatal(err)
	}
	if err := other.StoreTrainingStats(ctx, "c", &statstore.TrainingStats{IterationStats: history(0, 2, 2)}); err != nil {
		t.Fatal(err)
	}
	if err := other.DeleteRun(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := other.StoreTrainingStats(ctx, "d", &statstore.TrainingStats{IterationStats: history(0, 1, 1)}); err != nil {
		t.Fatal(err)
	}
	if err := other.SetRunTags(ctx, "b", map[string]string{"arch": "unet"}, nil); err != nil {
		t.Fatal(err)
	}
	want := []string{"b", "c", "d"}
	checkListing(t, r, want)       // a Store that had read the old index
	checkListing(t, fresh(), want) // a read-only Store: the stale index, not rewritten
	checkListing(t, w, want)       // the first writer, which rewrites the index
	checkListing(t, fresh(), want) // the new index

	// A damaged index is ignored.
	if err := os.WriteFile(filepath.Join(dir, summaryIndexFile), []byte("STATSIDX garbage"), filePerm); err != nil {
		t.Fatal(err)
	}
	checkListing(t, fresh(), want)
	if err := other.SetRunTags(ctx, "b", nil, []string{"arch"}); err != nil {
		t.Fatal(err)
	}
	checkListing(t, w, want)
}
