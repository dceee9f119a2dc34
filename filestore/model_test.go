package filestore

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/storetest"
)

// TestModel runs storetest's random operation sequences against the file
// store and the in-memory model: on one Store, on a fresh Store for every
// call (as short-lived processes sharing the directory would), and on two
// Stores used in turn (each must notice what the other wrote despite its
// cached file states). The seed is logged; STORETEST_SEED replays it.
func TestModel(t *testing.T) {
	tests := []struct {
		name string
		open func(t *testing.T, dir string) statstore.StatsStore
	}{
		{"one store", func(t *testing.T, dir string) statstore.StatsStore {
			return mustOpenDir(t, dir, Options{NoSync: true})
		}},
		{"reopened for every call", func(t *testing.T, dir string) statstore.StatsStore {
			return &turnStore{open: func() (*Store, error) { return Open(dir, Options{NoSync: true}) }}
		}},
		{"two stores in turn", func(t *testing.T, dir string) statstore.StatsStore {
			return &turnStore{stores: []*Store{
				mustOpenDir(t, dir, Options{NoSync: true}),
				mustOpenDir(t, dir, Options{NoSync: true}),
			}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.RunModel(t, func(t *testing.T) statstore.StatsStore {
				dir := t.TempDir()
				t.Cleanup(func() {
					rep, err := Verify(context.Background(), dir)
					if err != nil || !rep.OK() {
						t.Errorf("Verify after the sequence: %+v (%v), want clean", rep, err)
					}
				})
				return tt.open(t, dir)
			}, storetest.ModelOptions{Sequences: 8, Ops: 120})
		})
	}
}

// turnStore is a statstore.StatsStore that passes each call to a Store
// opened for the call (when open is set) or to its stores in turn.
type turnStore struct {
	open   func() (*Store, error)
	stores []*Store

	mu     sync.Mutex
	n      int
	closed bool
}

var _ statstore.StatsStore = (*turnStore)(nil)

// do runs f on the next store.
func (ts *turnStore) do(f func(s *Store) error) error {
	ts.mu.Lock()
	if ts.closed {
		ts.mu.Unlock()
		return fmt.Errorf("turn store: %w", statstore.ErrClosed)
	}
	ts.n++
	var s *Store
	if ts.open == nil {
		s = ts.stores[ts.n%len(ts.stores)]
	}
	ts.mu.Unlock()
	if s != nil {
		return f(s)
	}
	s, err := ts.open()
	if err != nil {
		return err
	}
	err = f(s)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}

func (ts *turnStore) StoreTrainingStats(ctx context.Context, run string, stats *statstore.TrainingStats) error {
	return ts.do(func(s *Store) error { return s.StoreTrainingStats(ctx, run, stats) })
}

func (ts *turnStore) RetrieveTrainingStats(ctx context.Context, run string) (out *statstore.TrainingStats, err error) {
	err = ts.do(func(s *Store) error { out, err = s.RetrieveTrainingStats(ctx, run); return err })
	return out, err
}

func (ts *turnStore) StoreValidationIterationScores(ctx context.Context, run string, scores *statstore.ValidationScores) error {
	return ts.do(func(s *Store) error { return s.StoreValidationIterationScores(ctx, run, scores) })
}

func (ts *turnStore) RetrieveValidationIterationScores(ctx context.Context, run string) (out []statstore.ValidationIterationScores, err error) {
	err = ts.do(func(s *Store) error { out, err = s.RetrieveValidationIterationScores(ctx, run); return err })
	return out, err
}

func (ts *turnStore) DeleteTrainingStats(ctx context.Context, run string) error {
	return ts.do(func(s *Store) error { return s.DeleteTrainingStats(ctx, run) })
}

func (ts *turnStore) ListRuns(ctx context.Context) (out []statstore.RunInfo, err error) {
	err = ts.do(func(s *Store) error { out, err = s.ListRuns(ctx); return err })
	return out, err
}

func (ts *turnStore) RetrieveValidationScores(ctx context.Context, run string) (out *statstore.ValidationScores, err error) {
	err = ts.do(func(s *Store) error { out, err = s.RetrieveValidationScores(ctx, run); return err })
	return out, err
}

func (ts *turnStore) MergeValidationScores(ctx context.Context, run string, scores *statstore.ValidationScores) (out statstore.ValidationMerge, err error) {
	err = ts.do(func(s *Store) error { out, err = s.MergeValidationScores(ctx, run, scores); return err })
	return out, err
}

func (ts *turnStore) DeleteValidationAfter(ctx context.Context, run string, iteration int) error {
	return ts.do(func(s *Store) error { return s.DeleteValidationAfter(ctx, run, iteration) })
}

func (ts *turnStore) DeleteValidationScores(ctx context.Context, run string) error {
	return ts.do(func(s *Store) error { return s.DeleteValidationScores(ctx, run) })
}

func (ts *turnStore) DeleteRun(ctx context.Context, run string) error {
	return ts.do(func(s *Store) error { return s.DeleteRun(ctx, run) })
}

func (ts *turnStore) RetrieveTrainingRange(ctx context.Context, run string, r statstore.IterationRange) (out *statstore.TrainingStats, err error) {
	err = ts.do(func(s *Store) error { out, err = s.RetrieveTrainingRange(ctx, run, r); return err })
	return out, err
}

func (ts *turnStore) SubsampleTraining(ctx context.Context, run string, opts statstore.SubsampleOptions) (out []statstore.TrainingIterationStats, err error) {
	err = ts.do(func(s *Store) error { out, err = s.SubsampleTraining(ctx, run, opts); return err })
	return out, err
}

// Close closes the stores; later calls fail with statstore.ErrClosed.
func (ts *turnStore) Close() error {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.closed {
		return fmt.Errorf("turn store: %w", statstore.ErrClosed)
	}
	ts.closed = true
	for _, s := range ts.stores {
		if err := s.Close(); err != nil {
			return err
		}
	}
	return nil
}
