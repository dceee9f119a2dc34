package dacapo_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/dacapo"
)

func TestWeights(t *testing.T) {
	base := t.TempDir()
	if cps, foreign, err := dacapo.ReadCheckpoints(base, "r"); err != nil || cps != nil || foreign != nil {
		t.Fatalf("run without weights: %v %v %v", cps, foreign, err)
	}
	it := filepath.Join(dacapo.WeightsDir(base, "r"), "iterations")
	if err := os.MkdirAll(filepath.Join(it, "7"), 0o755); err != nil { // a directory is not a checkpoint
		t.Fatal(err)
	}
	for _, n := range []string{"20", "3", "007", "-1", "x"} {
		if err := os.WriteFile(filepath.Join(it, n), []byte(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cps, foreign, err := dacapo.ReadCheckpoints(base, "r")
	if err != nil || len(cps) != 2 || cps[0].Iteration != 3 || cps[1].Iteration != 20 || cps[1].Size != 2 || len(foreign) != 4 {
		t.Fatalf("ReadCheckpoints: %+v foreign %v err %v", cps, foreign, err)
	}
	if err := dacapo.WriteBest(base, "r", "crop", "dice", 20); err != nil {
		t.Fatal(err)
	}
	if n, ok, err := dacapo.ReadBest(base, "r", "crop", "dice"); n != 20 || !ok || err != nil {
		t.Errorf("ReadBest: %d %v %v", n, ok, err)
	}
	if err := dacapo.WriteBest(base, "r", "crop", "dice", 3); err != nil { // replaced in place
		t.Fatal(err)
	}
	if n, _, _ := dacapo.ReadBest(base, "r", "crop", "dice"); n != 3 {
		t.Errorf("ReadBest after a new best: %d, want 3", n)
	}
	if err := dacapo.WriteBest(base, "r", "crop", "dice", 99); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("best without weights: %v, want not exist", err)
	}
	for _, bad := range [][2]string{{"../x", "dice"}, {"crop", "a/b"}, {"iterations", "dice"}, {"crop", ""}} {
		if err := dacapo.WriteBest(base, "r", bad[0], bad[1], 3); !errors.Is(err, statstore.ErrInvalidArgument) {
			t.Errorf("WriteBest(%q, %q): %v, want ErrInvalidArgument", bad[0], bad[1], err)
		}
	}
	if err := os.WriteFile(filepath.Join(dacapo.WeightsDir(base, "r"), "dice", "crop.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := dacapo.ReadBest(base, "r", "crop", "dice"); !errors.Is(err, statstore.ErrCorrupt) {
		t.Errorf("damaged pointer: %v, want ErrCorrupt", err)
	}
	for range 2 { // removing twice is no error
		if err := dacapo.RemoveCheckpoint(base, "r", 20); err != nil {
			t.Fatal(err)
		}
	}
	if cps, _, _ := dacapo.ReadCheckpoints(base, "r"); len(cps) != 1 {
		t.Errorf("after remove: %+v", cps)
	}
}
