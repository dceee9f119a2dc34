package dacapo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/statstore/statstore"

	"github.com/statstore/statstore/internal/fsutil"
)

// The sub-directories of a DaCapo stats directory.
const (
	TrainingDir   = "training_stats"
	ValidationDir = "validation_scores"
)

// Store is a read-only statstore.StatsStore over a directory DaCapo's
// FileStatsStore wrote. Every call reads the run's pickle afresh, so a
// DaCapo process may keep writing. Write methods fail with
// statstore.ErrReadOnly: import the directory to change it.
type Store struct {
	dir    string
	opts   Options
	logger *slog.Logger
	budget int64 // the memory budget

	// sidecar is the path of the description file read ("" when none),
	// desc what it says.
	sidecar string
	desc    *Description

	mu     sync.Mutex
	closed bool
	warned map[string]bool // warnings already logged, by message and run
	// last is the training pickle decoded last, while its file is
	// unchanged: its end (reading a run's validation scores needs it, to
	// mark checkpoints past the training's end) and, when only that read
	// decoded it, its entries for the next reader of the training stats,
	// so a command reading both decodes each file once, in either order.
	last *decodedTraining
}

var _ statstore.StatsStore = (*Store)(nil)

// decodedTraining is what Store keeps of the training pickle decoded last.
type decodedTraining struct {
	path  string
	fi    fs.FileInfo // as it was before it was read
	until int         // TrainedUntil
	// stats, when set, belong to no caller yet: the next training read
	// takes them (and they are then forgotten).
	stats []statstore.TrainingIterationStats
}

// IsStatsDir reports whether Detect finds dir to be a DaCapo stats
// directory: pickles in training_stats/ or validation_scores/ and no file
// of statstore's own format. An empty, truncated or foreign file among the
// pickles does not change the answer: it is one bad run (see
// ListRunsChecked), not a reason to take the directory for something else.
func IsStatsDir(dir string) bool {
	d, err := Detect(context.Background(), dir)
	return err == nil && d.Kind == DirDaCapo
}

// Open returns a read-only store over the DaCapo stats directory dir. It
// fails when dir has neither a training_stats nor a validation_scores
// sub-directory, or when opts are invalid. When dir holds a description
// file (DescriptionFile, written by Describe), the axes it names are used
// where opts name none; opts override the others (with a warning). Without a name for the criteria, from either,
// they are inferred from their count when it is unambiguous (InferPreset),
// else they get generic names of unknown direction, which best reports
// refuse (statstore.ErrUnknownDirection).
func Open(dir string, opts Options) (*Store, error) {
	return open(dir, opts, true)
}

// open is Open, reading the description file only when describe is set.
func open(dir string, opts Options, describe bool) (*Store, error) {
	var d *Description
	if describe {
		var err error
		if d, err = ReadDescription(dir); err != nil {
			return nil, err
		}
	}
	if err := opts.check(); err != nil {
		return nil, err
	}
	found := false
	for _, sub := range []string{TrainingDir, ValidationDir} {
		if fi, err := os.Stat(filepath.Join(dir, sub)); err == nil && fi.IsDir() {
			found = true
		}
	}
	if !found {
		return nil, fmt.Errorf("dacapo: %s has neither %s/ nor %s/, want a DaCapo stats directory: %w", dir, TrainingDir, ValidationDir, statstore.ErrNotFound)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	budget := opts.MemoryBudget
	if budget == 0 {
		budget = DefaultMemoryBudget
	}
	s := &Store{dir: dir, opts: opts, logger: logger, budget: budget, warned: map[string]bool{}, desc: d}
	if d != nil {
		s.sidecar = filepath.Join(dir, DescriptionFile)
	}
	return s, nil
}

// Dir returns the directory the store reads.
func (s *Store) Dir() string { return s.dir }

// Close marks the store closed; later calls fail with statstore.ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.last = nil
	return nil
}

// check reports a done context, a closed store or an invalid run name ("" for
// calls without a run).
func (s *Store) check(ctx context.Context, op, run string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("dacapo: %s: %w", op, err)
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return fmt.Errorf("dacapo: %s: %w", op, statstore.ErrClosed)
	}
	if run == "" && op == "list runs" {
		return nil
	}
	if err := statstore.ValidateRunName(run); err != nil {
		return fmt.Errorf("dacapo: %s: %w", op, err)
	}
	return nil
}

// warnOnce logs a warning once per store for each message and run.
func (s *Store) warnOnce(msg, run string, args ...any) {
	s.mu.Lock()
	key := msg + "\x00" + run
	seen := s.warned[key]
	s.warned[key] = true
	s.mu.Unlock()
	if !seen {
		s.logger.Warn(msg, append([]any{"dir", s.dir, "run", run}, args...)...)
	}
}

// readChunk is how much readFile reads between checks of its context.
const readChunk = 1 << 20

// readFile returns the pickle of run in sub, or nil when there is none.
// Anything but a regular file (a FIFO, socket, device or directory) is a
// *statstore.CorruptError naming it, found without blocking on it.
func (s *Store) readFile(ctx context.Context, sub, run string) ([]byte, string, error) {
	path := filepath.Join(s.dir, sub, run)
	f, fi, err := openRegular(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, path, nil
	}
	var nr *fsutil.NotRegularError
	if errors.As(err, &nr) {
		return nil, path, &statstore.CorruptError{Path: path, Offset: -1, Reason: fmt.Sprintf("a %s, not a regular file: want a pickle", fsutil.ModeName(nr.Mode))}
	}
	if err != nil {
		return nil, path, fmt.Errorf("dacapo: %w", err)
	}
	defer f.Close()
	tooBig := func(size int64) error {
		return &BudgetError{Path: path, Size: size, Need: size * fastHeldRatio, Budget: s.budget}
	}
	if fi.Size() > s.budget {
		return nil, path, tooBig(fi.Size())
	}
	data := make([]byte, 0, fi.Size()+1)
	for {
		if err := ctx.Err(); err != nil {
			return nil, path, fmt.Errorf("dacapo: read %s: %w", path, err)
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)] // grow: the file is growing
		}
		n, err := f.Read(data[len(data):min(cap(data), len(data)+readChunk)])
		data = data[:len(data)+n]
		if int64(len(data)) > s.budget {
			return nil, path, tooBig(int64(len(data)))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, path, fmt.Errorf("dacapo: read %s: %w", path, err)
		}
	}
	return data, path, nil
}

// corrupt turns a decoding error into a *statstore.CorruptError for path.
// A done context is no damage: it is returned as it is; nor is a pickle
// over the memory budget: it becomes a *BudgetError.
func corrupt(path string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("dacapo: read %s: %w", path, err)
	}
	var ob *overBudget
	if errors.As(err, &ob) {
		return &BudgetError{Path: path, Size: ob.size, Need: ob.need, Budget: ob.budget}
	}
	var de *decodeError
	if errors.As(err, &de) {
		return &statstore.CorruptError{Path: path, Offset: de.Offset, Reason: de.Reason}
	}
	return &statstore.CorruptError{Path: path, Offset: -1, Err: err}
}

// training reads and checks the run's training stats (empty when the run
// has none).
func (s *Store) training(ctx context.Context, run string) (*statstore.TrainingStats, error) {
	path := filepath.Join(s.dir, TrainingDir, run)
	before, statErr := os.Stat(path)
	if statErr == nil {
		s.mu.Lock()
		var kept []statstore.TrainingIterationStats
		if last := s.last; last != nil && last.path == path && sameFile(last.fi, before) {
			kept, last.stats = last.stats, nil
		}
		s.mu.Unlock()
		if kept != nil {
			return &statstore.TrainingStats{IterationStats: kept}, nil
		}
	}
	stats, err := s.decodeTraining(ctx, run, path)
	if err == nil && statErr == nil {
		s.mu.Lock()
		s.last = &decodedTraining{path: path, fi: before, until: stats.TrainedUntil()}
		s.mu.Unlock()
	}
	return stats, err
}

// trainedUntil is the TrainedUntil of the run's training stats, from the
// last decode of an unchanged file when there is one; a decode made here
// is kept for the next training read.
func (s *Store) trainedUntil(ctx context.Context, run string) (int, error) {
	path := filepath.Join(s.dir, TrainingDir, run)
	before, statErr := os.Stat(path)
	if statErr == nil {
		s.mu.Lock()
		last := s.last
		s.mu.Unlock()
		if last != nil && last.path == path && sameFile(last.fi, before) {
			return last.until, nil
		}
	}
	stats, err := s.decodeTraining(ctx, run, path)
	if err != nil {
		return 0, err
	}
	if statErr == nil {
		s.mu.Lock()
		s.last = &decodedTraining{path: path, fi: before, until: stats.TrainedUntil(), stats: stats.IterationStats}
		s.mu.Unlock()
	}
	return stats.TrainedUntil(), nil
}

// decodeTraining reads and checks the run's training stats at path.
func (s *Store) decodeTraining(ctx context.Context, run, path string) (*statstore.TrainingStats, error) {
	data, path, err := s.readFile(ctx, TrainingDir, run)
	if err != nil || data == nil {
		return &statstore.TrainingStats{}, err
	}
	docs, err := decodeTraining(ctx, data, s.limit(path, data))
	if err != nil {
		return nil, corrupt(path, err)
	}
	s.decoded(path, data)
	stats := &statstore.TrainingStats{IterationStats: make([]statstore.TrainingIterationStats, 0, len(docs))}
	for i, d := range docs {
		if err := stats.AddIterationStats(d.stats); err != nil {
			return nil, &statstore.CorruptError{Path: path, Offset: -1, Reason: fmt.Sprintf("entry %d", i), Err: err}
		}
		s.checkRunName(path, run, d.runName)
	}
	return stats, nil
}

// sameFile reports whether a and b describe the same file unchanged: the
// same inode, size and modification time.
func sameFile(a, b fs.FileInfo) bool {
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// limit is the decoding limit for the pickle data read from path, with the
// store's memory budget and its Options.OnDecode progress.
func (s *Store) limit(path string, data []byte) limit {
	lim := newLimit(len(data), s.budget)
	if f := s.opts.OnDecode; f != nil {
		size, reported := int64(len(data)), int64(0)
		lim.progress = func(done int) {
			// Monotonic: a file the fast path leaves to the general
			// one is decoded again from its start.
			if d := int64(done); d > reported && d < size {
				reported = d
				f(path, d, size)
			}
		}
	}
	return lim
}

// decoded reports to Options.OnDecode that the pickle at path is decoded.
func (s *Store) decoded(path string, data []byte) {
	if f := s.opts.OnDecode; f != nil {
		f(path, int64(len(data)), int64(len(data)))
	}
}

// validationDocs reads the run's validation documents, in file order.
func (s *Store) validationDocs(ctx context.Context, run string) ([]validationDoc, string, error) {
	data, path, err := s.readFile(ctx, ValidationDir, run)
	if err != nil || data == nil {
		return nil, path, err
	}
	docs, err := decodeValidation(ctx, data, s.limit(path, data))
	if err != nil {
		return nil, path, corrupt(path, err)
	}
	s.decoded(path, data)
	for _, d := range docs {
		s.checkRunName(path, run, d.runName)
	}
	return docs, path, nil
}

// validation reads the run's validation scores and names their axes.
func (s *Store) validation(ctx context.Context, run string) (*statstore.ValidationScores, error) {
	docs, path, err := s.validationDocs(ctx, run)
	if err != nil || len(docs) == 0 {
		return &statstore.ValidationScores{}, err
	}
	shape, ok := docs[0].scores.Shape()
	if !ok {
		return nil, &statstore.CorruptError{Path: path, Offset: -1, Reason: fmt.Sprintf("entry 0 (iteration %d): ragged scores, want datasets × parameter sets × criteria", docs[0].scores.Iteration)}
	}
	meta, generic, err := s.metadataFor(run, shape)
	if err != nil {
		return nil, fmt.Errorf("dacapo: %s: %w", path, err)
	}
	if len(generic) > 0 {
		s.warnOnce("DaCapo stores no names for validation axes; using generic names (give a preset, dataset and parameter names to name them)", run,
			"generic", strings.Join(generic, ", "))
	}
	entries, dups := mergeValidation(docs)
	if len(dups) > 0 {
		s.warnOnce("DaCapo validation file holds an iteration more than once (DaCapo appends in call order); the last entry wins", run,
			"file", path, "iterations", fmt.Sprint(dups))
	}
	scores := &statstore.ValidationScores{Metadata: meta, Scores: make([]statstore.ValidationIterationScores, 0, len(entries))}
	for _, e := range entries {
		if err := scores.AddIterationScores(docs[e].scores); err != nil {
			return nil, &statstore.CorruptError{Path: path, Offset: -1, Reason: fmt.Sprintf("entry %d (iteration %d)", e, docs[e].scores.Iteration), Err: err}
		}
	}
	if err := s.markPastTraining(ctx, run, scores); err != nil {
		return nil, err
	}
	return scores, nil
}

// markPastTraining marks superseded the validations of checkpoints after
// the end of the run's training stats. DaCapo stores a checkpoint's
// training stats before its weights and validates after both, so a
// validation past the training's end is what a resume from an earlier
// checkpoint leaves behind: DaCapo overwrote the training stats and the
// weights but not yet the validation file (its resume_training deletes
// those validations in memory only). The store's rewind rule then reads
// them as it would have marked them (SPEC §2): kept, marked, left out of
// best by default. A run without training stats marks nothing.
func (s *Store) markPastTraining(ctx context.Context, run string, scores *statstore.ValidationScores) error {
	if len(scores.Scores) == 0 || scores.Scores[len(scores.Scores)-1].Iteration == 0 {
		return nil
	}
	until, err := s.trainedUntil(ctx, run)
	if err != nil {
		return err
	}
	if until == 0 {
		return nil
	}
	if marked := statstore.MarkSuperseded(scores.Scores, until); len(marked) > 0 {
		s.warnOnce("DaCapo validation file holds checkpoints after the end of the training stats (training was resumed from an earlier checkpoint); they are superseded until validated again", run,
			"trained_until", until, "superseded", fmt.Sprint(marked))
	}
	return nil
}

// mergeValidation applies the store's merge to a DaCapo validation file,
// which may hold an iteration twice (DaCapo appends in call order): for
// each iteration the last entry wins. It returns the indices of the
// entries kept, in file order, and the iterations found more than once.
func mergeValidation(docs []validationDoc) (keep []int, dups []int) {
	last := make(map[int]int, len(docs))
	for i, d := range docs {
		if _, seen := last[d.scores.Iteration]; seen && !slices.Contains(dups, d.scores.Iteration) {
			dups = append(dups, d.scores.Iteration)
		}
		last[d.scores.Iteration] = i
	}
	for i, d := range docs {
		if last[d.scores.Iteration] == i {
			keep = append(keep, i)
		}
	}
	return keep, dups
}

func (s *Store) checkRunName(path, run, stored string) {
	if stored != "" && stored != run {
		s.warnOnce("DaCapo document names another run than its file", run, "file", path, "run_name", stored)
	}
}

// RetrieveTrainingStats returns the run's training stats (empty for a run
// without a training_stats file).
func (s *Store) RetrieveTrainingStats(ctx context.Context, run string) (*statstore.TrainingStats, error) {
	if err := s.check(ctx, "retrieve training stats", run); err != nil {
		return nil, err
	}
	return s.training(ctx, run)
}

// RetrieveTrainingRange returns the training entries with iteration in r.
func (s *Store) RetrieveTrainingRange(ctx context.Context, run string, r statstore.IterationRange) (*statstore.TrainingStats, error) {
	if err := s.check(ctx, "retrieve training range", run); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("dacapo: retrieve training range: %w", err)
	}
	stats, err := s.training(ctx, run)
	if err != nil {
		return nil, err
	}
	out := &statstore.TrainingStats{}
	for _, e := range stats.IterationStats {
		if r.Contains(e.Iteration) {
			out.IterationStats = append(out.IterationStats, e)
		}
	}
	return out, nil
}

// SubsampleTraining returns the plot subsample statstore.Subsample defines.
// A pickle cannot be read in part, so it decodes the whole file.
func (s *Store) SubsampleTraining(ctx context.Context, run string, opts statstore.SubsampleOptions) ([]statstore.TrainingIterationStats, error) {
	if err := s.check(ctx, "subsample training", run); err != nil {
		return nil, err
	}
	if _, err := opts.Normalize(); err != nil {
		return nil, fmt.Errorf("dacapo: subsample training: %w", err)
	}
	stats, err := s.training(ctx, run)
	if err != nil {
		return nil, err
	}
	return statstore.Subsample(stats.IterationStats, opts)
}

// RetrieveValidationIterationScores returns the run's validation entries in
// iteration order.
func (s *Store) RetrieveValidationIterationScores(ctx context.Context, run string) ([]statstore.ValidationIterationScores, error) {
	scores, err := s.RetrieveValidationScores(ctx, run)
	if err != nil {
		return nil, err
	}
	return scores.Scores, nil
}

// RetrieveValidationScores returns the run's validation scores with the
// metadata Options give them (zero metadata and no scores for a run without
// a validation_scores file).
func (s *Store) RetrieveValidationScores(ctx context.Context, run string) (*statstore.ValidationScores, error) {
	if err := s.check(ctx, "retrieve validation scores", run); err != nil {
		return nil, err
	}
	return s.validation(ctx, run)
}

// RunError is a run of a DaCapo directory that cannot be read: an empty
// pickle (what DaCapo leaves when killed mid-dump), a truncated or damaged
// one, a FIFO or other special file, a file too large to read.
type RunError struct {
	// Run is the run's name.
	Run string
	// Err is why: usually a *statstore.CorruptError naming the file.
	Err error
}

// Error names the run and the reason.
func (e *RunError) Error() string { return fmt.Sprintf("run %q: %v", e.Run, e.Err) }

// Unwrap returns the reason.
func (e *RunError) Unwrap() error { return e.Err }

// ListRuns returns every run with a training_stats or validation_scores
// file, sorted by name. Files whose names are not valid run names are
// skipped with a warning, and so are runs whose files cannot be read
// (ListRunsChecked returns them): one bad pickle does not hide the others.
func (s *Store) ListRuns(ctx context.Context) ([]statstore.RunInfo, error) {
	runs, bad, err := s.ListRunsChecked(ctx)
	if err != nil {
		return nil, err
	}
	for _, b := range bad {
		s.logger.Warn("skipping a DaCapo run that cannot be read (statstore never changes a DaCapo directory: re-create the file with DaCapo, or move it away)",
			"dir", s.dir, "run", b.Run, "error", b.Err)
	}
	return runs, nil
}

// ListRunsChecked returns, sorted by name, the runs with a training_stats or
// validation_scores file that read correctly and, apart, the runs whose
// files cannot be read, each with its error. Its own error is for failures
// to list the directory, a done ctx and a closed store.
func (s *Store) ListRunsChecked(ctx context.Context) ([]statstore.RunInfo, []*RunError, error) {
	sums, bad, err := s.summaries(ctx, false)
	if err != nil {
		return nil, nil, err
	}
	out := make([]statstore.RunInfo, len(sums))
	for i, sum := range sums {
		out[i] = sum.RunInfo
	}
	return out, bad, nil
}

// RunSummary is what `statstore runs` shows of a run.
type RunSummary struct {
	statstore.RunInfo
	// LastLoss is the loss of the last training entry, MinLoss the lowest
	// loss that is not NaN and MinLossIteration its (first) iteration;
	// HasLoss and HasMinLoss say whether they are set.
	LastLoss, MinLoss   float64
	MinLossIteration    int
	HasLoss, HasMinLoss bool
}

// SummarizeRuns is ListRunsChecked with each run's last and lowest loss,
// from one read of each file: a summary of a run costs one decode, not one
// for the listing and another for the losses.
func (s *Store) SummarizeRuns(ctx context.Context) ([]RunSummary, []*RunError, error) {
	return s.summaries(ctx, true)
}

// summaries lists the runs, with their losses when losses is true.
func (s *Store) summaries(ctx context.Context, losses bool) ([]RunSummary, []*RunError, error) {
	runs, err := s.RunNames(ctx)
	if err != nil {
		return nil, nil, err
	}
	out := make([]RunSummary, 0, len(runs))
	var bad []*RunError
	for _, run := range runs {
		info, err := s.runInfo(ctx, run, losses)
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, nil, fmt.Errorf("dacapo: list runs: %w", ctxErr)
		}
		if err != nil {
			bad = append(bad, &RunError{Run: run, Err: err})
			continue
		}
		out = append(out, info)
	}
	return out, bad, nil
}

// RunNames returns the names of the runs with a training_stats or
// validation_scores file, sorted, without reading the files: what a
// command that reads every run lists first, so that each run is decoded
// once, by the read that needs it. Names that are not valid run names
// are skipped with a warning.
func (s *Store) RunNames(ctx context.Context) ([]string, error) {
	if err := s.check(ctx, "list runs", ""); err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for _, sub := range []string{TrainingDir, ValidationDir} {
		entries, err := os.ReadDir(filepath.Join(s.dir, sub))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("dacapo: list runs: %w", err)
		}
		for _, e := range entries {
			if isTempName(e.Name()) {
				continue // a temporary file of an interrupted Export
			}
			if err := statstore.ValidateRunName(e.Name()); err != nil {
				s.warnOnce("skipping a file whose name is not a valid run name", e.Name(), "error", err)
				continue
			}
			names[e.Name()] = true
		}
	}
	runs := make([]string, 0, len(names))
	for n := range names {
		runs = append(runs, n)
	}
	sort.Strings(runs)
	return runs, nil
}

// runInfo reads both files of a run once and summarises them, with the
// last and lowest loss when losses is true.
func (s *Store) runInfo(ctx context.Context, run string, losses bool) (RunSummary, error) {
	info := RunSummary{RunInfo: statstore.RunInfo{Run: run}}
	stats, err := s.training(ctx, run)
	if err != nil {
		return info, err
	}
	info.TrainedUntil, info.TrainingIterations = stats.TrainedUntil(), stats.Len()
	if n := stats.Len(); losses && n > 0 {
		info.HasLoss, info.LastLoss = true, stats.IterationStats[n-1].Loss
		for _, e := range stats.IterationStats {
			if !math.IsNaN(e.Loss) && (!info.HasMinLoss || e.Loss < info.MinLoss) {
				info.HasMinLoss, info.MinLoss, info.MinLossIteration = true, e.Loss, e.Iteration
			}
		}
	}
	docs, _, err := s.validationDocs(ctx, run)
	if err != nil {
		return info, err
	}
	keep, _ := mergeValidation(docs)
	info.ValidationIterations = len(keep)
	for _, d := range docs {
		info.ValidatedUntil = max(info.ValidatedUntil, d.scores.Iteration+1)
	}
	info.LastWrite = s.lastWrite(run)
	return info, nil
}
