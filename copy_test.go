package statstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

// fakeStore implements the four StatsStore methods CopyRun uses; calling
// any other method panics through the nil embedded interface.
type fakeStore struct {
	statstore.StatsStore
	training map[string]*statstore.TrainingStats
	scores   map[string]*statstore.ValidationScores
	err      error // returned by every call when set
	calls    []string
}

func newFakeStore() *fakeStore {
	return &fakeStore{training: map[string]*statstore.TrainingStats{}, scores: map[string]*statstore.ValidationScores{}}
}

func (f *fakeStore) StoreTrainingStats(_ context.Context, run string, stats *statstore.TrainingStats) error {
	f.calls = append(f.calls, "StoreTrainingStats")
	if f.err != nil {
		return f.err
	}
	f.training[run] = stats
	return nil
}

func (f *fakeStore) RetrieveTrainingStats(_ context.Context, run string) (*statstore.TrainingStats, error) {
	f.calls = append(f.calls, "RetrieveTrainingStats")
	if f.err != nil {
		return nil, f.err
	}
	if t, ok := f.training[run]; ok {
		return t, nil
	}
	return &statstore.TrainingStats{}, nil
}

func (f *fakeStore) StoreValidationIterationScores(_ context.Context, run string, scores *statstore.ValidationScores) error {
	f.calls = append(f.calls, "StoreValidationIterationScores")
	if f.err != nil {
		return f.err
	}
	f.scores[run] = scores
	return nil
}

func (f *fakeStore) RetrieveValidationScores(_ context.Context, run string) (*statstore.ValidationScores, error) {
	f.calls = append(f.calls, "RetrieveValidationScores")
	if f.err != nil {
		return nil, f.err
	}
	if s, ok := f.scores[run]; ok {
		return s, nil
	}
	return &statstore.ValidationScores{}, nil
}

func TestCopyRun(t *testing.T) {
	ctx := context.Background()
	t.Run("copies training stats and validation scores", func(t *testing.T) {
		from, to := newFakeStore(), newFakeStore()
		from.training["run"] = trainingStats(t, 0, 1, 2)
		from.scores["run"] = validationScores(t, entry(0, 0.5), entry(1000, 0.7))
		if err := statstore.CopyRun(ctx, from, to, "run"); err != nil {
			t.Fatalf("CopyRun: %v", err)
		}
		if got := to.training["run"]; got == nil || !got.Equal(from.training["run"]) {
			t.Errorf("training stats = %v, want %v", got, from.training["run"])
		}
		got := to.scores["run"]
		if got == nil || !got.Metadata.Equal(testMetadata()) || !equalInts(validationIterations(got.Scores), []int{0, 1000}) {
			t.Errorf("validation scores = %+v, want the source's", got)
		}
	})
	tests := []struct {
		name      string
		run       string
		fromErr   error
		toErr     error
		wantErr   error
		wantInMsg string
	}{
		{name: "invalid run name", run: "../x", wantErr: statstore.ErrInvalidRunName},
		{name: "read fails", run: "run", fromErr: statstore.ErrClosed, wantErr: statstore.ErrClosed, wantInMsg: `copy run "run": read training stats`},
		{name: "write fails", run: "run", toErr: statstore.ErrReadOnly, wantErr: statstore.ErrReadOnly, wantInMsg: `copy run "run": write training stats`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to := newFakeStore(), newFakeStore()
			from.err, to.err = tt.fromErr, tt.toErr
			err := statstore.CopyRun(ctx, from, to, tt.run)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("CopyRun = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantInMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantInMsg)
			}
			if tt.wantErr == statstore.ErrInvalidRunName && len(from.calls)+len(to.calls) > 0 {
				t.Errorf("stores called with an invalid run name: %v %v", from.calls, to.calls)
			}
		})
	}
}
