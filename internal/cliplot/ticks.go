package cliplot

import (
	"math"
	"strconv"

	"gonum.org/v1/plot"
)

// Tick counts: every axis gets between MinTicks and MaxTicks labelled
// ticks when its range allows (a range of one value gets one).
const (
	MinTicks = 5
	MaxTicks = 8
)

// niceTicks labels a linear axis: ticks at the multiples of a round step
// (1, 2, 2.5, 4 or 5 × 10^k, preferring 1, 2 and 5) that fall in [lo, hi],
// MinTicks to MaxTicks of them.
type niceTicks struct{}

// Ticks implements plot.Ticker.
func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !finite(lo) || !finite(hi) || !finite(hi-lo) || hi <= lo {
		if finite(lo) && lo == hi {
			return []plot.Tick{{Value: lo, Label: formatTick(lo, 0)}}
		}
		// A range whose width overflows a float64 (losses of ±1e308).
		return []plot.Tick{{Value: lo, Label: strconv.FormatFloat(lo, 'g', 3, 64)}, {Value: hi, Label: strconv.FormatFloat(hi, 'g', 3, 64)}}
	}
	step := NiceStep(lo, hi)
	first, last := math.Ceil(lo/step), math.Floor(hi/step)
	var out []plot.Tick
	for k := first; k <= last; k++ {
		v := k * step
		if v == 0 {
			v = 0 // not -0
		}
		out = append(out, plot.Tick{Value: v, Label: formatTick(v, step)})
	}
	return out
}

// NiceStep returns the step of the ticks of [lo, hi] (lo < hi, finite): of
// the round steps m × 10^k, m in 1, 2, 5 (then 2.5, 4), the one whose
// multiples in [lo, hi] number MinTicks to MaxTicks, the larger step when
// several do; when none does (a rare range), the one whose count is
// nearest to that band.
func NiceStep(lo, hi float64) float64 {
	span := hi - lo
	e := math.Floor(math.Log10(span))
	best, bestMiss := 0.0, math.Inf(1)
	for _, mults := range [][]float64{{1, 2, 5}, {2.5, 4}} {
		for k := e + 1; k >= e-2; k-- {
			p := math.Pow(10, k)
			for i := len(mults) - 1; i >= 0; i-- {
				step := mults[i] * p
				n := math.Floor(hi/step) - math.Ceil(lo/step) + 1
				miss := math.Max(MinTicks-n, n-MaxTicks)
				if miss <= 0 {
					return step
				}
				if miss < bestMiss {
					best, bestMiss = step, miss
				}
			}
		}
	}
	return best
}

// NiceBounds widens [lo, hi] (lo < hi, finite) to the multiples of a round
// step around it when the ticks inside [lo, hi] alone would be fewer than
// MinTicks or more than MaxTicks for every round step (as for [46, 910]:
// 200…800 is 4 ticks, 100…900 is 9; [0, 1000] by 200 is 6). The data range
// stays inside, so no value is clipped.
func NiceBounds(lo, hi float64) (float64, float64) {
	if !finite(lo) || !finite(hi) || !finite(hi-lo) || hi <= lo {
		return lo, hi
	}
	step := NiceStep(lo, hi)
	if n := math.Floor(hi/step) - math.Ceil(lo/step) + 1; n >= MinTicks && n <= MaxTicks {
		return lo, hi
	}
	e := math.Floor(math.Log10(hi - lo))
	for _, mults := range [][]float64{{1, 2, 5}, {2.5, 4}} {
		for k := e + 1; k >= e-2; k-- {
			p := math.Pow(10, k)
			for i := len(mults) - 1; i >= 0; i-- {
				step := mults[i] * p
				a, b := math.Floor(lo/step)*step, math.Ceil(hi/step)*step
				if n := math.Round((b-a)/step) + 1; n >= MinTicks && n <= MaxTicks && finite(a) && finite(b) {
					return a, b
				}
			}
		}
	}
	return lo, hi
}

// formatTick writes v with as many decimals as step needs ("2500", "0.25",
// "1e+06" for large or tiny values).
func formatTick(v, step float64) string {
	if a := math.Abs(v); a >= 1e6 || (a > 0 && a < 1e-4) {
		return strconv.FormatFloat(v, 'g', 6, 64)
	}
	decimals := 0
	if step > 0 {
		for s := step; s < 1 || s != math.Trunc(s); s *= 10 {
			decimals++
			if decimals > 10 {
				break
			}
		}
	}
	return strconv.FormatFloat(v, 'f', decimals, 64)
}

// logTicks labels a log axis: the first of these with MinTicks to MaxTicks
// ticks in [lo, hi]: every power of ten (every few on a wide range), 1 and
// 3 × 10^k, 1, 2 and 5 × 10^k, 1…9 × 10^k, the linear ticks (a range
// within a decade); when none has, the one nearest to that count.
type logTicks struct{}

// Ticks implements plot.Ticker.
func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !finite(hi) || hi <= lo {
		return niceTicks{}.Ticks(lo, hi)
	}
	k0, k1 := int(math.Floor(math.Log10(lo))), int(math.Ceil(math.Log10(hi)))
	every := max(1, (k1-k0+MaxTicks)/MaxTicks)
	var sets [][]plot.Tick
	for _, mults := range [][]float64{{1}, {1, 3}, {1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}} {
		var out []plot.Tick
		for k := k0; k <= k1; k++ {
			if len(mults) == 1 && (k%every+every)%every != 0 {
				continue
			}
			for _, m := range mults {
				v := m * math.Pow(10, float64(k))
				if v >= lo && v <= hi {
					out = append(out, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', 6, 64)})
				}
			}
		}
		sets = append(sets, out)
	}
	sets = append(sets, niceTicks{}.Ticks(lo, hi))
	best, bestMiss := sets[len(sets)-1], math.MaxInt
	for _, out := range sets {
		miss := max(MinTicks-len(out), len(out)-MaxTicks)
		if miss <= 0 {
			return out
		}
		if miss < bestMiss {
			best, bestMiss = out, miss
		}
	}
	return best
}

// LogBounds widens [lo, hi] (0 < lo < hi) for a log axis, as NiceBounds does
// for a linear one: when logTicks finds fewer than MinTicks or more than
// MaxTicks ticks in [lo, hi], to the enclosing powers of ten, else to the
// round linear bounds that stay positive.
func LogBounds(lo, hi float64) (float64, float64) {
	ok := func(a, b float64) bool {
		n := len(logTicks{}.Ticks(a, b))
		return n >= MinTicks && n <= MaxTicks
	}
	if !(lo > 0) || !finite(hi) || hi <= lo || ok(lo, hi) {
		return lo, hi
	}
	a, b := math.Pow(10, math.Floor(math.Log10(lo))), math.Pow(10, math.Ceil(math.Log10(hi)))
	if a > 0 && finite(b) && ok(a, b) {
		return a, b
	}
	if a, b := NiceBounds(lo, hi); a > 0 && ok(a, b) {
		return a, b
	}
	return lo, hi
}
