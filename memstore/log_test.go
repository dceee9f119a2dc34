package memstore_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/memstore"
	"github.com/statstore/statstore/storetest"
)

// recorder is a slog.Handler that keeps the records it handles.
type recorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec)
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

// last returns the level and message of the last record at Info or above,
// and "" when there is none.
func (r *recorder) last() (slog.Level, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.records) - 1; i >= 0; i-- {
		if r.records[i].Level >= slog.LevelInfo {
			return r.records[i].Level, r.records[i].Message
		}
	}
	return 0, ""
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = nil
}

// TestLogsDecisions checks that appends are logged at Info and overwrites at
// Warn, and that a call that writes nothing logs neither.
func TestLogsDecisions(t *testing.T) {
	m := storetest.Metadata()
	training := func(iters ...int) func(context.Context, *memstore.Store) error {
		return func(ctx context.Context, s *memstore.Store) error {
			return s.StoreTrainingStats(ctx, "run", storetest.Training(iters...))
		}
	}
	scores := func(iters ...int) func(context.Context, *memstore.Store) error {
		return func(ctx context.Context, s *memstore.Store) error {
			return s.StoreValidationIterationScores(ctx, "run", storetest.Scores(m, iters...))
		}
	}
	revalidate := func(iters ...int) func(context.Context, *memstore.Store) error {
		return func(ctx context.Context, s *memstore.Store) error {
			return s.StoreValidationIterationScores(ctx, "run", storetest.ScoresVersion(m, 1, iters...))
		}
	}
	tests := []struct {
		name      string
		setup     []func(context.Context, *memstore.Store) error
		call      func(context.Context, *memstore.Store) error
		wantLevel slog.Level
		wantMsg   string // substring; "" = no record at Info or above
	}{
		{"Training/First", nil, training(0, 1), slog.LevelInfo, "appended"},
		{"Training/Append", []func(context.Context, *memstore.Store) error{training(0, 1)}, training(0, 1, 2), slog.LevelInfo, "appended"},
		{"Training/Behind", []func(context.Context, *memstore.Store) error{training(0, 1, 2)}, training(0), slog.LevelWarn, "overwriting"},
		{"Training/Equal", []func(context.Context, *memstore.Store) error{training(0, 1, 2)}, training(2), slog.LevelWarn, "overwriting"},
		{"Training/Empty", []func(context.Context, *memstore.Store) error{training(0, 1, 2)}, training(), 0, ""},
		{"Training/ResumeSupersedes", []func(context.Context, *memstore.Store) error{training(0, 1, 2, 3), scores(3)}, training(0, 1), slog.LevelWarn, "superseded"},
		{"Validation/First", nil, scores(0, 10), slog.LevelInfo, "merged"},
		{"Validation/Append", []func(context.Context, *memstore.Store) error{scores(0, 10)}, scores(20), slog.LevelInfo, "merged"},
		{"Validation/Late", []func(context.Context, *memstore.Store) error{scores(0, 20)}, scores(10, 20), slog.LevelInfo, "merged"},
		{"Validation/Revalidated", []func(context.Context, *memstore.Store) error{scores(0, 10)}, revalidate(10), slog.LevelWarn, "re-validated"},
		{"Validation/Repeated", []func(context.Context, *memstore.Store) error{scores(0, 10)}, scores(10, 10), slog.LevelWarn, "more than once"},
		{"Validation/NothingNew", []func(context.Context, *memstore.Store) error{scores(0, 10)}, scores(10), 0, ""},
		{"Validation/Rejected", []func(context.Context, *memstore.Store) error{scores(0, 10)}, scores(20, -1), 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			s := memstore.New(slog.New(rec))
			defer s.Close()
			for _, f := range tc.setup {
				if err := f(t.Context(), s); err != nil {
					t.Fatalf("setup: got error %v, want nil", err)
				}
			}
			rec.reset()
			_ = tc.call(t.Context(), s) // a rejected call is part of the table
			level, msg := rec.last()
			switch {
			case tc.wantMsg == "" && msg != "":
				t.Errorf("log: got %v %q, want nothing at Info or above", level, msg)
			case tc.wantMsg != "" && (level != tc.wantLevel || !strings.Contains(msg, tc.wantMsg)):
				t.Errorf("log: got %v %q, want %v containing %q", level, msg, tc.wantLevel, tc.wantMsg)
			}
		})
	}
}

// TestCanceledContext checks that every call with a done context fails
// with the context's error and changes nothing.
func TestCanceledContext(t *testing.T) {
	s := memstore.New(nil)
	defer s.Close()
	if err := s.StoreTrainingStats(t.Context(), "run", storetest.Training(0, 1)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	calls := map[string]func() error{
		"StoreTrainingStats": func() error { return s.StoreTrainingStats(ctx, "run", storetest.Training(0, 1, 2)) },
		"StoreValidationIterationScores": func() error {
			return s.StoreValidationIterationScores(ctx, "run", storetest.Scores(storetest.Metadata(), 0))
		},
		"DeleteTrainingStats":    func() error { return s.DeleteTrainingStats(ctx, "run") },
		"DeleteValidationScores": func() error { return s.DeleteValidationScores(ctx, "run") },
		"DeleteRun":              func() error { return s.DeleteRun(ctx, "run") },
		"RetrieveTrainingStats":  func() error { _, err := s.RetrieveTrainingStats(ctx, "run"); return err },
		"ListRuns":               func() error { _, err := s.ListRuns(ctx); return err },
		"SubsampleTraining": func() error {
			_, err := s.SubsampleTraining(ctx, "run", statstore.SubsampleOptions{})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			if err := call(); !errors.Is(err, context.Canceled) {
				t.Errorf("got error %v, want context.Canceled", err)
			}
		})
	}
	got, err := s.RetrieveTrainingStats(t.Context(), "run")
	if err != nil {
		t.Fatalf("RetrieveTrainingStats after canceled calls: got error %v, want nil", err)
	}
	if got.Len() != 2 {
		t.Errorf("after canceled calls: got %d entries, want 2", got.Len())
	}
}
