package cliplot

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"gonum.org/v1/plot"
)

// round reports whether v is a multiple of a step m × 10^k with m in 1, 2,
// 2.5, 4, 5 (linear) or 1…9 (log), up to float rounding.
func round(v, step float64) bool {
	q := v / step
	return math.Abs(q-math.Round(q)) < 1e-6
}

func roundStep(step float64) bool {
	k := math.Floor(math.Log10(step))
	m := step / math.Pow(10, k)
	for _, want := range []float64{1, 2, 2.5, 4, 5, 10} {
		if math.Abs(m-want) < 1e-9 {
			return true
		}
	}
	return false
}

// labelled returns the ticks that have labels.
func labelled(ticks []plot.Tick) []plot.Tick {
	var out []plot.Tick
	for _, t := range ticks {
		if t.Label != "" {
			out = append(out, t)
		}
	}
	return out
}

func TestNiceTicksAreRoundAndFew(t *testing.T) {
	ranges := [][2]float64{{0, 1_000_000}, {0, 5000}, {0, 4999}, {0.05, 1.2}, {0.3139, 0.3912}, {-3, 17}, {1e-7, 3e-7}, {0, 8}, {0, 9}, {123, 129}, {999_000, 1_000_000}}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		lo := (rng.Float64() - 0.3) * math.Pow(10, float64(rng.IntN(12)-6))
		ranges = append(ranges, [2]float64{lo, lo + rng.Float64()*math.Pow(10, float64(rng.IntN(12)-6))})
	}
	for _, r := range ranges {
		if r[1] <= r[0] {
			continue
		}
		if (r[1]-r[0])/math.Max(math.Abs(r[0]), math.Abs(r[1])) < 1e-6 {
			continue // a span at float64's precision: ticks can not be round
		}
		name := fmt.Sprintf("[%g,%g]", r[0], r[1])
		lo, hi := NiceBounds(r[0], r[1])
		if lo > r[0] || hi < r[1] {
			t.Errorf("%s: NiceBounds = [%g, %g], want the range inside", name, lo, hi)
		}
		r = [2]float64{lo, hi}
		ticks := labelled(niceTicks{}.Ticks(r[0], r[1]))
		if len(ticks) < MinTicks || len(ticks) > MaxTicks {
			t.Errorf("%s: %d ticks %v, want %d to %d", name, len(ticks), ticks, MinTicks, MaxTicks)
			continue
		}
		step := ticks[1].Value - ticks[0].Value
		if !roundStep(NiceStep(r[0], r[1])) {
			t.Errorf("%s: step %g, want 1, 2, 2.5, 4 or 5 × 10^k", name, step)
		}
		for _, tk := range ticks {
			if tk.Value < r[0] || tk.Value > r[1] || !round(tk.Value, NiceStep(r[0], r[1])) {
				t.Errorf("%s: tick %g is not a round value in range", name, tk.Value)
			}
			if v, err := strconv.ParseFloat(tk.Label, 64); err != nil || math.Abs(v-tk.Value) > 1e-9*math.Max(1, math.Abs(tk.Value)) {
				t.Errorf("%s: tick %g labelled %q", name, tk.Value, tk.Label)
			}
		}
	}
	// The iteration axis of a 1,000,000-iteration run.
	got := labelled(niceTicks{}.Ticks(0, 999_999))
	var labels []string
	for _, tk := range got {
		labels = append(labels, tk.Label)
	}
	if want := "[0 200000 400000 600000 800000]"; fmt.Sprint(labels) != want {
		t.Errorf("ticks of [0, 999999]: %v, want %s", labels, want)
	}
}

func TestLogTicks(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ranges := [][2]float64{{1e-3, 10}, {0.01, 10}, {1e-9, 1e9}, {0.2, 0.9}, {0.31, 0.39}, {0.05, 2}, {1, 1e30}}
	for range 2000 {
		lo := math.Pow(10, rng.Float64()*12-8)
		ranges = append(ranges, [2]float64{lo, lo * (1.01 + rng.Float64()*math.Pow(10, float64(rng.IntN(10))))})
	}
	for _, r := range ranges {
		lo, hi := LogBounds(r[0], r[1])
		if lo > r[0] || hi < r[1] || lo <= 0 {
			t.Errorf("[%g,%g]: LogBounds = [%g, %g], want positive bounds around the range", r[0], r[1], lo, hi)
		}
		r = [2]float64{lo, hi}
		ticks := labelled(logTicks{}.Ticks(r[0], r[1]))
		if len(ticks) < MinTicks || len(ticks) > MaxTicks {
			t.Errorf("[%g,%g]: %d ticks %v, want %d to %d", r[0], r[1], len(ticks), ticks, MinTicks, MaxTicks)
		}
		for _, tk := range ticks {
			if tk.Value < r[0] || tk.Value > r[1] {
				t.Errorf("[%g,%g]: tick %g out of range", r[0], r[1], tk.Value)
			}
			if len(tk.Label) > 10 {
				t.Errorf("[%g,%g]: tick %g labelled %q, want a short label", r[0], r[1], tk.Value, tk.Label)
			}
			k := math.Floor(math.Log10(tk.Value) + 1e-12)
			m := tk.Value / math.Pow(10, k)
			if math.Abs(m-math.Round(m*4)/4) > 1e-6 && !round(tk.Value, NiceStep(r[0], r[1])) {
				t.Errorf("[%g,%g]: tick %g is not m × 10^k with a round m", r[0], r[1], tk.Value)
			}
		}
	}
}
