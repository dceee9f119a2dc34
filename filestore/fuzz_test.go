package filestore

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

var update = flag.Bool("update", false, "rewrite the seed files under testdata/")

// TestSeedFiles writes (with -update) and checks the seed store files the
// recovery fuzzer starts from: a training and a validation file of this
// format version.
func TestSeedFiles(t *testing.T) {
	dir := t.TempDir()
	s := mustOpenDir(t, dir, Options{NoSync: true})
	storeHistory(t, s, "r", history(0, 3, 1400), 700)
	if err := s.StoreValidationIterationScores(t.Context(), "r", scores(0, 10)); err != nil {
		t.Fatal(err)
	}
	if err := s.StoreValidationIterationScores(t.Context(), "r", scores(0, 5, 10, 20)); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ src, seed string }{
		{trainingFile(dir, "r"), "training.seed"},
		{validationFile(dir, "r"), "validation.seed"},
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
			if err := os.MkdirAll(filepath.Join(d, kind.dirName()), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(d, kind.dirName(), "r"), b, 0o644); err != nil {
				t.Fatal(err)
			}
			runs, err := mustOpenDir(t, d, Options{ReadOnly: true}).ListRuns(t.Context())
			if err != nil || len(runs) != 1 || (runs[0].TrainedUntil != 4198 && runs[0].ValidatedUntil != 21) {
				t.Fatalf("seed reads as %+v (%v)", runs, err)
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
	for _, name := range []string{"training.seed", "validation.seed", "training-v1.seed", "validation-v1.seed"} {
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
