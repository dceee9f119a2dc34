package statstore_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/statstore/statstore"
)

// history returns entries at the given iterations with loss = f(i).
func history(iterations []int, loss func(i int) float64) []statstore.TrainingIterationStats {
	out := make([]statstore.TrainingIterationStats, len(iterations))
	for i, it := range iterations {
		out[i] = statstore.TrainingIterationStats{Iteration: it, Loss: loss(i), Time: float64(i)}
	}
	return out
}

// every returns the iterations from, from+step, ... below to.
func every(from, to, step int) []int {
	var out []int
	for i := from; i < to; i += step {
		out = append(out, i)
	}
	return out
}

// checkSubsample checks what holds for every subsample: at most MaxPoints
// entries, strictly increasing, each one an input entry within the range,
// the range's first and last entries included, and the same answer twice.
func checkSubsample(t testing.TB, in []statstore.TrainingIterationStats, opts statstore.SubsampleOptions, out []statstore.TrainingIterationStats) {
	t.Helper()
	norm, err := opts.Normalize()
	if err != nil {
		t.Fatalf("Normalize(%+v): %v", opts, err)
	}
	if len(out) > norm.MaxPoints {
		t.Errorf("%d points, want at most %d", len(out), norm.MaxPoints)
	}
	var inRange []statstore.TrainingIterationStats
	for _, s := range in {
		if norm.Range.Contains(s.Iteration) {
			inRange = append(inRange, s)
		}
	}
	if len(inRange) == 0 {
		if len(out) != 0 {
			t.Errorf("%d points from an empty range", len(out))
		}
		return
	}
	if len(out) == 0 {
		t.Fatalf("no points from %d entries in range", len(inRange))
	}
	if out[0] != inRange[0] && !sameEntry(out[0], inRange[0]) {
		t.Errorf("first point %+v, want the first entry %+v", out[0], inRange[0])
	}
	if last := inRange[len(inRange)-1]; !sameEntry(out[len(out)-1], last) {
		t.Errorf("last point %+v, want the last entry %+v", out[len(out)-1], last)
	}
	for i, s := range out {
		if i > 0 && s.Iteration <= out[i-1].Iteration {
			t.Errorf("point %d: iteration %d after %d, want strictly increasing", i, s.Iteration, out[i-1].Iteration)
		}
		j := sort.Search(len(inRange), func(j int) bool { return inRange[j].Iteration >= s.Iteration })
		if j == len(inRange) || !sameEntry(inRange[j], s) {
			t.Errorf("point %+v is not an entry of the range", s)
		}
	}
	again, err := statstore.Subsample(in, opts)
	if err != nil || len(again) != len(out) {
		t.Fatalf("second Subsample: %d points, %v; want %d", len(again), err, len(out))
	}
	for i := range out {
		if !sameEntry(again[i], out[i]) {
			t.Errorf("second Subsample point %d = %+v, want %+v", i, again[i], out[i])
		}
	}
}

func sameEntry(a, b statstore.TrainingIterationStats) bool {
	return a.Iteration == b.Iteration && sameFloat(a.Loss, b.Loss) && sameFloat(a.Time, b.Time)
}

// strideRef is the definition of stride mode, by linear scan: for each
// target, the first entry at or after it, repeats dropped.
func strideRef(in []statstore.TrainingIterationStats, maxPoints int) []int {
	if len(in) == 0 {
		return nil
	}
	var out []int
	for _, target := range statstore.SubsampleTargets(in[0].Iteration, in[len(in)-1].Iteration, maxPoints) {
		for _, s := range in {
			if s.Iteration >= target {
				if len(out) == 0 || out[len(out)-1] != s.Iteration {
					out = append(out, s.Iteration)
				}
				break
			}
		}
	}
	return out
}

func TestSubsampleStride(t *testing.T) {
	loss := func(i int) float64 { return 1 / float64(i+1) }
	tests := []struct {
		name string
		in   []statstore.TrainingIterationStats
		opts statstore.SubsampleOptions
		want []int // nil: only check against strideRef
	}{
		{name: "empty", in: nil, opts: statstore.SubsampleOptions{MaxPoints: 10}, want: []int{}},
		{name: "one entry", in: history([]int{7}, loss), opts: statstore.SubsampleOptions{MaxPoints: 10}, want: []int{7}},
		{name: "fits: everything", in: history(every(0, 10, 1), loss), opts: statstore.SubsampleOptions{MaxPoints: 10}, want: every(0, 10, 1)},
		{name: "evenly spaced", in: history(every(0, 101, 1), loss), opts: statstore.SubsampleOptions{MaxPoints: 5}, want: []int{0, 25, 50, 75, 100}},
		{name: "two points: first and last", in: history(every(0, 1000, 1), loss), opts: statstore.SubsampleOptions{MaxPoints: 2}, want: []int{0, 999}},
		{name: "gaps: the entry at or after each target", in: history([]int{0, 1, 2, 3, 50, 97, 98, 99, 100}, loss),
			opts: statstore.SubsampleOptions{MaxPoints: 5}, want: []int{0, 50, 97, 100}},
		{name: "every 10th step", in: history(every(0, 100_000, 10), loss), opts: statstore.SubsampleOptions{MaxPoints: 3}, want: []int{0, 50_000, 99_990}},
		{name: "range from", in: history(every(0, 100, 1), loss), opts: statstore.SubsampleOptions{MaxPoints: 3, Range: statstore.IterationRange{From: 50}}, want: []int{50, 74, 99}},
		{name: "range to (exclusive)", in: history(every(0, 100, 1), loss), opts: statstore.SubsampleOptions{MaxPoints: 3, Range: statstore.IterationRange{To: 51}}, want: []int{0, 25, 50}},
		{name: "range in a gap", in: history([]int{0, 100, 200}, loss), opts: statstore.SubsampleOptions{MaxPoints: 3, Range: statstore.IterationRange{From: 10, To: 90}}, want: []int{}},
		{name: "range past the end", in: history(every(0, 10, 1), loss), opts: statstore.SubsampleOptions{MaxPoints: 3, Range: statstore.IterationRange{From: 100}}, want: []int{}},
		{name: "default max points", in: history(every(0, 5000, 1), loss), opts: statstore.SubsampleOptions{}},
		{name: "large history", in: history(every(3, 2_000_000, 7), loss), opts: statstore.SubsampleOptions{MaxPoints: 1000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := statstore.Subsample(tt.in, tt.opts)
			if err != nil {
				t.Fatalf("Subsample: %v", err)
			}
			if out == nil {
				t.Errorf("Subsample returned nil, want a non-nil slice")
			}
			checkSubsample(t, tt.in, tt.opts, out)
			got := iterationsOf(out)
			if tt.want != nil && !equalInts(got, tt.want) {
				t.Errorf("iterations = %v, want %v", got, tt.want)
			}
			norm, _ := tt.opts.Normalize()
			var inRange []statstore.TrainingIterationStats
			for _, s := range tt.in {
				if norm.Range.Contains(s.Iteration) {
					inRange = append(inRange, s)
				}
			}
			if ref := strideRef(inRange, norm.MaxPoints); !equalInts(got, ref) && len(ref) > 0 {
				t.Errorf("iterations differ from the definition: got %d points, want %d", len(got), len(ref))
			}
		})
	}
}

func TestSubsampleMinMax(t *testing.T) {
	nan := math.NaN()
	minmax := func(n int) statstore.SubsampleOptions {
		return statstore.SubsampleOptions{MaxPoints: n, Mode: statstore.SubsampleMinMax}
	}
	tests := []struct {
		name string
		in   []statstore.TrainingIterationStats
		opts statstore.SubsampleOptions
		want []int
	}{
		{name: "fits: everything", in: history(every(0, 6, 1), func(int) float64 { return 1 }), opts: minmax(6), want: every(0, 6, 1)},
		{name: "spike kept", in: history(every(0, 102, 1), func(i int) float64 {
			if i == 37 {
				return 100
			}
			return 1 / float64(i+1)
		}), opts: minmax(4), want: []int{0, 37, 100, 101}},
		{name: "dip kept", in: history(every(0, 102, 1), func(i int) float64 {
			if i == 63 {
				return -5
			}
			return 1
		}), opts: minmax(4), want: []int{0, 1, 63, 101}}, // the bucket's max: its first entry of loss 1
		{name: "two buckets, min and max in iteration order", in: history(every(0, 10, 1), func(i int) float64 {
			return []float64{0, 5, 9, 1, 3, 7, 2, 8, 4, 0}[i]
		}), opts: minmax(6), want: []int{0, 2, 3, 6, 7, 9}},
		{name: "NaN skipped in a bucket", in: history(every(0, 6, 1), func(i int) float64 {
			return []float64{0, nan, 3, nan, 1, 0}[i]
		}), opts: minmax(3), want: []int{0, 5}},
		{name: "all-NaN bucket keeps its first entry", in: history(every(0, 8, 1), func(i int) float64 {
			return []float64{0, nan, nan, nan, 2, 1, 3, 0}[i]
		}), opts: minmax(6), want: []int{0, 1, 5, 6, 7}},
		{name: "odd max points", in: history(every(0, 1000, 1), func(i int) float64 { return math.Sin(float64(i)) }), opts: minmax(7)},
		{name: "range", in: history(every(0, 1000, 1), func(i int) float64 { return float64(i % 17) }), opts: statstore.SubsampleOptions{
			MaxPoints: 10, Mode: statstore.SubsampleMinMax, Range: statstore.IterationRange{From: 100, To: 900}}},
		{name: "empty range", in: history(every(0, 10, 1), func(int) float64 { return 0 }), opts: statstore.SubsampleOptions{
			MaxPoints: 10, Mode: statstore.SubsampleMinMax, Range: statstore.IterationRange{From: 10}}, want: []int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := statstore.Subsample(tt.in, tt.opts)
			if err != nil {
				t.Fatalf("Subsample: %v", err)
			}
			checkSubsample(t, tt.in, tt.opts, out)
			if got := iterationsOf(out); tt.want != nil && !equalInts(got, tt.want) {
				t.Errorf("iterations = %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("keeps each bucket's extremes", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, 7))
		in := history(every(0, 10_000, 3), func(int) float64 { return rng.NormFloat64() })
		out, err := statstore.Subsample(in, minmax(100))
		if err != nil {
			t.Fatal(err)
		}
		checkSubsample(t, in, minmax(100), out)
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, s := range in {
			lo, hi = math.Min(lo, s.Loss), math.Max(hi, s.Loss)
		}
		var gotLo, gotHi bool
		for _, s := range out {
			gotLo = gotLo || s.Loss == lo
			gotHi = gotHi || s.Loss == hi
		}
		if !gotLo || !gotHi {
			t.Errorf("global min %v kept: %v, global max %v kept: %v; want both", lo, gotLo, hi, gotHi)
		}
	})
}

func TestSubsampleRandomHistories(t *testing.T) {
	for seed := range uint64(30) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 42))
			in := randomHistory(rng, rng.IntN(3000))
			opts := statstore.SubsampleOptions{MaxPoints: 2 + rng.IntN(300), Mode: statstore.SubsampleMode(rng.IntN(2))}
			if rng.IntN(2) == 0 && len(in) > 0 {
				last := in[len(in)-1].Iteration
				opts.Range.From = rng.IntN(last + 1)
				if rng.IntN(2) == 0 {
					opts.Range.To = opts.Range.From + 1 + rng.IntN(last+1)
				}
			}
			out, err := statstore.Subsample(in, opts)
			if err != nil {
				t.Fatalf("Subsample(%+v): %v", opts, err)
			}
			checkSubsample(t, in, opts, out)
		})
	}
}

// randomHistory returns n entries with random gaps and losses, some NaN.
func randomHistory(rng *rand.Rand, n int) []statstore.TrainingIterationStats {
	out := make([]statstore.TrainingIterationStats, n)
	it := rng.IntN(10)
	for i := range out {
		loss := rng.Float64()
		if rng.IntN(20) == 0 {
			loss = math.NaN()
		}
		out[i] = statstore.TrainingIterationStats{Iteration: it, Loss: loss, Time: rng.Float64()}
		it += 1 + rng.IntN(1+rng.IntN(50))
	}
	return out
}

func TestSubsampleOptionsNormalize(t *testing.T) {
	tests := []struct {
		name    string
		opts    statstore.SubsampleOptions
		want    int
		wantErr bool
	}{
		{name: "default", opts: statstore.SubsampleOptions{}, want: statstore.DefaultMaxPoints},
		{name: "two", opts: statstore.SubsampleOptions{MaxPoints: 2}, want: 2},
		{name: "largest", opts: statstore.SubsampleOptions{MaxPoints: statstore.MaxMaxPoints}, want: statstore.MaxMaxPoints},
		{name: "one", opts: statstore.SubsampleOptions{MaxPoints: 1}, wantErr: true},
		{name: "negative", opts: statstore.SubsampleOptions{MaxPoints: -10}, wantErr: true},
		{name: "oversized", opts: statstore.SubsampleOptions{MaxPoints: statstore.MaxMaxPoints + 1}, wantErr: true},
		{name: "unknown mode", opts: statstore.SubsampleOptions{Mode: 7}, wantErr: true},
		{name: "negative range", opts: statstore.SubsampleOptions{Range: statstore.IterationRange{From: -1}}, wantErr: true},
		{name: "reversed range", opts: statstore.SubsampleOptions{Range: statstore.IterationRange{From: 10, To: 5}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.opts.Normalize()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Normalize = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, statstore.ErrInvalidArgument) {
					t.Errorf("error %v does not wrap ErrInvalidArgument", err)
				}
				if _, err := statstore.Subsample(history([]int{0, 1}, func(int) float64 { return 0 }), tt.opts); err == nil {
					t.Errorf("Subsample accepted options that Normalize rejects")
				}
				return
			}
			if got.MaxPoints != tt.want {
				t.Errorf("MaxPoints = %d, want %d", got.MaxPoints, tt.want)
			}
		})
	}
}

func TestSubsampleTargets(t *testing.T) {
	tests := []struct {
		name              string
		first, last, n    int
		want              []int
		wantLen, wantLast int // checked when want is nil
	}{
		{name: "last before first", first: 5, last: 4, n: 10, want: nil},
		{name: "one iteration", first: 5, last: 5, n: 10, want: []int{5}},
		{name: "n below 2", first: 0, last: 100, n: 1, want: []int{0}},
		{name: "fits: every iteration", first: 3, last: 7, n: 10, want: []int{3, 4, 5, 6, 7}},
		{name: "exactly fits", first: 0, last: 4, n: 5, want: []int{0, 1, 2, 3, 4}},
		{name: "evenly spaced", first: 0, last: 10, n: 3, want: []int{0, 5, 10}},
		{name: "floors", first: 0, last: 10, n: 4, want: []int{0, 3, 6, 10}},
		{name: "offset", first: 100, last: 200, n: 5, want: []int{100, 125, 150, 175, 200}},
		{name: "huge span without overflow", first: 1, last: 1 << 60, n: statstore.MaxMaxPoints, wantLen: statstore.MaxMaxPoints, wantLast: 1 << 60},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := statstore.SubsampleTargets(tt.first, tt.last, tt.n)
			if tt.want != nil || tt.wantLen == 0 {
				if !equalInts(got, tt.want) {
					t.Errorf("SubsampleTargets(%d, %d, %d) = %v, want %v", tt.first, tt.last, tt.n, got, tt.want)
				}
				return
			}
			if len(got) != tt.wantLen || got[0] != tt.first || got[len(got)-1] != tt.wantLast {
				t.Fatalf("got %d targets from %d to %d, want %d from %d to %d", len(got), got[0], got[len(got)-1], tt.wantLen, tt.first, tt.wantLast)
			}
			for i := 1; i < len(got); i++ {
				if got[i] <= got[i-1] {
					t.Fatalf("target %d = %d after %d, want strictly increasing", i, got[i], got[i-1])
				}
			}
		})
	}
	t.Run("random: increasing, within bounds, at most n", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for range 1000 {
			first := rng.IntN(1000)
			last := first + rng.IntN(5000)
			n := 2 + rng.IntN(500)
			got := statstore.SubsampleTargets(first, last, n)
			if len(got) > n || got[0] != first || got[len(got)-1] != last {
				t.Fatalf("SubsampleTargets(%d, %d, %d): %d targets from %d to %d", first, last, n, len(got), got[0], got[len(got)-1])
			}
			for i := 1; i < len(got); i++ {
				if got[i] <= got[i-1] {
					t.Fatalf("SubsampleTargets(%d, %d, %d): not strictly increasing at %d", first, last, n, i)
				}
			}
		}
	})
}

func TestSubsampleModeString(t *testing.T) {
	for _, tt := range []struct {
		mode statstore.SubsampleMode
		want string
	}{{statstore.SubsampleStride, "stride"}, {statstore.SubsampleMinMax, "minmax"}} {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.mode.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestIterationRange(t *testing.T) {
	tests := []struct {
		name    string
		r       statstore.IterationRange
		in, out []int
		wantErr bool
	}{
		{name: "all", r: statstore.IterationRange{}, in: []int{0, 1, 1 << 40}},
		{name: "from", r: statstore.IterationRange{From: 10}, in: []int{10, 11}, out: []int{0, 9}},
		{name: "to is exclusive", r: statstore.IterationRange{From: 10, To: 20}, in: []int{10, 19}, out: []int{9, 20}},
		{name: "empty", r: statstore.IterationRange{From: 10, To: 10}, out: []int{9, 10, 11}},
		{name: "negative from", r: statstore.IterationRange{From: -1}, wantErr: true},
		{name: "negative to", r: statstore.IterationRange{To: -1}, wantErr: true},
		{name: "reversed", r: statstore.IterationRange{From: 5, To: 4}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.r.Validate(); (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, statstore.ErrInvalidArgument)) {
				t.Errorf("Validate = %v, want error %v", err, tt.wantErr)
			}
			for _, i := range tt.in {
				if !tt.r.Contains(i) {
					t.Errorf("Contains(%d) = false, want true", i)
				}
			}
			for _, i := range tt.out {
				if tt.r.Contains(i) {
					t.Errorf("Contains(%d) = true, want false", i)
				}
			}
		})
	}
}
