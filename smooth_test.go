package statstore_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/statstore/statstore"
)

func floatsClose(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.IsNaN(a[i]) || math.IsNaN(b[i]) || math.IsInf(a[i], 0) || math.IsInf(b[i], 0) {
			if !sameFloat(a[i], b[i]) {
				return false
			}
			continue
		}
		if math.Abs(a[i]-b[i]) > 1e-12 {
			return false
		}
	}
	return true
}

func TestSmoothEMA(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name   string
		values []float64
		weight float64
		want   []float64
	}{
		{name: "empty", values: nil, weight: 0.5, want: []float64{}},
		{name: "no smoothing", values: []float64{1, 2, 3}, weight: 0, want: []float64{1, 2, 3}},
		{name: "weight 1 is no smoothing", values: []float64{1, 2, 3}, weight: 1, want: []float64{1, 2, 3}},
		{name: "negative weight is no smoothing", values: []float64{1, 2, 3}, weight: -0.5, want: []float64{1, 2, 3}},
		{name: "NaN weight is no smoothing", values: []float64{1, 2, 3}, weight: nan, want: []float64{1, 2, 3}},
		{name: "constant stays constant (debiased)", values: []float64{4, 4, 4, 4}, weight: 0.9, want: []float64{4, 4, 4, 4}},
		{name: "debiased start", values: []float64{1, 0}, weight: 0.5, want: []float64{1, 1.0 / 3}},
		{name: "NaN passed through, not averaged", values: []float64{1, nan, 0}, weight: 0.5, want: []float64{1, nan, 1.0 / 3}},
		{name: "Inf passed through, not averaged", values: []float64{1, inf, -inf, 0}, weight: 0.5, want: []float64{1, inf, -inf, 1.0 / 3}},
		{name: "leading NaN", values: []float64{nan, 2, 2}, weight: 0.3, want: []float64{nan, 2, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]float64(nil), tt.values...)
			got := statstore.SmoothEMA(tt.values, tt.weight)
			if !floatsClose(got, tt.want) {
				t.Errorf("SmoothEMA(%v, %v) = %v, want %v", tt.values, tt.weight, got, tt.want)
			}
			if !floatsClose(tt.values, in) {
				t.Errorf("SmoothEMA modified its input")
			}
		})
	}
	t.Run("matches the recurrence", func(t *testing.T) {
		values := []float64{3, 1, 4, 1, 5, 9, 2, 6}
		const w = 0.6
		got := statstore.SmoothEMA(values, w)
		last := 0.0
		for i, v := range values {
			last = last*w + (1-w)*v
			want := last / (1 - math.Pow(w, float64(i+1)))
			if math.Abs(got[i]-want) > 1e-12 {
				t.Errorf("point %d = %v, want %v", i, got[i], want)
			}
		}
	})
}

func TestMovingAverage(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name   string
		values []float64
		window int
		want   []float64
	}{
		{name: "empty", values: nil, window: 3, want: []float64{}},
		{name: "window 1 copies", values: []float64{1, 2, 3}, window: 1, want: []float64{1, 2, 3}},
		{name: "window 0 copies", values: []float64{1, 2, 3}, window: 0, want: []float64{1, 2, 3}},
		{name: "trailing window, shorter at the start", values: []float64{1, 2, 3, 4, 5}, window: 2, want: []float64{1, 1.5, 2.5, 3.5, 4.5}},
		{name: "window longer than the series", values: []float64{2, 4, 6}, window: 10, want: []float64{2, 3, 4}},
		{name: "NaN skipped", values: []float64{1, nan, 3, 5}, window: 2, want: []float64{1, 1, 3, 4}},
		{name: "Inf skipped", values: []float64{1, inf, 3, -inf, 5}, window: 3, want: []float64{1, 1, 2, 3, 4}},
		{name: "window of only NaN gives NaN", values: []float64{1, nan, nan, 4}, window: 2, want: []float64{1, 1, nan, 4}},
		{name: "all NaN", values: []float64{nan, nan}, window: 3, want: []float64{nan, nan}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]float64(nil), tt.values...)
			got := statstore.MovingAverage(tt.values, tt.window)
			if !floatsClose(got, tt.want) {
				t.Errorf("MovingAverage(%v, %d) = %v, want %v", tt.values, tt.window, got, tt.want)
			}
			if !floatsClose(tt.values, in) {
				t.Errorf("MovingAverage modified its input")
			}
		})
	}
}

func TestSmoothingWindow(t *testing.T) {
	tests := []struct{ n, want int }{{0, 1}, {2499, 1}, {5000, 2}, {1_000_000, 400}}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("n=%d", tt.n), func(t *testing.T) {
			if got := statstore.SmoothingWindow(tt.n); got != tt.want {
				t.Errorf("SmoothingWindow(%d) = %d, want %d", tt.n, got, tt.want)
			}
		})
	}
}
