package filestore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/storetest"
)

// The damage sweep (issue: "a corruption test that sweeps"). Every file it
// damages holds committed records only; after each damage, fsck (Verify),
// every reader and the next write must agree: the data as it was, or an
// error naming the file and an offset. A shorter or different answer with
// success, or a write acknowledged and then not read back, is a silent
// failure and fails the test.
//
// By default the sweep flips one bit of every byte of small files and of a
// sample of the bytes of large ones (the bit and the sample rotate), and
// zeros every aligned range of 64, 512 and 4096 bytes. STATSTORE_SWEEP=full
// flips every bit of every byte; -short samples one byte in 29 and zeros
// 512-byte ranges only.

// sweepCase is one file to damage: its run's data written by calls, and
// the reads and the write that must agree after damage.
type sweepCase struct {
	name  string
	kind  fileKind
	write func(ctx context.Context, s *Store) error // the committed calls
	next  func(ctx context.Context, s *Store) error // the next write
	// read returns a description of everything a reader sees of the run,
	// the first read error if any.
	read func(ctx context.Context, s *Store) (string, error)
}

func sweepCases() []sweepCase {
	const run = "r"
	train := func(name string, per, calls int) sweepCase {
		all := history(0, 1, per*calls+per)
		return sweepCase{
			name: name, kind: kindTraining,
			write: func(ctx context.Context, s *Store) error {
				for c := 1; c <= calls; c++ {
					if err := s.StoreTrainingStats(ctx, run, &statstore.TrainingStats{IterationStats: all[:c*per]}); err != nil {
						return err
					}
				}
				return nil
			},
			next: func(ctx context.Context, s *Store) error {
				return s.StoreTrainingStats(ctx, run, &statstore.TrainingStats{IterationStats: all})
			},
			read: func(ctx context.Context, s *Store) (string, error) {
				var out bytes.Buffer
				full, err := s.RetrieveTrainingStats(ctx, run)
				if err != nil {
					return "", err
				}
				fmt.Fprintf(&out, "full %v\n", full.IterationStats)
				n := full.Len()
				rng, err := s.RetrieveTrainingRange(ctx, run, statstore.IterationRange{From: n / 3, To: n/3 + 40})
				if err != nil {
					return "", err
				}
				fmt.Fprintf(&out, "range %v\n", rng.IterationStats)
				for _, mode := range []statstore.SubsampleMode{statstore.SubsampleStride, statstore.SubsampleMinMax} {
					sub, err := s.SubsampleTraining(ctx, run, statstore.SubsampleOptions{MaxPoints: 25, Mode: mode})
					if err != nil {
						return "", err
					}
					fmt.Fprintf(&out, "subsample %v %v\n", mode, sub)
				}
				runs, err := s.ListRuns(ctx)
				if err != nil {
					return "", err
				}
				fmt.Fprintf(&out, "runs %+v\n", runs)
				return out.String(), nil
			},
		}
	}
	meta := storetest.Metadata()
	val := func(name string, per, calls int) sweepCase {
		var iters []int
		for i := range per*calls + per {
			iters = append(iters, 100*i)
		}
		return sweepCase{
			name: name, kind: kindValidation,
			write: func(ctx context.Context, s *Store) error {
				for c := 1; c <= calls; c++ {
					if err := s.StoreValidationIterationScores(ctx, run, storetest.Scores(meta, iters[:c*per]...)); err != nil {
						return err
					}
				}
				return nil
			},
			next: func(ctx context.Context, s *Store) error {
				return s.StoreValidationIterationScores(ctx, run, storetest.Scores(meta, iters...))
			},
			read: func(ctx context.Context, s *Store) (string, error) {
				var out bytes.Buffer
				v, err := s.RetrieveValidationScores(ctx, run)
				if err != nil {
					return "", err
				}
				fmt.Fprintf(&out, "scores %+v\n", *v)
				its, err := s.RetrieveValidationIterationScores(ctx, run)
				if err != nil {
					return "", err
				}
				fmt.Fprintf(&out, "iterations %+v\n", its)
				runs, err := s.ListRuns(ctx)
				if err != nil {
					return "", err
				}
				fmt.Fprintf(&out, "runs %+v\n", runs)
				return out.String(), nil
			},
		}
	}
	return []sweepCase{
		train("training/one-block", 40, 3),    // 3 records, ~3 KiB
		train("training/two-blocks", 100, 3),  // ~7 KiB
		train("training/many-blocks", 700, 3), // ~50 KiB, 13 blocks
		val("validation/one-block", 2, 3),     // metadata and 3 records
		val("validation/two-blocks", 6, 3),
		val("validation/many-blocks", 20, 3),
	}
}

// sweepCounts are a sweep's outcomes.
type sweepCounts struct {
	tried, detected, harmless, silent int
}

func TestDamageSweep(t *testing.T) {
	full := os.Getenv("STATSTORE_SWEEP") == "full"
	for _, sc := range sweepCases() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			c := runSweep(t, sc, full)
			t.Logf("%s: %d damages tried, %d detected, %d harmless (data read back identical), %d silent", sc.name, c.tried, c.detected, c.harmless, c.silent)
		})
	}
}

// runSweep writes sc's file once, then damages a copy of it in every way
// the sweep tries and checks each outcome.
func runSweep(t *testing.T, sc sweepCase, full bool) sweepCounts {
	ctx := t.Context()
	dir := t.TempDir()
	s, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.write(ctx, s); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	path := filepath.Join(dir, sc.kind.dirName(), "r")
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := sc.read(ctx, mustOpenDir(t, dir, Options{ReadOnly: true}))
	if err != nil {
		t.Fatal(err)
	}
	// What a read shows after the next write on the intact file.
	ref := t.TempDir()
	rs, err := Open(ref, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.write(ctx, rs); err != nil {
		t.Fatal(err)
	}
	if err := sc.next(ctx, rs); err != nil {
		t.Fatal(err)
	}
	wantNext, err := sc.read(ctx, rs)
	if err != nil {
		t.Fatal(err)
	}
	_ = rs.Close()

	var counts sweepCounts
	try := func(what string, damaged []byte) {
		counts.tried++
		switch outcome := checkDamage(t, sc, dir, path, damaged, want, wantNext); outcome {
		case "detected":
			counts.detected++
		case "harmless":
			counts.harmless++
		default:
			counts.silent++
			t.Errorf("%s: %s", what, outcome)
		}
		if err := os.WriteFile(path, good, 0o644); err != nil {
			t.Fatal(err)
		}
		if t.Failed() && counts.silent > 5 {
			t.FailNow()
		}
	}
	// Every byte of files of up to two blocks; one in stride bytes of
	// larger ones, the stride co-prime with the sizes that matter.
	stride := 1
	switch {
	case full:
	case testing.Short():
		stride = 29
	case len(good) > 3*4096:
		stride = 7
	}
	for off := 0; off < len(good); off += stride {
		bits := []int{(off / stride) % 8}
		if full {
			bits = []int{0, 1, 2, 3, 4, 5, 6, 7}
		}
		for _, bit := range bits {
			d := bytes.Clone(good)
			d[off] ^= 1 << bit
			try(fmt.Sprintf("bit %d of byte %d of %d flipped", bit, off, len(good)), d)
		}
	}
	sizes := []int{64, 512, 4096}
	if testing.Short() {
		sizes = []int{512}
	}
	for _, size := range sizes {
		for off := 0; off < len(good); off += size {
			end := min(off+size, len(good))
			if bytes.Equal(good[off:end], make([]byte, end-off)) {
				continue
			}
			d := bytes.Clone(good)
			clear(d[off:end])
			try(fmt.Sprintf("bytes %d..%d of %d zeroed", off, end, len(good)), d)
		}
	}
	if counts.silent != 0 {
		t.Errorf("%d of %d damages silent", counts.silent, counts.tried)
	}
	return counts
}

// checkDamage writes damaged in place of the run's file and checks fsck,
// the readers and the next write. It returns "detected" when fsck and the
// writer report the damage (and every reader errs or reads the data as it
// was), "harmless" when everything reads as before and the next write is
// read back, and otherwise a description of the silent failure.
func checkDamage(t *testing.T, sc sweepCase, dir, path string, damaged []byte, want, wantNext string) string {
	ctx := t.Context()
	if err := os.WriteFile(path, damaged, 0o644); err != nil {
		t.Fatal(err)
	}
	namesFile := func(err error) bool {
		var ce *statstore.CorruptError
		return errors.As(err, &ce) && ce.Path == path && ce.Offset >= 0 && ce.Offset <= int64(len(damaged))
	}
	rep, err := Verify(ctx, dir)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	var fsckErr error
	for _, f := range rep.Files {
		if f.Path == path {
			fsckErr = f.Err
			if f.TornTail {
				return "fsck calls committed data a torn tail"
			}
		}
	}
	if fsckErr != nil && !namesFile(fsckErr) {
		return fmt.Sprintf("fsck error %v names no file and offset", fsckErr)
	}
	r, err := Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	got, readErr := sc.read(ctx, r)
	_ = r.Close()
	switch {
	case readErr != nil && !namesFile(readErr):
		return fmt.Sprintf("read error %v names no file and offset", readErr)
	case readErr == nil && got != want:
		return fmt.Sprintf("read succeeded with a different answer (fsck error: %v)", fsckErr)
	case readErr == nil && fsckErr != nil:
		// Readers that read everything must see what fsck sees.
		return fmt.Sprintf("fsck reports %v but every reader succeeds", fsckErr)
	case readErr != nil && fsckErr == nil:
		return fmt.Sprintf("a reader fails (%v) but fsck finds nothing", readErr)
	}
	w, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	writeErr := sc.next(ctx, w)
	_ = w.Close()
	if writeErr != nil {
		if !namesFile(writeErr) {
			return fmt.Sprintf("write error %v names no file and offset", writeErr)
		}
		if fsckErr == nil {
			return fmt.Sprintf("the write fails (%v) on a file fsck finds intact", writeErr)
		}
		now, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(now, damaged) {
			return "a refused write changed the file"
		}
		return "detected"
	}
	if fsckErr != nil {
		return fmt.Sprintf("the write was acknowledged on top of damage fsck reports (%v)", fsckErr)
	}
	r, err = Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	after, err := sc.read(ctx, r)
	_ = r.Close()
	if err != nil || after != wantNext {
		return fmt.Sprintf("the acknowledged write does not read back (%v)", err)
	}
	return "harmless"
}
