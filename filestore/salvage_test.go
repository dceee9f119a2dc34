package filestore

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/record"
	"github.com/statstore/statstore/storetest"
)

// trainChunk is one chunk of an undamaged training file and its entries.
type trainChunk struct {
	off, end int64
	entries  []statstore.TrainingIterationStats
}

// trainChunks returns the chunks of the undamaged training file b (format
// version 2), read with the record scanner.
func trainChunks(tb testing.TB, b []byte) []trainChunk {
	tb.Helper()
	l := kindTraining.layout(formatV2)
	sc := l.NewScanner(headerSize, int64(len(b)))
	var out []trainChunk
	err := sc.Feed(b[headerSize:], func(c record.Chunk) error {
		_, body, err := chunkEntries(c.Type, c.Payload)
		if err != nil {
			return err
		}
		out = append(out, trainChunk{c.Off, c.End(), decodeEntries(nil, body)})
		return nil
	})
	if err == nil {
		err = sc.Finish()
	}
	if err != nil {
		tb.Fatalf("the undamaged file does not scan: %v", err)
	}
	return out
}

// span is a damaged range of bytes [off, end).
type span struct{ off, end int64 }

// survivors is what Repair must keep of the training file b (undamaged)
// after damage to the spans: the entries of every chunk the damage does
// not touch, and one lost range per run of chunks it touches, with the
// count of entries they held (or -1 when counted is false: the damage hides it).
func survivors(tb testing.TB, b []byte, damage []span, counted bool) ([]statstore.TrainingIterationStats, []LostRange) {
	tb.Helper()
	var kept []statstore.TrainingIterationStats
	var lost []LostRange
	prev := -1
	var open *LostRange
	for _, c := range trainChunks(tb, b) {
		hit := slices.ContainsFunc(damage, func(s span) bool { return c.off < s.end && s.off < c.end })
		switch {
		case hit && open == nil:
			open = &LostRange{Offset: c.off, End: c.end, After: prev, Before: -1, Entries: len(c.entries)}
		case hit:
			open.End, open.Entries = c.end, open.Entries+len(c.entries)
		default:
			if open != nil {
				open.Before = c.entries[0].Iteration
				lost = append(lost, *open)
				open = nil
			}
			kept = append(kept, c.entries...)
			prev = c.entries[len(c.entries)-1].Iteration
		}
	}
	if open != nil {
		lost = append(lost, *open)
	}
	if !counted {
		for i := range lost {
			lost[i].Entries = -1
		}
	}
	return kept, lost
}

// checkRepaired repairs the store in dir, whose training file of run "r"
// was undamaged and now holds damaged, and checks the report and the
// result against what survivors says.
func checkRepaired(t *testing.T, dir string, undamaged, damaged []byte, damage []span, counted bool) {
	t.Helper()
	want, wantLost := survivors(t, undamaged, damage, counted)
	plan, err := PlanRepair(t.Context(), dir)
	if err != nil || len(plan.Files) != 1 {
		t.Fatalf("PlanRepair = %+v, %v; want one file", plan, err)
	}
	if now, _ := os.ReadFile(trainingFile(dir, "r")); !bytes.Equal(now, damaged) || plan.Files[0].Backup != "" {
		t.Fatal("PlanRepair changed the file or made a backup")
	}
	rep, err := Repair(t.Context(), dir, nil)
	if err != nil || len(rep.Files) != 1 {
		t.Fatalf("Repair = %+v, %v; want one file repaired", rep, err)
	}
	fr := rep.Files[0]
	if fr.Err == nil || fr.Kept != len(want) || fr.Removed != (len(want) == 0) {
		t.Fatalf("report: kept %d, removed %v, error %v; want %d kept of %d after corruption",
			fr.Kept, fr.Removed, fr.Err, len(want), len(trainEntries(trainChunks(t, undamaged))))
	}
	if b, err := os.ReadFile(fr.Backup); err != nil || !bytes.Equal(b, damaged) {
		t.Fatalf("backup %q: %v; want the damaged file", fr.Backup, err)
	}
	t.Logf("kept %d; lost %v", fr.Kept, fr.Lost)
	if p := plan.Files[0]; p.Kept != fr.Kept || !slices.Equal(p.Lost, fr.Lost) || p.Removed != fr.Removed {
		t.Errorf("PlanRepair said kept %d, lost %v, removed %v; Repair did %d, %v, %v", p.Kept, p.Lost, p.Removed, fr.Kept, fr.Lost, fr.Removed)
	}
	if len(fr.Lost) != len(wantLost) {
		t.Fatalf("lost %v, want %v", fr.Lost, wantLost)
	}
	for i, got := range fr.Lost {
		w := wantLost[i]
		w.End = min(w.End, int64(len(damaged)))
		if got.Offset != w.Offset || got.End < w.End || got.After != w.After || got.Before != w.Before || got.Entries != w.Entries {
			t.Errorf("lost range %d: %+v, want %+v (End at least %d)", i, got, w, w.End)
		}
	}
	if v, err := Verify(t.Context(), dir); err != nil || !v.OK() {
		t.Fatalf("Verify after Repair = %+v, %v; want OK", v, err)
	}
	if len(want) == 0 {
		if _, err := os.Stat(trainingFile(dir, "r")); !os.IsNotExist(err) {
			t.Fatalf("nothing to keep, but the file is there: %v", err)
		}
		return
	}
	r := mustOpenDir(t, dir, Options{ReadOnly: true})
	got, err := r.RetrieveTrainingStats(t.Context(), "r")
	if err != nil || !sameHistory(got.IterationStats, want) {
		t.Fatalf("after Repair: %d entries (%v), want the %d of the chunks the damage missed", got.Len(), err, len(want))
	}
	if now, _ := os.ReadFile(trainingFile(dir, "r")); !bytes.Equal(now[16:24], undamaged[16:24]) {
		t.Error("the repaired file has another file id (a pending supersede record may name it)")
	}
}

func trainEntries(cs []trainChunk) []statstore.TrainingIterationStats {
	var out []statstore.TrainingIterationStats
	for _, c := range cs {
		out = append(out, c.entries...)
	}
	return out
}

// TestRepairSalvagesOneLargeRecord is issue 16's case: a history stored in
// one call (one record of 5,000 entries), then one flipped byte. Repair
// used to keep nothing; it must lose at most the entries of the chunks
// the damage touches, and say which.
func TestRepairSalvagesOneLargeRecord(t *testing.T) {
	entries := history(0, 1, 5000)
	// chunk returns the n-th chunk of the file (negative: from the end).
	chunk := func(tb testing.TB, b []byte, n int) trainChunk {
		cs := trainChunks(tb, b)
		if n < 0 {
			n += len(cs)
		}
		return cs[n]
	}
	flip := func(at func(tb testing.TB, b []byte) int64) func(tb testing.TB, b []byte) []span {
		return func(tb testing.TB, b []byte) []span {
			off := at(tb, b)
			b[off] ^= 0x40
			return []span{{off, off + 1}}
		}
	}
	payload := func(n int, into int64) func(tb testing.TB, b []byte) int64 {
		return func(tb testing.TB, b []byte) int64 { return chunk(tb, b, n).off + record.HeaderSize + into }
	}
	tests := []struct {
		name    string
		damage  func(tb testing.TB, b []byte) []span
		counted bool // the lost entries can be counted
	}{
		{"flip in the first chunk's head", flip(payload(0, 3)), true},
		{"flip in the first chunk's entries", flip(payload(0, 40)), true},
		{"flip in a middle chunk", flip(func(tb testing.TB, b []byte) int64 { return int64(len(b)/2) + 0 }), true},
		{"flip in a checksum", flip(func(tb testing.TB, b []byte) int64 { return chunk(tb, b, 40).off + 1 }), true},
		{"flip in a chunk type", flip(func(tb testing.TB, b []byte) int64 { return chunk(tb, b, 77).off + 6 }), true},
		{"flip in the last chunk", flip(payload(-1, 5)), true},
		{"flip in the last byte", flip(func(tb testing.TB, b []byte) int64 { return int64(len(b) - 1) }), true},
		{"flip in a block's first chunk", flip(func(tb testing.TB, b []byte) int64 { return headerSize + 3*record.BlockSize + 30 }), true},
		{"zeroed range across a block boundary", func(tb testing.TB, b []byte) []span {
			s := span{headerSize + 5*record.BlockSize - 1000, headerSize + 6*record.BlockSize + 700}
			clear(b[s.off:s.end])
			return []span{s}
		}, false},
		{"damage in two places", func(tb testing.TB, b []byte) []span {
			a, c := chunk(tb, b, 3).off+100, chunk(tb, b, 150).off+200
			b[a] ^= 1
			b[c] ^= 0x80
			return []span{{a, a + 1}, {c, c + 1}}
		}, true},
		{"two adjacent chunks", func(tb testing.TB, b []byte) []span {
			c := chunk(tb, b, 20)
			b[c.end-1] ^= 1
			b[c.end+20] ^= 1
			return []span{{c.end - 1, c.end}, {c.end + 20, c.end + 21}}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := mustOpenDir(t, dir, Options{NoSync: true})
			storeHistory(t, s, "r", entries, len(entries))
			path := trainingFile(dir, "r")
			undamaged, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(trainChunks(t, undamaged)); n < 200 {
				t.Fatalf("the history is %d chunks, want at least 200 to damage", n)
			}
			damaged := slices.Clone(undamaged)
			spans := tt.damage(t, damaged)
			if err := os.WriteFile(path, damaged, 0o644); err != nil {
				t.Fatal(err)
			}
			checkRepaired(t, dir, undamaged, damaged, spans, tt.counted)
			// At most the entries of the chunks the damage touches are lost.
			lost := 0
			for _, c := range trainChunks(t, undamaged) {
				if slices.ContainsFunc(spans, func(s span) bool { return c.off < s.end && s.off < c.end }) {
					lost += len(c.entries)
				}
			}
			if perChunk := trainingMaxPayload / trainingEntrySize; tt.counted && lost > perChunk*len(spans) {
				t.Errorf("%d entries lost to %d damaged bytes, want at most %d (one chunk each)", lost, len(spans), perChunk*len(spans))
			}
		})
	}
}

// TestRepairResynchronisesInsideABlock: a chunk whose length field is
// damaged hides where the next chunk starts; Repair finds it by its
// checksum and keeps every later chunk of the block.
func TestRepairResynchronisesInsideABlock(t *testing.T) {
	dir := t.TempDir()
	s := mustOpenDir(t, dir, Options{NoSync: true})
	storeHistory(t, s, "r", history(0, 3, 3000), 3000)
	path := trainingFile(dir, "r")
	undamaged, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c := trainChunks(t, undamaged)[10]
	damaged := slices.Clone(undamaged)
	damaged[c.off+4] ^= 0x10 // the length's low byte
	if err := os.WriteFile(path, damaged, 0o644); err != nil {
		t.Fatal(err)
	}
	checkRepaired(t, dir, undamaged, damaged, []span{{c.off + 4, c.off + 5}}, false)
}

// TestRepairDropsTornTail: a torn tail is not salvaged (no call
// acknowledged it): the chunks of the interrupted record are dropped even
// where they verify, and nothing is reported lost.
func TestRepairDropsTornTail(t *testing.T) {
	dir := t.TempDir()
	s := mustOpenDir(t, dir, Options{NoSync: true})
	entries := history(0, 1, 3000)
	storeHistory(t, s, "r", entries[:1000], 1000)
	before := fileSize(t, trainingFile(dir, "r"))
	storeHistory(t, s, "r", entries, 3000)
	path := trainingFile(dir, "r")
	if err := os.Truncate(path, fileSize(t, path)-30); err != nil {
		t.Fatal(err)
	}
	rep, err := Repair(t.Context(), dir, nil)
	if err != nil || len(rep.Files) != 1 || !rep.Files[0].TornTail || rep.Files[0].Kept != 1000 || len(rep.Files[0].Lost) != 0 {
		t.Fatalf("Repair = %+v, %v; want a torn tail cut, 1000 kept, nothing lost", rep, err)
	}
	if got := fileSize(t, path); got != before {
		t.Fatalf("repaired file has %d bytes, want the %d before the torn record", got, before)
	}
}

// valRecords returns the offsets of the records of the undamaged
// validation file b.
func valRecords(tb testing.TB, b []byte) []span {
	tb.Helper()
	h, err := decodeHeader(b, kindValidation)
	if err != nil {
		tb.Fatal(err)
	}
	var out []span
	if err := h.layout().Scan(bytes.NewReader(b), headerSize, int64(len(b)), func(r record.Record) error {
		out = append(out, span{r.Off, r.End})
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestRepairSalvagesValidation damages one record of a validation file
// and checks that Repair keeps every other record, applied in order as a
// reader applies them (the last entry of an iteration wins), and keeps
// superseded marks consistent when a training replace's records are hit.
func TestRepairSalvagesValidation(t *testing.T) {
	meta := storetest.Metadata()
	merges := func(t *testing.T, s *Store) {
		for _, v := range []*statstore.ValidationScores{scores(0, 10), scores(20, 30), storetest.ScoresVersion(meta, 2, 10), scores(40)} {
			if err := s.StoreValidationIterationScores(t.Context(), "r", v); err != nil {
				t.Fatal(err)
			}
		}
	}
	// replace stores validations, then replaces the training history
	// from iteration 30 on: a pending supersede and a resolve record mark
	// 50 and 90 superseded.
	replace := func(after ...int) func(t *testing.T, s *Store) {
		return func(t *testing.T, s *Store) {
			if err := s.StoreTrainingStats(t.Context(), "r", storetest.TrainingVersion(1, storetest.Iters(0, 100, 1)...)); err != nil {
				t.Fatal(err)
			}
			if err := s.StoreValidationIterationScores(t.Context(), "r", scores(10, 50, 90)); err != nil {
				t.Fatal(err)
			}
			if err := s.StoreTrainingStats(t.Context(), "r", storetest.TrainingVersion(1, storetest.Iters(0, 30, 1)...)); err != nil {
				t.Fatal(err)
			}
			if len(after) > 0 {
				if err := s.StoreValidationIterationScores(t.Context(), "r", scores(after...)); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	tests := []struct {
		name   string
		setup  func(t *testing.T, s *Store)
		hit    int // the record damaged
		iters  []int
		super  []int
		values []int // the version of each entry's values
		notes  int
	}{
		{"a re-validation lost: the earlier entry is kept", merges, 3, []int{0, 10, 20, 30, 40}, nil, []int{0, 0, 0, 0, 0}, 0},
		{"the first scores lost", merges, 1, []int{10, 20, 30, 40}, nil, []int{2, 0, 0, 0}, 0},
		{"the last scores lost", merges, 4, []int{0, 10, 20, 30}, nil, []int{0, 2, 0, 0}, 0},
		{"metadata lost: nothing to keep", merges, 0, nil, nil, nil, 0},
		{"pending supersede lost: its resolve is lost too", replace(), 2, []int{10, 50, 90}, nil, []int{0, 0, 0}, 0},
		{"resolve lost: the marks are applied", replace(), 3, []int{10, 50, 90}, []int{50, 90}, []int{0, 0, 0}, 1},
		{"resolve lost, records after it", replace(95), 3, []int{10, 50, 90, 95}, []int{50, 90}, []int{0, 0, 0, 0}, 1},
		{"scores before a replace lost", replace(95), 1, []int{95}, nil, []int{0}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := mustOpenDir(t, dir, Options{NoSync: true})
			tt.setup(t, s)
			path := validationFile(dir, "r")
			undamaged, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			recs := valRecords(t, undamaged)
			damaged := slices.Clone(undamaged)
			at := recs[tt.hit].off + record.HeaderSize + 1
			damaged[at] ^= 0x20
			if err := os.WriteFile(path, damaged, 0o644); err != nil {
				t.Fatal(err)
			}
			rep, err := Repair(t.Context(), dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			var fr *FileReport
			for i := range rep.Files {
				if rep.Files[i].Path == path {
					fr = &rep.Files[i]
				}
			}
			if fr == nil || fr.Err == nil || fr.Kept != len(tt.iters) || fr.Removed != (len(tt.iters) == 0) || countContaining(fr.Notes, "were applied") != tt.notes {
				t.Fatalf("report %+v; want %d kept, %d notes", fr, len(tt.iters), tt.notes)
			}
			if len(fr.Lost) == 0 || fr.Lost[0].Offset != recs[tt.hit].off {
				t.Fatalf("lost %v, want a range from offset %d", fr.Lost, recs[tt.hit].off)
			}
			if b, err := os.ReadFile(fr.Backup); err != nil || !bytes.Equal(b, damaged) {
				t.Fatalf("backup %q: %v; want the damaged file", fr.Backup, err)
			}
			if v, err := Verify(t.Context(), dir); err != nil || !v.OK() {
				t.Fatalf("Verify after Repair = %+v, %v; want OK", v, err)
			}
			r := mustOpenDir(t, dir, Options{ReadOnly: true})
			if len(tt.iters) == 0 {
				if _, err := os.Stat(path); !os.IsNotExist(err) {
					t.Fatalf("nothing to keep, but the file is there: %v", err)
				}
				return
			}
			wantIterations(t, r, tt.iters, tt.super, tt.values)
			if v := fileVersion(t, path); v != formatV4 {
				t.Errorf("repaired file has format version %d, want %d (its own)", v, formatV4)
			}
		})
	}
}

// FuzzRepairSalvage damages a valid store (a training history stored in
// three calls, validation scores merged, re-validated and marked by a
// training replace) at places the fuzzer picks, by flipping and zeroing
// bytes, and repairs it. Nothing may panic; the repaired store must
// verify; Repair must never invent data: every training entry it keeps
// was written, in increasing order, and every chunk the damage did not
// touch is kept; every validation entry it keeps holds scores written for
// its iteration.
func FuzzRepairSalvage(f *testing.F) {
	f.Add(false, []byte{0x10, 0x00, 0x00, 0x01})
	f.Add(true, []byte{0x40, 0x00, 0x00, 0x02})
	f.Add(false, []byte{0x01, 0x20, 0x80, 0x10, 0x02, 0x30, 0xff, 0x00})
	f.Add(true, []byte{0x00, 0x05, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, validation bool, ops []byte) {
		dir := t.TempDir()
		s := mustOpenDir(t, dir, Options{NoSync: true})
		written := history(0, 3, 2500)
		if !validation {
			for _, n := range []int{1000, 1700, 2500} {
				storeHistory(t, s, "r", written[:n], n)
			}
		} else {
			meta := storetest.Metadata()
			for _, v := range []*statstore.ValidationScores{scores(0, 10, 20), scores(30, 40), storetest.ScoresVersion(meta, 2, 10, 50)} {
				if err := s.StoreValidationIterationScores(t.Context(), "r", v); err != nil {
					t.Fatal(err)
				}
			}
			storeHistory(t, s, "r", written[:20], 20)
			storeHistory(t, s, "r", written[:10], 10) // a replace, rewind point 30: 40 and 50 superseded
			if err := s.StoreValidationIterationScores(t.Context(), "r", storetest.ScoresVersion(meta, 3, 40)); err != nil {
				t.Fatal(err)
			}
			if got, err := s.RetrieveValidationIterationScores(t.Context(), "r"); err != nil || len(got) != 6 || !got[5].Superseded || got[4].Superseded {
				t.Fatalf("before the damage: %v, %v; want 6 entries, 50 superseded, 40 validated again", supersededOf(got), err)
			}
		}
		path := trainingFile(dir, "r")
		if validation {
			path = validationFile(dir, "r")
		}
		undamaged, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		damaged := slices.Clone(undamaged)
		// Each op is 4 bytes: an offset (3 bytes, scaled into the data
		// region) and a length (0: flip one bit, else zero that many bytes).
		var spans []span
		for ; len(ops) >= 4; ops = ops[4:] {
			at := headerSize + int64(uint32(ops[0])|uint32(ops[1])<<8|uint32(ops[2])<<16)%int64(len(damaged)-headerSize)
			if ops[3] == 0 {
				damaged[at] ^= 1 << (ops[1] % 8)
				spans = append(spans, span{at, at + 1})
				continue
			}
			end := min(at+int64(ops[3])*8, int64(len(damaged)))
			clear(damaged[at:end])
			spans = append(spans, span{at, end})
		}
		if err := os.WriteFile(path, damaged, 0o644); err != nil {
			t.Fatal(err)
		}
		rep, err := Repair(t.Context(), dir, nil)
		if err != nil {
			t.Fatalf("Repair: %v", err)
		}
		if v, err := Verify(t.Context(), dir); err != nil || !v.OK() {
			t.Fatalf("Verify after Repair: %+v, %v", v, err)
		}
		r := mustOpenDir(t, dir, Options{ReadOnly: true})
		if !validation {
			got, err := r.RetrieveTrainingStats(t.Context(), "r")
			if err != nil {
				t.Fatal(err)
			}
			byIter := map[int]statstore.TrainingIterationStats{}
			for _, e := range written {
				byIter[e.Iteration] = e
			}
			for i, e := range got.IterationStats {
				w, ok := byIter[e.Iteration]
				if !ok || !sameHistory([]statstore.TrainingIterationStats{e}, []statstore.TrainingIterationStats{w}) {
					t.Fatalf("kept entry %+v was never written", e)
				}
				if i > 0 && e.Iteration <= got.IterationStats[i-1].Iteration {
					t.Fatalf("kept iteration %d after %d", e.Iteration, got.IterationStats[i-1].Iteration)
				}
			}
			want, _ := survivors(t, undamaged, spans, false)
			have := map[int]bool{}
			for _, e := range got.IterationStats {
				have[e.Iteration] = true
			}
			for _, e := range want {
				if !have[e.Iteration] {
					t.Fatalf("iteration %d, in a chunk the damage missed, was not kept (report %+v)", e.Iteration, rep.Files)
				}
			}
			return
		}
		got, err := r.RetrieveValidationIterationScores(t.Context(), "r")
		if err != nil {
			t.Fatal(err)
		}
		// The versions of the scores written for each iteration, and
		// which of them a supersede may mark: only entries stored before
		// the replace, after its rewind point.
		versions := map[int][]int{0: {0}, 10: {0, 2}, 20: {0}, 30: {0}, 40: {0, 3}, 50: {2}}
		markable := map[[2]int]bool{{40, 0}: true, {50, 2}: true}
		for _, e := range got {
			found := -1
			for _, v := range versions[e.Iteration] {
				w := storetest.IterationScores(storetest.Metadata(), v, e.Iteration)
				w.Superseded = e.Superseded
				if sameScores([]statstore.ValidationIterationScores{e}, []statstore.ValidationIterationScores{w}) {
					found = v
				}
			}
			if found < 0 {
				t.Fatalf("kept validation entry of iteration %d holds scores never written for it", e.Iteration)
			}
			if e.Superseded && !markable[[2]int{e.Iteration, found}] {
				t.Fatalf("kept validation entry of iteration %d (version %d) is marked superseded, which no replace did", e.Iteration, found)
			}
		}
	})
}

// TestRepairCrash looks at the store before every file-system operation
// Repair makes (a crash there leaves what is on disk then) and after the
// last: the run's file is always either the damaged one or the repaired
// one, never a mix, and it is the repaired one only once the backup of
// the damaged one is complete.
func TestRepairCrash(t *testing.T) {
	dir := t.TempDir()
	s := mustOpenDir(t, dir, Options{NoSync: true})
	storeHistory(t, s, "r", history(0, 1, 5000), 5000)
	path := trainingFile(dir, "r")
	damaged, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	damaged[len(damaged)/2] ^= 1
	if err := os.WriteFile(path, damaged, 0o644); err != nil {
		t.Fatal(err)
	}
	type state struct {
		file   []byte
		backup bool // a complete backup of the damaged file is in place
	}
	look := func() state {
		st := state{}
		st.file, _ = os.ReadFile(path)
		backups, _ := filepath.Glob(filepath.Join(dir, backupDir, kindTraining.dirName(), "r.*"))
		for _, b := range backups {
			if data, err := os.ReadFile(b); err == nil && bytes.Equal(data, damaged) {
				st.backup = true
			}
		}
		return st
	}
	var states []state
	fsys := &faultFS{each: func(faultOp, string) { states = append(states, look()) }}
	if _, err := repair(t.Context(), fsys, dir, nil); err != nil {
		t.Fatal(err)
	}
	final := look()
	if bytes.Equal(final.file, damaged) || !final.backup {
		t.Fatal("Repair left the damaged file, or no backup")
	}
	states = append(states, final)
	if len(states) < 5 {
		t.Fatalf("saw %d file-system operations, want the backup's and the repaired file's", len(states))
	}
	for i, st := range states {
		switch {
		case bytes.Equal(st.file, damaged):
		case bytes.Equal(st.file, final.file) && st.backup:
		default:
			t.Fatalf("before operation %d of %d: the file is neither the damaged one nor the repaired one after a backup (%d bytes, backup %v)",
				i, len(states)-1, len(st.file), st.backup)
		}
	}
}

// countContaining returns how many of notes contain s.
func countContaining(notes []string, s string) int {
	n := 0
	for _, note := range notes {
		if strings.Contains(note, s) {
			n++
		}
	}
	return n
}

// BenchmarkRepairSalvage repairs a history stored in one call with one
// flipped byte in its middle, and reports the cost against Verify of the
// same damaged file in the same loop (repair reads it, backs it up,
// salvages it and writes the repaired file, both with fsyncs).
func BenchmarkRepairSalvage(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			s := mustOpenDir(b, dir, Options{NoSync: true})
			storeHistory(b, s, "r", history(0, 1, n), n)
			path := trainingFile(dir, "r")
			damaged, err := os.ReadFile(path)
			if err != nil {
				b.Fatal(err)
			}
			damaged[len(damaged)/2] ^= 1
			b.SetBytes(int64(len(damaged)))
			var verify, repair time.Duration
			for range b.N {
				if err := os.WriteFile(path, damaged, 0o644); err != nil {
					b.Fatal(err)
				}
				t0 := time.Now()
				if _, err := Verify(b.Context(), dir); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				rep, err := Repair(b.Context(), dir, nil)
				if err != nil || rep.Files[0].Kept < n-trainingMaxPayload/trainingEntrySize {
					b.Fatalf("Repair: %+v, %v", rep, err)
				}
				verify, repair = verify+t1.Sub(t0), repair+time.Since(t1)
			}
			b.ReportMetric(float64(repair)/float64(verify), "repair/verify")
		})
	}
}
