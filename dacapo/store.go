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
	dir     string
	opts    Options
	logger  *slog.Logger
	maxSize int64

	mu     sync.Mutex
	closed bool
	warned map[string]bool // warnings already logged, by message and run
}

var _ statstore.StatsStore = (*Store)(nil)

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
// sub-directory, or when opts are invalid.
func Open(dir string, opts Options) (*Store, error) {
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
	maxSize := opts.MaxFileSize
	if maxSize == 0 {
		maxSize = DefaultMaxFileSize
	}
	return &Store{dir: dir, opts: opts, logger: logger, maxSize: maxSize, warned: map[string]bool{}}, nil
}

// Dir returns the directory the store reads.
func (s *Store) Dir() string { return s.dir }

// Close marks the store closed; later calls fail with statstore.ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
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
		return fmt.Errorf("dacapo: %s is %d bytes, more than the limit of %d (raise Options.MaxFileSize to read it): %w",
			path, size, s.maxSize, statstore.ErrInvalidArgument)
	}
	if fi.Size() > s.maxSize {
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
		if int64(len(data)) > s.maxSize {
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
// A done context is no damage: it is returned as it is.
func corrupt(path string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("dacapo: read %s: %w", path, err)
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
	data, path, err := s.readFile(ctx, TrainingDir, run)
	if err != nil || data == nil {
		return &statstore.TrainingStats{}, err
	}
	docs, err := decodeTraining(ctx, data)
	if err != nil {
		return nil, corrupt(path, err)
	}
	stats := &statstore.TrainingStats{IterationStats: make([]statstore.TrainingIterationStats, 0, len(docs))}
	for i, d := range docs {
		if err := stats.AddIterationStats(d.stats); err != nil {
			return nil, &statstore.CorruptError{Path: path, Offset: -1, Reason: fmt.Sprintf("entry %d", i), Err: err}
		}
		s.checkRunName(path, run, d.runName)
	}
	return stats, nil
}

// validationDocs reads the run's validation documents, in file order.
func (s *Store) validationDocs(ctx context.Context, run string) ([]validationDoc, string, error) {
	data, path, err := s.readFile(ctx, ValidationDir, run)
	if err != nil || data == nil {
		return nil, path, err
	}
	docs, err := decodeValidation(ctx, data)
	if err != nil {
		return nil, path, corrupt(path, err)
	}
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
	meta, generic, err := s.opts.metadataFor(shape)
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
	stats, err := s.training(ctx, run)
	if err != nil {
		return err
	}
	until := stats.TrainedUntil()
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
	if err := s.check(ctx, "list runs", ""); err != nil {
		return nil, nil, err
	}
	names := map[string]bool{}
	for _, sub := range []string{TrainingDir, ValidationDir} {
		entries, err := os.ReadDir(filepath.Join(s.dir, sub))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("dacapo: list runs: %w", err)
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
