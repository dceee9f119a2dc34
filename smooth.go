package statstore

import "math"

// SmoothEMA returns the exponential moving average TensorBoard draws, with
// weight in [0, 1) (0 = no smoothing) and TensorBoard's debiasing so the
// start is not pulled towards zero. Non-finite values are passed through and
// do not enter the average.
func SmoothEMA(values []float64, weight float64) []float64 {
	out := make([]float64, len(values))
	if weight <= 0 || weight >= 1 || math.IsNaN(weight) {
		copy(out, values)
		return out
	}
	last, n := 0.0, 0
	for i, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			out[i] = v
			continue
		}
		last = last*weight + (1-weight)*v
		n++
		out[i] = last / (1 - math.Pow(weight, float64(n)))
	}
	return out
}

// MovingAverage returns the trailing moving average over the last window
// values (fewer at the start), non-finite values skipped; window <= 1
// returns a copy.
func MovingAverage(values []float64, window int) []float64 {
	out := make([]float64, len(values))
	if window <= 1 {
		copy(out, values)
		return out
	}
	sum, n := 0.0, 0
	for i, v := range values {
		if finite(v) {
			sum += v
			n++
		}
		if j := i - window; j >= 0 && finite(values[j]) {
			sum -= values[j]
			n--
		}
		if n == 0 {
			out[i] = math.NaN()
		} else {
			out[i] = sum / float64(n)
		}
	}
	return out
}

// SmoothingWindow returns the moving-average window DaCapo's plot uses for
// n points: n/2500, at least 1.
func SmoothingWindow(n int) int {
	w := n / 2500
	if w < 1 {
		w = 1
	}
	return w
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
