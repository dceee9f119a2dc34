package filestore

import (
	"encoding/binary"
	"errors"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/record"
	"github.com/statstore/statstore/storetest"
)

var update = flag.Bool("update", false, "rewrite the seed files under testdata/")

// TestSeedFiles writes (with -update) and checks the seed store files the
// recovery fuzzer starts from: a training file and a validation file of the
// versions this program writes, the validation file holding the record
// kinds a Store appends (scores, a re-validation, a pending supersede
// record and its resolve record, a delete record, marked scores).
// testdata/ also keeps files of older versions: training-v1.seed,
// validation-v1.seed and validation-v2.seed, which hold what the first
// four calls here store for run "r" (training) and "v" (validation scores
// 0, 10, then 0, 5, 10, 20), and validation-v3.seed, what the calls up to
// the delete stored in version 3 (a supersede record where version 4 has
// a pending and a resolve record).
func TestSeedFiles(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	s := mustOpenDir(t, dir, Options{NoSync: true})
	storeHistory(t, s, "r", history(0, 3, 1400), 700)
	storeHistory(t, s, "v", history(0, 3, 1400), 700)
	for _, sc := range []*statstore.ValidationScores{scores(0, 10), scores(0, 5, 10, 20, 30), storetest.ScoresVersion(storetest.Metadata(), 2, 10)} {
		if err := s.StoreValidationIterationScores(ctx, "v", sc); err != nil {
			t.Fatal(err)
		}
	}
	storeHistory(t, s, "v", history(0, 3, 5), 5) // resumed: 20 and 30 superseded
	if err := s.DeleteValidationAfter(ctx, "v", 30); err != nil {
		t.Fatal(err)
	}
	copied := scores(1, 40) // a copy of a store: 1 current, 40 superseded
	copied.Scores[1].Superseded = true
	if err := s.StoreValidationIterationScores(ctx, "v", copied); err != nil {
		t.Fatal(err)
	}
	wantVal := scores(0, 1, 5, 10, 20, 40).Scores
	wantVal[3] = storetest.IterationScores(storetest.Metadata(), 2, 10)
	wantVal[4].Superseded = true
	wantVal[5].Superseded = true
	for _, f := range []struct{ src, seed string }{
		{trainingFile(dir, "r"), "training.seed"},
		{validationFile(dir, "v"), "validation.seed"},
	} {
		t.Run(f.seed, func(t *testing.T) {
			seed := filepath.Join("testdata", f.seed)
			if *update {
				b, err := os.ReadFile(f.src)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(seed, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			b, err := os.ReadFile(seed)
			if err != nil {
				t.Fatalf("%v (go test -update writes the seeds)", err)
			}
			d := t.TempDir()
			kind := kindTraining
			if f.seed == "validation.seed" {
				kind = kindValidation
			}
			if v := binary.LittleEndian.Uint16(b[8:]); v != kind.version() {
				t.Fatalf("%s is format version %d, want %d (go test -update writes the seeds)", f.seed, v, kind.version())
			}
			if err := os.MkdirAll(filepath.Join(d, kind.dirName()), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(d, kind.dirName(), "r"), b, 0o644); err != nil {
				t.Fatal(err)
			}
			r := mustOpenDir(t, d, Options{ReadOnly: true})
			runs, err := r.ListRuns(ctx)
			if err != nil || len(runs) != 1 || (runs[0].TrainedUntil != 4198 && runs[0].ValidatedUntil != 41) {
				t.Fatalf("seed reads as %+v (%v)", runs, err)
			}
			if kind == kindValidation {
				got, err := r.RetrieveValidationIterationScores(ctx, "r")
				if err != nil || !sameScores(got, wantVal) {
					t.Fatalf("seed reads as iterations %v, superseded %v (%v); want 0, 1, 5, 10 (re-validated), 20 and 40 (superseded)",
						iterationsOf(got), supersededOf(got), err)
				}
			}
		})
	}
}

// FuzzRecovery opens a store over arbitrary training and validation file
// bytes: nothing may panic, every error must be a CorruptError for damage,
// and when Verify finds no corruption every read must succeed; a write
// must either fail with ErrCorrupt or leave a store that verifies; Repair
// must leave a store that verifies, or refuse to touch a file that is not
// a statstore file at all.
func FuzzRecovery(f *testing.F) {
	for _, name := range []string{"training.seed", "validation.seed", "training-v1.seed", "validation-v1.seed", "validation-v2.seed", "validation-v3.seed"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		if strings.HasPrefix(name, "training") {
			f.Add(b, []byte(nil), uint16(0))
			f.Add(b[:len(b)-5], []byte(nil), uint16(100))
		} else {
			f.Add([]byte(nil), b, uint16(7))
			f.Add([]byte(nil), append(b, 1, 2, 3), uint16(7))
		}
	}
	f.Fuzz(func(t *testing.T, training, validation []byte, flip uint16) {
		dir := t.TempDir()
		for _, k := range []struct {
			kind fileKind
			data []byte
		}{{kindTraining, training}, {kindValidation, validation}} {
			if len(k.data) == 0 {
				continue
			}
			if int(flip) < len(k.data) && flip%3 == 1 {
				k.data[flip] ^= byte(flip >> 8)
			}
			if err := os.MkdirAll(filepath.Join(dir, k.kind.dirName()), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, k.kind.dirName(), "r"), k.data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		rep, err := Verify(t.Context(), dir)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Open(dir, Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		ctx := t.Context()
		reads := []func() error{
			func() error { _, err := s.RetrieveTrainingStats(ctx, "r"); return err },
			func() error { _, err := s.RetrieveValidationScores(ctx, "r"); return err },
			func() error { _, err := s.ListRuns(ctx); return err },
			func() error {
				_, err := s.SubsampleTraining(ctx, "r", statstore.SubsampleOptions{MaxPoints: 7})
				return err
			},
			func() error {
				_, err := s.RetrieveTrainingRange(ctx, "r", statstore.IterationRange{From: int(flip), To: int(flip) * 3})
				return err
			},
		}
		for i, read := range reads {
			err := read()
			if err != nil && !errors.Is(err, statstore.ErrCorrupt) {
				t.Fatalf("read %d: %v, want nil or ErrCorrupt", i, err)
			}
			if err != nil && rep.OK() {
				t.Fatalf("read %d: %v, but Verify found no corruption", i, err)
			}
		}
		err = s.StoreTrainingStats(ctx, "r", &statstore.TrainingStats{IterationStats: history(1<<40, 1, 3)})
		if err != nil && !errors.Is(err, statstore.ErrCorrupt) {
			t.Fatalf("append: %v, want nil or ErrCorrupt", err)
		}
		rep, err = Repair(ctx, dir, nil)
		if err != nil {
			foreign := false
			for _, f := range rep.Files {
				foreign = foreign || f.Foreign
			}
			if !foreign || !errors.Is(err, statstore.ErrInvalidArgument) {
				t.Fatalf("Repair: %v", err)
			}
			return // another tool's file: Repair changes nothing, rightly
		}
		if rep, err := Verify(ctx, dir); err != nil || !rep.OK() {
			t.Fatalf("Verify after Repair: %+v, %v", rep, err)
		}
	})
}

// FuzzValidationRecords applies a sequence of validation records, made
// from the fuzzer's bytes, to a file state of format version 2, 3 or 4 and
// checks it against a model after each: scores records (last entry of an
// iteration wins from version 3 on, an iteration stored twice is an error
// in version 2) and marked scores records (entries stored with their
// marks; version 4), supersede and delete records (errors in version 2),
// pending supersede and resolve records (version 4: a pending record's
// marks count once a resolve record says applied, and only a resolve
// record may follow it), and arbitrary payloads, which must decode or
// fail, never panic. While a record is pending, the states a reader makes
// of it (resolved applied or void) must match the model too.
func FuzzValidationRecords(f *testing.F) {
	f.Add(uint8(1), []byte{0, 2, 1, 0, 5, 0, 1, 0, 1, 1, 0, 1, 7, 0, 2, 3, 0, 1, 5})
	f.Add(uint8(0), []byte{0, 2, 1, 0, 5, 0, 1, 0, 5, 1, 2})
	f.Add(uint8(1), []byte{5, 4, 2, 0, 0, 0, 0, 9})
	// Version 4: scores with marks, a pending supersede resolved applied,
	// one resolved void, a record after a pending one.
	f.Add(uint8(2), []byte{0, 3, 1, 0, 0, 7, 1, 1, 9, 2, 0, 3, 5, 42, 4, 1, 1, 3, 3, 43, 4, 0, 1, 0, 1, 12, 0, 0})
	f.Add(uint8(2), []byte{3, 0, 7, 3, 1, 8, 4, 1, 0})
	f.Add(uint8(1), []byte{0, 1, 4, 0, 1, 3, 2, 9, 4, 1, 1})
	f.Fuzz(func(t *testing.T, version uint8, ops []byte) {
		meta := storetest.Metadata()
		v := newValSnap(fileState{version: formatV2 + uint16(version%3)})
		mp, err := encodeMetadata(meta)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.add(record.Record{Payload: mp}); err != nil {
			t.Fatal(err)
		}
		type entry struct {
			version    int
			superseded bool
		}
		model := map[int]entry{}
		var pending *pendingMark
		supersede := func(m map[int]entry, rewind int) {
			for k, e := range m {
				if k > rewind {
					e.superseded = true
					m[k] = e
				}
			}
		}
		next := func() int {
			if len(ops) == 0 {
				return 0
			}
			b := ops[0]
			ops = ops[1:]
			return int(b)
		}
		check := func(what string, got *valSnap, want map[int]entry) {
			t.Helper()
			if len(got.entries) != len(want) || len(got.pos) != len(want) {
				t.Fatalf("%s: %d entries, %d positions, want %d", what, len(got.entries), len(got.pos), len(want))
			}
			for i, e := range got.entries {
				w, ok := want[e.Iteration]
				if !ok || got.pos[e.Iteration] != i || e.Superseded != w.superseded || int(e.Scores[0][0][0]/1e6) != w.version {
					t.Fatalf("%s: entry %d: iteration %d (at %d), superseded %v, scores %v; want %+v (present: %v)",
						what, i, e.Iteration, got.pos[e.Iteration], e.Superseded, e.Scores[0][0][0], w, ok)
				}
			}
		}
		for len(ops) > 0 {
			var payload []byte
			var apply func() bool // changes the model; false: the record must fail
			switch op := next() % 6; op {
			case 0:
				var entries []statstore.ValidationIterationScores
				for range next() % 4 {
					it, ver, mark := next()%16, next(), next()%2 == 1
					e := storetest.IterationScores(meta, ver, it)
					e.Superseded = mark
					entries = append(entries, e)
				}
				payload = encodeScores(meta.Shape(), entries)
				apply = func() bool {
					if pending != nil || (anySuperseded(entries) && v.version < formatV4) {
						return false
					}
					for _, e := range entries {
						if _, ok := model[e.Iteration]; ok && v.version < formatV3 {
							return false
						}
						model[e.Iteration] = entry{version: int(e.Scores[0][0][0] / 1e6), superseded: e.Superseded}
					}
					return true
				}
			case 1, 2:
				kind, it := valRecordSupersede, next()-1
				if op == 2 {
					kind, it = valRecordDelete, it+1
				}
				payload = encodeMark(kind, it)
				apply = func() bool {
					if v.version < formatV3 || pending != nil {
						return false
					}
					if kind == valRecordSupersede {
						supersede(model, it)
					}
					for k := range model {
						if kind == valRecordDelete && k >= it {
							delete(model, k)
						}
					}
					return true
				}
			case 3:
				p := pendingMark{rewind: next() - 1, train: uint64(next())}
				payload = encodePending(p)
				apply = func() bool {
					if v.version < formatV4 || pending != nil {
						return false
					}
					pending = &p
					return true
				}
			case 4:
				outcome, train := byte(next()%2), uint64(next())
				payload = encodeResolve(outcome, train)
				apply = func() bool {
					if v.version < formatV4 || pending == nil || pending.train != train {
						return false
					}
					if outcome == outcomeApplied {
						supersede(model, pending.rewind)
					}
					pending = nil
					return true
				}
			default:
				payload = make([]byte, next())
				for i := range payload {
					payload[i] = byte(next())
				}
			}
			err := v.add(record.Record{Payload: payload})
			if apply == nil {
				if err != nil {
					return // arbitrary bytes: an error is fine, and the state is then undefined
				}
				// Arbitrary bytes that decode: follow them in the model.
				model = map[int]entry{}
				for _, e := range v.entries {
					model[e.Iteration] = entry{version: int(e.Scores[0][0][0] / 1e6), superseded: e.Superseded}
				}
				pending = v.pending
			} else if ok := apply(); ok != (err == nil) {
				t.Fatalf("version %d: record %x: error %v, want an error: %v", v.version, payload, err, !ok)
			}
			if err != nil {
				return
			}
			check("state", v, model)
			if (v.pending == nil) != (pending == nil) || (pending != nil && *v.pending != *pending) {
				t.Fatalf("pending %+v, want %+v", v.pending, pending)
			}
			if pending != nil {
				check("resolved void", v.resolved(outcomeVoid), model)
				applied := maps.Clone(model)
				supersede(applied, pending.rewind)
				check("resolved applied", v.resolved(outcomeApplied), applied)
				check("state after resolving", v, model)
			}
		}
	})
}
