package memstore

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/eventhub"
	"github.com/statstore/statstore/internal/pyramid"
)

var _ statstore.StatsStore = (*Store)(nil)

// Store is an in-memory StatsStore. The zero value is not usable; call New.
type Store struct {
	logger *slog.Logger

	now func() time.Time // the clock that dates trash entries and writes

	mu     sync.RWMutex
	closed bool
	runs   map[string]*runData
	trash  map[string]*trashed // by trash id

	hub *eventhub.Hub // the Watch subscribers
}

// runData is what is stored for one run. A run with neither training entries
// nor validation entries is removed from the map.
type runData struct {
	training []statstore.TrainingIterationStats    // strictly increasing iterations
	meta     statstore.Metadata                    // metadata of scores
	scores   []statstore.ValidationIterationScores // sorted by iteration, unique
	written  time.Time                             // the last write, by the store's clock
	runMeta  statstore.RunMeta                     // configuration and tags (runmeta.go)
	sum      *statstore.RunSummary                 // kept by every write (see summary.go); Run unset
	pyr      *pyramid.Mem                          // training's block summaries (buckets.go); nil: build on demand
}

func (r *runData) empty() bool {
	return len(r.training) == 0 && len(r.scores) == 0 && r.runMeta.IsZero()
}

// New returns an empty store that logs its extend and overwrite decisions
// to logger (nil discards them).
func New(logger *slog.Logger) *Store {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Store{logger: logger, now: time.Now, runs: make(map[string]*runData), trash: make(map[string]*trashed), hub: eventhub.New(0)}
}

// NewWithClock is New with a clock for dating trash entries and runs'
// writes (RunInfo.LastWrite; nil is time.Now): tests of retention periods
// and of stalled runs inject one.
func NewWithClock(logger *slog.Logger, now func() time.Time) *Store {
	s := New(logger)
	if now != nil {
		s.now = now
	}
	return s
}

// Close makes later calls fail with statstore.ErrClosed and drops the data.
// Closing twice is not an error.
func (s *Store) Close() error {
	s.mu.Lock()
	s.closed = true
	s.runs, s.trash = nil, nil
	s.mu.Unlock()
	s.hub.Close()
	return nil
}

// checkOpen reports a done context or a closed store. The caller holds
// s.mu.
func (s *Store) checkOpen(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: %s: %w", op, err)
	}
	if s.closed {
		return fmt.Errorf("memstore: %s: %w", op, statstore.ErrClosed)
	}
	return nil
}

// check reports a done context, a closed store or an invalid run name. The
// caller holds s.mu.
func (s *Store) check(ctx context.Context, op, run string) error {
	if err := s.checkOpen(ctx, op); err != nil {
		return err
	}
	if err := statstore.ValidateRunName(run); err != nil {
		return fmt.Errorf("memstore: %s: %w", op, err)
	}
	return nil
}

// run returns the run's data, creating it when create is set; nil for an
// unknown run otherwise. The caller holds s.mu (for writing when create).
func (s *Store) run(name string, create bool) *runData {
	r := s.runs[name]
	if r == nil && create {
		r = &runData{}
		s.runs[name] = r
	}
	return r
}

// touch records a write of the run's data now, summarising it again from
// its history (a training replace or delete). The caller holds s.mu for
// writing.
func (s *Store) touch(r *runData) {
	r.written = s.now()
	sum := statstore.Summarize("", &statstore.TrainingStats{IterationStats: r.training}, r.validation())
	r.sum = &sum
}

// dropIfEmpty forgets a run that holds nothing any more. The caller holds s.mu.
func (s *Store) dropIfEmpty(name string) {
	if r := s.runs[name]; r != nil && r.empty() {
		delete(s.runs, name)
	}
}

// ListRuns returns every run with training or validation entries or
// metadata, sorted by name (byte-wise).
func (s *Store) ListRuns(ctx context.Context) ([]statstore.RunInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memstore: list runs: %w", err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, fmt.Errorf("memstore: list runs: %w", statstore.ErrClosed)
	}
	out := make([]statstore.RunInfo, 0, len(s.runs))
	for name, r := range s.runs {
		info := statstore.RunInfo{
			Run:                  name,
			TrainingIterations:   len(r.training),
			ValidationIterations: len(r.scores),
			LastWrite:            r.written,
		}
		if n := len(r.training); n > 0 {
			info.TrainedUntil = r.training[n-1].Iteration + 1
		}
		if n := len(r.scores); n > 0 {
			info.ValidatedUntil = r.scores[n-1].Iteration + 1
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Run < out[j].Run })
	return out, nil
}

// DeleteRun removes everything stored for the run; an unknown run is not an
// error.
func (s *Store) DeleteRun(ctx context.Context, run string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx, "delete run", run); err != nil {
		return err
	}
	if _, ok := s.runs[run]; ok {
		delete(s.runs, run)
		s.publishGone(run)
		s.logger.Info("deleted run", "run", run)
	}
	return nil
}
