package dacapo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/fsutil"
)

// ExportProtocol is the pickle protocol Export writes: DaCapo's default
// (Python's pickle.DEFAULT_PROTOCOL since 3.8).
const ExportProtocol = 4

// ErrExists is the error of an export that would replace or remove files
// already in the destination, without ExportOptions.Force.
var ErrExists = errors.New("files already exist")

// ExportOptions configure ExportWith.
type ExportOptions struct {
	// Force lets the export replace and remove files of the exported runs
	// that already exist in the destination, after copying each to the
	// backup directory. Without it, an export that would change an existing
	// file changes nothing and fails with ErrExists naming the files.
	Force bool
	// BackupDir is where Force copies the files it replaces or removes
	// (as BackupDir/training_stats/<run> and BackupDir/validation_scores/<run>);
	// "" means DIR/.backup/<UTC time, e.g. 20261204T145833.123456789Z>.
	// DaCapo reads only DIR/training_stats and DIR/validation_scores, so
	// a backup under DIR/.backup is invisible to it.
	BackupDir string
	// Now is the clock naming the default backup directory; nil means
	// time.Now.
	Now func() time.Time
	// OnRun, when set, is called before each run is read and encoded, for
	// a progress display.
	OnRun func(run string)
}

// ExportResult is what ExportWith did.
type ExportResult struct {
	// Runs is the number of runs exported.
	Runs int
	// Written are the files written, Unchanged those that already held
	// exactly what the export would write, Replaced the existing files
	// replaced or removed (each backed up first).
	Written, Unchanged, Replaced []string
	// BackupDir is where the replaced files were copied; "" when none were.
	BackupDir string
}

// Export is ExportWith without options: it writes into dir only files that
// do not exist yet (or already hold the same bytes) and fails with
// ErrExists, changing nothing, when it would replace or remove one.
func Export(ctx context.Context, src statstore.StatsStore, dir string, runs []string) error {
	_, err := ExportWith(ctx, src, dir, runs, ExportOptions{})
	return err
}

// ExportWith writes runs of src (every run when runs is empty) into dir as
// DaCapo's FileStatsStore lays them out: dir/training_stats/<run> and
// dir/validation_scores/<run>, each a protocol 4 pickle of DaCapo's
// documents ({"iteration", "loss", "time", "run_name"} and {"iteration",
// "scores", "run_name"}) that Python's pickle.load, and so DaCapo, reads
// back unchanged: ints as ints, floats as floats, NaN as NaN. A run without
// training stats (or validation scores) gets no such file, and an older
// file of that run is removed.
//
// Files of other runs are never touched. A file of an exported run that
// already exists with other contents (or would be removed) is only
// replaced with opts.Force, after a copy to the backup directory (see
// ExportOptions); without it ExportWith checks every file before writing
// any and fails with ErrExists naming them. Each file is replaced
// atomically (temporary file, fsync, rename, fsync of the directory). A
// directory holding statstore's own files is refused, Force or not. A
// named run that src does not hold is an error wrapping
// statstore.ErrNotFound.
func ExportWith(ctx context.Context, src statstore.StatsStore, dir string, runs []string, opts ExportOptions) (*ExportResult, error) {
	res := &ExportResult{}
	named := len(runs) > 0
	if !named {
		infos, err := src.ListRuns(ctx)
		if err != nil {
			return res, fmt.Errorf("dacapo: export: list runs: %w", err)
		}
		for _, info := range infos {
			runs = append(runs, info.Run)
		}
	}
	d, err := Detect(ctx, dir)
	if err != nil {
		return res, fmt.Errorf("dacapo: export: %w", err)
	}
	if d.Kind == DirNative || d.Kind == DirMixed {
		return res, fmt.Errorf("dacapo: export: %s holds statstore's own files (e.g. %s), not DaCapo's: choose another directory: %w",
			dir, d.Native, statstore.ErrInvalidArgument)
	}
	// Encode everything first: nothing is written unless every run can be.
	var files []exportFile
	descs := map[string]Description{}
	for _, run := range runs {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("dacapo: export: %w", err)
		}
		if err := statstore.ValidateRunName(run); err != nil {
			return res, fmt.Errorf("dacapo: export: %w", err)
		}
		if opts.OnRun != nil {
			opts.OnRun(run)
		}
		fs, err := encodeRun(ctx, src, dir, run, named)
		if err != nil {
			return res, fmt.Errorf("dacapo: export run %q: %w", run, err)
		}
		files = append(files, fs...)
		desc, err := runDescription(ctx, src, run)
		if err != nil {
			return res, fmt.Errorf("dacapo: export run %q: %w", run, err)
		}
		if !desc.axesZero() {
			descs[run] = desc
		}
	}
	// The description file last: it describes runs whose files exist.
	if df, ok, err := descriptionFile(dir, descs); err != nil {
		return res, fmt.Errorf("dacapo: export: %w", err)
	} else if ok {
		files = append(files, df)
	}
	var conflicts []string
	for i := range files {
		if err := files[i].probe(); err != nil {
			return res, fmt.Errorf("dacapo: export: %w", err)
		}
		if files[i].replaces {
			conflicts = append(conflicts, files[i].path)
		}
	}
	if len(conflicts) > 0 && !opts.Force {
		return res, fmt.Errorf("dacapo: export into %s would replace or remove %d existing file(s) of the exported runs: %s (nothing was written; force it to replace them after a backup): %w",
			dir, len(conflicts), strings.Join(conflicts, ", "), ErrExists)
	}
	if len(conflicts) > 0 {
		res.BackupDir = opts.BackupDir
		if res.BackupDir == "" {
			now := time.Now
			if opts.Now != nil {
				now = opts.Now
			}
			res.BackupDir = filepath.Join(dir, ".backup", now().UTC().Format("20060102T150405.000000000Z"))
		}
		if err := makeNewDir(res.BackupDir); err != nil {
			return res, fmt.Errorf("dacapo: export: backup directory: %w", err)
		}
	}
	for _, sub := range []string{TrainingDir, ValidationDir} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return res, fmt.Errorf("dacapo: export: %w", err)
		}
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("dacapo: export: %w", err)
		}
		switch {
		case f.unchanged:
			res.Unchanged = append(res.Unchanged, f.path)
			continue
		case f.replaces:
			if err := backup(f.path, filepath.Join(res.BackupDir, f.sub, f.run), f.old); err != nil {
				return res, fmt.Errorf("dacapo: export: back up %s: %w", f.path, err)
			}
			res.Replaced = append(res.Replaced, f.path)
		}
		if err := writeOrRemove(filepath.Join(dir, f.sub), f.run, f.data); err != nil {
			return res, fmt.Errorf("dacapo: export run %q: %w", f.run, err)
		}
		if f.data != nil {
			res.Written = append(res.Written, f.path)
		}
	}
	res.Runs = len(runs)
	return res, nil
}

// exportFile is one file an export writes (data) or removes (data nil).
type exportFile struct {
	run, sub, path string
	data           []byte
	// same reports whether an existing file holds the same documents as
	// data (another tool, or an older statstore, may have written them with
	// other bytes).
	same func(old []byte) bool
	// additive reports a change that only adds to what the file says
	// (the description file's new run entries): not a replacement.
	additive bool
	// Set by probe:
	old       []byte // the existing file's contents, nil when there is none
	unchanged bool   // the file already holds data (or is absent and data is nil)
	replaces  bool   // an existing file would be replaced or removed
}

// probe reads the existing file, if any, and decides what writing f does.
// Anything but a regular file (a FIFO, a directory) is an error.
func (f *exportFile) probe() error {
	fh, _, err := openRegular(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		f.unchanged = f.data == nil
		return nil
	}
	if err != nil {
		return err
	}
	defer fh.Close()
	if f.old, err = io.ReadAll(fh); err != nil {
		return fmt.Errorf("read %s: %w", f.path, err)
	}
	if f.old == nil {
		f.old = []byte{}
	}
	f.unchanged = f.data != nil && (bytes.Equal(f.old, f.data) || (f.same != nil && f.same(f.old)))
	f.replaces = !f.unchanged && !f.additive
	return nil
}

// encodeRun returns the training and validation files of run.
func encodeRun(ctx context.Context, src statstore.StatsStore, dir, run string, named bool) ([]exportFile, error) {
	training, err := src.RetrieveTrainingStats(ctx, run)
	if err != nil {
		return nil, err
	}
	scores, err := src.RetrieveValidationIterationScores(ctx, run)
	if err != nil {
		return nil, err
	}
	if named && training.Len() == 0 && len(scores) == 0 {
		return nil, fmt.Errorf("the source holds no training stats or validation scores for it: %w", statstore.ErrNotFound)
	}
	tf := exportFile{run: run, sub: TrainingDir, path: filepath.Join(dir, TrainingDir, run)}
	if training.Len() > 0 {
		tf.data = encodeTraining(run, training.IterationStats)
		tf.same = func(old []byte) bool { return sameTraining(ctx, old, run, training) }
	}
	vf := exportFile{run: run, sub: ValidationDir, path: filepath.Join(dir, ValidationDir, run)}
	if len(scores) > 0 {
		vf.data = encodeValidation(run, scores)
		vf.same = func(old []byte) bool { return sameValidation(ctx, old, run, scores) }
	}
	return []exportFile{tf, vf}, nil
}

// sameTraining reports whether the pickle old holds exactly the documents
// Export writes for stats: the same iterations, bit-identical floats (any
// NaN equal to any NaN) and the run's name.
func sameTraining(ctx context.Context, old []byte, run string, stats *statstore.TrainingStats) bool {
	docs, err := decodeTraining(ctx, old, newLimit(len(old), 0))
	if err != nil || len(docs) != len(stats.IterationStats) {
		return false
	}
	for i, d := range docs {
		w := stats.IterationStats[i]
		if d.runName != run || d.stats.Iteration != w.Iteration || !sameBits(d.stats.Loss, w.Loss) || !sameBits(d.stats.Time, w.Time) {
			return false
		}
	}
	return true
}

// sameValidation is sameTraining for validation documents.
func sameValidation(ctx context.Context, old []byte, run string, scores []statstore.ValidationIterationScores) bool {
	docs, err := decodeValidation(ctx, old, newLimit(len(old), 0))
	if err != nil || len(docs) != len(scores) {
		return false
	}
	for i, d := range docs {
		w := scores[i]
		if d.runName != run || d.scores.Iteration != w.Iteration || len(d.scores.Scores) != len(w.Scores) {
			return false
		}
		for j := range w.Scores {
			if len(d.scores.Scores[j]) != len(w.Scores[j]) {
				return false
			}
			for k := range w.Scores[j] {
				if !slices.EqualFunc(d.scores.Scores[j][k], w.Scores[j][k], sameBits) {
					return false
				}
			}
		}
	}
	return true
}

func sameBits(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
}

// makeNewDir creates dir and its parents; dir itself must not exist, so
// that two exports never mix their backups.
func makeNewDir(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dir))
}

// backup durably writes data, the contents of path, to dst.
func backup(path, dst string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("%s already exists", dst)
	}
	return fsutil.WriteAtomic(fsutil.OS{}, filepath.Dir(dst), dst, data, 0o644, false)
}

// writeOrRemove atomically replaces dir/run with data, or removes dir/run
// when data is nil. The temporary file is ".<run>.tmp…", a name no reader
// takes for a run.
func writeOrRemove(dir, run string, data []byte) error {
	path := filepath.Join(dir, run)
	if data == nil {
		if err := os.Remove(path); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		return syncDir(dir)
	}
	prefix := run
	if len(prefix) > 64 {
		prefix = prefix[:64] // room for the suffix within the file-name limit
	}
	tmp, err := os.CreateTemp(dir, "."+prefix+".tmp*")
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	done = true
	return syncDir(dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
