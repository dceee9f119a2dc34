package filestore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"time"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/fsutil"
)

// ListRuns returns every run with a training, validation or metadata
// file, sorted by name. Training counts come from each file's last record, so listing does
// not read the histories. LastWrite is the later of the two files'
// modification times (see lastWrite).
func (s *Store) ListRuns(ctx context.Context) ([]statstore.RunInfo, error) {
	if err := s.checkOpen(ctx); err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for _, k := range []fileKind{kindTraining, kindValidation} {
		runs, err := s.listDir(k)
		if err != nil {
			return nil, err
		}
		for _, r := range runs {
			names[r] = true
		}
	}
	withMeta, err := s.listMeta()
	if err != nil {
		return nil, err
	}
	for _, r := range withMeta {
		names[r] = true
	}
	s.warnUnfinishedMoves()
	out := make([]statstore.RunInfo, 0, len(names))
	for run := range names {
		info := statstore.RunInfo{Run: run}
		if err := s.trainInfo(run, &info); err != nil {
			return nil, err
		}
		v, err := s.readVal(ctx, run)
		if err != nil {
			return nil, err
		}
		info.ValidatedUntil, info.ValidationIterations = v.validatedUntil(), 0
		if v != nil {
			info.ValidationIterations = len(v.entries)
		}
		if info.LastWrite, err = s.lastWrite(run); err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b statstore.RunInfo) int {
		switch {
		case a.Run < b.Run:
			return -1
		case a.Run > b.Run:
			return 1
		}
		return 0
	})
	return out, nil
}

// lastWrite returns the latest modification time of the run's training,
// validation and metadata files: every write of a part rewrites or
// appends to its file,
// so this is the run's last write, at the file system's granularity.
// Deleting one part leaves the other file's time. Trashed files are not
// looked at; a missing file does not count.
func (s *Store) lastWrite(run string) (time.Time, error) {
	var last time.Time
	for _, path := range []string{s.path(kindTraining, run), s.path(kindValidation, run), s.metaPath(run)} {
		fi, err := s.fs.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return time.Time{}, fmt.Errorf("filestore: list runs: the time of run %q's last write: %w", run, err)
		}
		if t := fi.ModTime(); t.After(last) {
			last = t
		}
	}
	return last, nil
}

// listDir returns the run names of the files of kind k.
func (s *Store) listDir(k fileKind) ([]string, error) {
	return s.listNames(k.dirName())
}

// listMeta returns the names of the runs with a metadata file.
func (s *Store) listMeta() ([]string, error) { return s.listNames(metaDir) }

// listNames returns the run names of the files in DIR/sub.
func (s *Store) listNames(sub string) ([]string, error) {
	entries, err := s.fs.ReadDir(filepath.Join(s.dir, sub))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("filestore: list runs: %w", err)
	}
	var out []string
	for _, e := range entries {
		// Anything but a regular file is listed too: opening it reports
		// what stands where a run's file must be, instead of hiding it.
		if statstore.ValidateRunName(e.Name()) == nil {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// trainInfo fills in the training part of info.
func (s *Store) trainInfo(run string, info *statstore.RunInfo) (err error) {
	lg, err := s.openLog(kindTraining, run, false)
	if err != nil || lg == nil {
		return err
	}
	defer lg.close(&err)
	snap, err := s.loadTrain(lg)
	if err != nil {
		return err
	}
	info.TrainedUntil, info.TrainingIterations = snap.trainedUntil(), snap.count
	return nil
}

// DeleteTrainingStats removes the run's training file; an unknown run is
// not an error.
func (s *Store) DeleteTrainingStats(ctx context.Context, run string) error {
	return s.delete(ctx, run, kindTraining)
}

// DeleteValidationScores removes the run's validation file (scores and
// metadata); an unknown run is not an error.
func (s *Store) DeleteValidationScores(ctx context.Context, run string) error {
	return s.delete(ctx, run, kindValidation)
}

// DeleteRun removes the run's files: training, validation and metadata.
func (s *Store) DeleteRun(ctx context.Context, run string) error {
	return s.delete(ctx, run, kindTraining, kindValidation)
}

// wholeRun reports whether kinds name both data files: a delete of the
// whole run, which takes the metadata too.
func wholeRun(kinds []fileKind) bool {
	return slices.Contains(kinds, kindTraining) && slices.Contains(kinds, kindValidation)
}

func (s *Store) delete(ctx context.Context, run string, kinds ...fileKind) (err error) {
	if err := s.checkWrite(ctx, run); err != nil {
		return err
	}
	unlock, err := s.lockRun(ctx, run)
	if err != nil {
		return err
	}
	defer unlock()
	sum := s.beginSummary(run)
	defer func() { s.endSummary(ctx, run, sum, err, deleteUpdate(kinds), nil) }()
	if len(kinds) == 1 && kinds[0] == kindTraining {
		// The marks of an interrupted training replace are resolved
		// against the training file before it goes.
		if err := s.settleVal(run, 0); err != nil {
			return fmt.Errorf("filestore: not deleting the training stats of run %q: %w", run, err)
		}
	}
	for _, k := range kinds {
		if k == kindTraining {
			s.cacheTrain(run, nil)
		} else {
			s.cacheVal(run, nil)
		}
		if err := fsutil.RemoveDurably(s.fs, s.path(k, run), s.opts.NoSync); err != nil {
			return fmt.Errorf("filestore: delete %s stats of run %q: %w", k, run, err)
		}
		if k == kindTraining {
			s.dropBuckets(run)
		}
		s.log.Info("deleted stats", "run", run, "kind", k.String())
	}
	if wholeRun(kinds) {
		if err := fsutil.RemoveDurably(s.fs, s.metaPath(run), s.opts.NoSync); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("filestore: delete the metadata of run %q: %w", run, err)
		}
	}
	return s.removeLock(run)
}
