package dacapo

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/fsutil"
)

// Checkpoint is one weights file of DaCapo's LocalWeightsStore:
// WEIGHTS/<run>/checkpoints/iterations/<iteration>.
type Checkpoint struct {
	Iteration int
	Path      string
	Size      int64
}

// WeightsDir is the checkpoints directory of run in DaCapo's weights
// layout under base (DaCapo's runs_base_dir): base/<run>/checkpoints.
func WeightsDir(base, run string) string {
	return filepath.Join(base, run, "checkpoints")
}

// ReadCheckpoints lists the weights files of run under base, sorted by
// iteration, and the names in its iterations directory that are not an
// iteration (left alone by every command). A run without a weights
// directory has none (no error).
func ReadCheckpoints(base, run string) (cps []Checkpoint, foreign []string, err error) {
	if err := statstore.ValidateRunName(run); err != nil {
		return nil, nil, err
	}
	dir := filepath.Join(WeightsDir(base, run), "iterations")
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read DaCapo weights of run %s: %w", run, err)
	}
	for _, e := range ents {
		it, err := strconv.Atoi(e.Name())
		if err != nil || it < 0 || strconv.Itoa(it) != e.Name() || !e.Type().IsRegular() {
			foreign = append(foreign, e.Name())
			continue
		}
		info, err := e.Info()
		if err != nil {
			return nil, nil, fmt.Errorf("read DaCapo weights of run %s: %w", run, err)
		}
		cps = append(cps, Checkpoint{Iteration: it, Path: filepath.Join(dir, e.Name()), Size: info.Size()})
	}
	slices.SortFunc(cps, func(a, b Checkpoint) int { return a.Iteration - b.Iteration })
	return cps, foreign, nil
}

// RemoveCheckpoint deletes the weights file of run at iteration (what
// DaCapo's LocalWeightsStore.remove does). A file already gone is no error,
// so an interrupted removal can be run again.
func RemoveCheckpoint(base, run string, iteration int) error {
	if err := statstore.ValidateRunName(run); err != nil {
		return err
	}
	p := filepath.Join(WeightsDir(base, run), "iterations", strconv.Itoa(iteration))
	if err := fsutil.RemoveDurably(fsutil.OS{}, p, false); err != nil {
		return fmt.Errorf("remove DaCapo weights: %w", err)
	}
	return nil
}

// bestPointer is the JSON DaCapo's store_best writes: {"iteration": N}.
type bestPointer struct {
	Iteration int `json:"iteration"`
}

// WriteBest records iteration as run's best for dataset × criterion, as
// DaCapo's LocalWeightsStore.store_best does: the symlink
// checkpoints/<dataset>/<criterion> to the iteration's weights file and
// checkpoints/<dataset>/<criterion>.json {"iteration": N}. It also writes
// checkpoints/<criterion>/<dataset>.json, the file DaCapo's retrieve_best
// reads (its path swaps dataset and criterion), so that retrieve_best finds
// it. Each file is replaced atomically (temporary name, then rename), so an
// interrupted write leaves the old pointer or the new one. The weights file
// must exist.
func WriteBest(base, run, dataset, criterion string, iteration int) error {
	if err := statstore.ValidateRunName(run); err != nil {
		return err
	}
	for _, n := range []struct{ what, name string }{{"dataset", dataset}, {"criterion", criterion}} {
		if err := statstore.ValidateRunName(n.name); err != nil || n.name == "iterations" || strings.HasSuffix(n.name, ".json") {
			return fmt.Errorf("%s name %q cannot name a DaCapo best pointer file: %w", n.what, n.name, statstore.ErrInvalidArgument)
		}
	}
	wdir, err := filepath.Abs(WeightsDir(base, run))
	if err != nil {
		return err
	}
	target := filepath.Join(wdir, "iterations", strconv.Itoa(iteration))
	if _, err := os.Stat(target); err != nil {
		return fmt.Errorf("best %s/%s of run %s: weights of iteration %d: %w", dataset, criterion, run, iteration, err)
	}
	doc, err := json.Marshal(bestPointer{Iteration: iteration})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(wdir, dataset), 0o755); err != nil {
		return err
	}
	if err := replaceSymlink(target, filepath.Join(wdir, dataset, criterion)); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(wdir, dataset, criterion+".json"), doc); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(wdir, criterion), 0o755); err != nil {
		return err
	}
	return writeFile(filepath.Join(wdir, criterion, dataset+".json"), doc)
}

// ReadBest returns the iteration DaCapo's retrieve_best would read for run,
// dataset and criterion (checkpoints/<criterion>/<dataset>.json); ok is
// false when there is none.
func ReadBest(base, run, dataset, criterion string) (iteration int, ok bool, err error) {
	p := filepath.Join(WeightsDir(base, run), criterion, dataset+".json")
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	var b bestPointer
	if err := json.Unmarshal(data, &b); err != nil {
		return 0, false, &statstore.CorruptError{Path: p, Offset: -1, Reason: "DaCapo best pointer: " + err.Error()}
	}
	return b.Iteration, true, nil
}

// replaceSymlink points link at target, replacing what link was, through a
// symlink at a fresh temporary name renamed over it.
func replaceSymlink(target, link string) error {
	tmp, err := fsutil.TempName(filepath.Dir(link), filepath.Base(link))
	if err != nil {
		return err
	}
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, link); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return fsutil.OS{}.SyncDir(filepath.Dir(link))
}

// writeFile replaces path with data atomically and durably.
func writeFile(path string, data []byte) error {
	return fsutil.WriteAtomic(fsutil.OS{}, filepath.Dir(path), path, data, 0o644, false)
}
