package statstore_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

func TestTrainingStatsAddIterationStats(t *testing.T) {
	tests := []struct {
		name      string
		have      []int
		add       int
		wantErr   error
		wantInMsg []string
		want      []int
	}{
		{name: "first entry", add: 0, want: []int{0}},
		{name: "next entry", have: []int{0, 1}, add: 2, want: []int{0, 1, 2}},
		{name: "gap", have: []int{0, 10}, add: 20, want: []int{0, 10, 20}},
		{name: "first entry need not be zero", add: 7, want: []int{7}},
		{name: "same iteration", have: []int{0, 1, 2}, add: 2, wantErr: statstore.ErrOutOfOrder,
			wantInMsg: []string{"iteration 2 after iteration 2"}, want: []int{0, 1, 2}},
		{name: "earlier iteration", have: []int{0, 10, 20}, add: 5, wantErr: statstore.ErrOutOfOrder,
			wantInMsg: []string{"iteration 5", "iteration 20", "DeleteAfter"}, want: []int{0, 10, 20}},
		{name: "negative iteration", have: []int{0}, add: -1, wantErr: statstore.ErrInvalidArgument,
			wantInMsg: []string{"-1"}, want: []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stats := trainingStats(t, tt.have...)
			before := *trainingStats(t, tt.have...)
			err := stats.AddIterationStats(statstore.TrainingIterationStats{Iteration: tt.add, Loss: 1})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("AddIterationStats(%d) = %v, want %v", tt.add, err, tt.wantErr)
			}
			for _, s := range tt.wantInMsg {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
			if got := iterationsOf(stats.IterationStats); !equalInts(got, tt.want) {
				t.Errorf("iterations = %v, want %v", got, tt.want)
			}
			if err != nil && !stats.Equal(&before) {
				t.Errorf("stats changed on error: got %v, want %v", stats.IterationStats, before.IterationStats)
			}
		})
	}
}

func TestTrainingStatsKeepsValuesBitExactly(t *testing.T) {
	values := []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1), math.SmallestNonzeroFloat64, math.MaxFloat64}
	var stats statstore.TrainingStats
	for i, v := range values {
		if err := stats.AddIterationStats(statstore.TrainingIterationStats{Iteration: i, Loss: v, Time: v}); err != nil {
			t.Fatalf("AddIterationStats(%v): %v", v, err)
		}
	}
	for i, v := range values {
		got := stats.IterationStats[i]
		if math.Float64bits(got.Loss) != math.Float64bits(v) || math.Float64bits(got.Time) != math.Float64bits(v) {
			t.Errorf("entry %d = %v/%v, want %v", i, got.Loss, got.Time, v)
		}
	}
}

func TestTrainingStatsDeleteAfter(t *testing.T) {
	tests := []struct {
		name  string
		have  []int
		after int
		want  []int
	}{
		{name: "DaCapo's example", have: []int{0, 1, 2}, after: 1, want: []int{0}},
		{name: "keeps iterations below n", have: []int{0, 10, 20, 30}, after: 20, want: []int{0, 10}},
		{name: "n inside a gap", have: []int{0, 10, 20, 30}, after: 15, want: []int{0, 10}},
		{name: "n past the end", have: []int{0, 1, 2}, after: 100, want: []int{0, 1, 2}},
		{name: "n equal to trained-until", have: []int{0, 1, 2}, after: 3, want: []int{0, 1, 2}},
		{name: "zero deletes all", have: []int{0, 1, 2}, after: 0, want: []int{}},
		{name: "negative deletes all", have: []int{0, 1}, after: -5, want: []int{}},
		{name: "empty", after: 3, want: []int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stats := trainingStats(t, tt.have...)
			stats.DeleteAfter(tt.after)
			if got := iterationsOf(stats.IterationStats); !equalInts(got, tt.want) {
				t.Errorf("DeleteAfter(%d) left %v, want %v", tt.after, got, tt.want)
			}
		})
	}
}

func TestTrainingStatsTrainedUntil(t *testing.T) {
	tests := []struct {
		name string
		have []int
		want int
	}{
		{name: "empty", want: 0},
		{name: "only iteration 0", have: []int{0}, want: 1},
		{name: "DaCapo's example", have: []int{0, 1, 2}, want: 3},
		{name: "gaps", have: []int{0, 100, 1000}, want: 1001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := trainingStats(t, tt.have...).TrainedUntil(); got != tt.want {
				t.Errorf("TrainedUntil() = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestTrainingStatsValidate(t *testing.T) {
	e := func(it int) statstore.TrainingIterationStats { return statstore.TrainingIterationStats{Iteration: it} }
	tests := []struct {
		name    string
		entries []statstore.TrainingIterationStats
		wantErr error
	}{
		{name: "empty"},
		{name: "increasing with gaps", entries: []statstore.TrainingIterationStats{e(0), e(5), e(6)}},
		{name: "negative", entries: []statstore.TrainingIterationStats{e(-1)}, wantErr: statstore.ErrInvalidArgument},
		{name: "repeated", entries: []statstore.TrainingIterationStats{e(0), e(1), e(1)}, wantErr: statstore.ErrOutOfOrder},
		{name: "decreasing", entries: []statstore.TrainingIterationStats{e(0), e(5), e(3)}, wantErr: statstore.ErrOutOfOrder},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stats := &statstore.TrainingStats{IterationStats: tt.entries}
			err := stats.Validate()
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("Validate() = %v, want %v", err, tt.wantErr)
			}
			_, err = statstore.NewTrainingStats(tt.entries...)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("NewTrainingStats() = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestTrainingStatsFrom(t *testing.T) {
	stats := trainingStats(t, 0, 10, 20, 30)
	tests := []struct {
		name string
		from int
		want []int
	}{
		{name: "start", from: 0, want: []int{0, 10, 20, 30}},
		{name: "on an entry", from: 20, want: []int{20, 30}},
		{name: "in a gap", from: 11, want: []int{20, 30}},
		{name: "past the end", from: 31, want: []int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := iterationsOf(stats.From(tt.from)); !equalInts(got, tt.want) {
				t.Errorf("From(%d) = %v, want %v", tt.from, got, tt.want)
			}
		})
	}
}

func TestTrainingStatsToLabeled(t *testing.T) {
	tests := []struct {
		name string
		have []int
	}{
		{name: "empty"},
		{name: "gaps", have: []int{0, 10, 25}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stats := trainingStats(t, tt.have...)
			a, err := stats.ToLabeled()
			if err != nil {
				t.Fatalf("ToLabeled: %v", err)
			}
			if dims := a.Dims(); len(dims) != 1 || dims[0] != statstore.DimIterations {
				t.Errorf("dims = %v, want [%s]", dims, statstore.DimIterations)
			}
			coords, _ := a.Coords(statstore.DimIterations)
			if len(coords) != len(tt.have) {
				t.Fatalf("got %d coordinates, want %d", len(coords), len(tt.have))
			}
			values := a.Values()
			for i, it := range tt.have {
				if coords[i] != it {
					t.Errorf("coordinate %d = %v, want %d", i, coords[i], it)
				}
				if values[i] != stats.IterationStats[i].Loss {
					t.Errorf("value %d = %v, want loss %v", i, values[i], stats.IterationStats[i].Loss)
				}
			}
		})
	}
	t.Run("invalid history", func(t *testing.T) {
		stats := &statstore.TrainingStats{IterationStats: []statstore.TrainingIterationStats{{Iteration: 1}, {Iteration: 1}}}
		if _, err := stats.ToLabeled(); err == nil {
			t.Error("ToLabeled of a history with a repeated iteration succeeded, want an error")
		}
	})
}

func TestTrainingStatsEqual(t *testing.T) {
	nan := statstore.TrainingIterationStats{Iteration: 0, Loss: math.NaN()}
	tests := []struct {
		name string
		a, b []statstore.TrainingIterationStats
		want bool
	}{
		{name: "both empty", want: true},
		{name: "NaN equals NaN", a: []statstore.TrainingIterationStats{nan}, b: []statstore.TrainingIterationStats{nan}, want: true},
		{name: "different lengths", a: []statstore.TrainingIterationStats{nan}, want: false},
		{name: "different loss", a: []statstore.TrainingIterationStats{{Loss: 1}}, b: []statstore.TrainingIterationStats{{Loss: 2}}, want: false},
		{name: "different time", a: []statstore.TrainingIterationStats{{Time: 1}}, b: []statstore.TrainingIterationStats{{Time: 2}}, want: false},
		{name: "different iteration", a: []statstore.TrainingIterationStats{{Iteration: 1}}, b: []statstore.TrainingIterationStats{{Iteration: 2}}, want: false},
		{name: "zero and negative zero differ", a: []statstore.TrainingIterationStats{{Loss: 0}}, b: []statstore.TrainingIterationStats{{Loss: math.Copysign(0, -1)}}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &statstore.TrainingStats{IterationStats: tt.a}
			b := &statstore.TrainingStats{IterationStats: tt.b}
			if got := a.Equal(b); got != tt.want {
				t.Errorf("Equal = %v, want %v", got, tt.want)
			}
		})
	}
}
