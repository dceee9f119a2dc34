package statstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

// Criterion describes one evaluation score (DaCapo's evaluation_scores):
// its name, whether higher values are better, its bounds and whether the best
// checkpoint for it is worth keeping.
//
// DirectionUnknown says that nobody said whether higher or lower is better
// (DaCapo stores no criteria, so scores read without a preset or metadata
// have none): HigherIsBetter is then meaningless (and false), Better is
// never true and every best computation refuses the criterion with
// ErrUnknownDirection instead of guessing. In JSON it is
// "direction_unknown": true, left out when false, so data written before
// the field existed reads as it did.
type Criterion struct {
	Name             string `json:"name"`
	HigherIsBetter   bool   `json:"higher_is_better"`
	Bounds           Bounds `json:"bounds"`
	StoreBest        bool   `json:"store_best"`
	DirectionUnknown bool   `json:"direction_unknown,omitempty"`
}

// Direction returns "higher" or "lower" (which values are better), or
// "unknown" when the direction is unknown.
func (c Criterion) Direction() string {
	switch {
	case c.DirectionUnknown:
		return "unknown"
	case c.HigherIsBetter:
		return "higher"
	}
	return "lower"
}

// Bounds are a criterion's lower and upper bounds; a nil bound is open, and
// so is a NaN bound (DaCapo writes float("nan") for an open upper bound), a
// -Inf lower bound and a +Inf upper bound. In JSON they are a two-element
// array with null for an open bound.
type Bounds struct {
	Lower, Upper *float64
}

// Bound returns a pointer to v, for building Bounds.
func Bound(v float64) *float64 { return &v }

// normalized returns b with every open bound (NaN, -Inf lower, +Inf upper)
// as nil.
func (b Bounds) normalized() Bounds {
	open := func(p *float64, inf int) *float64 {
		if p == nil || math.IsNaN(*p) || math.IsInf(*p, inf) {
			return nil
		}
		return p
	}
	return Bounds{Lower: open(b.Lower, -1), Upper: open(b.Upper, 1)}
}

// MarshalJSON writes [lower, upper] with null for an open bound.
func (b Bounds) MarshalJSON() ([]byte, error) {
	n := b.normalized()
	return json.Marshal([2]*float64{n.Lower, n.Upper})
}

// UnmarshalJSON reads [lower, upper]. null, "NaN" (DaCapo writes NaN for an
// open upper bound; see package internal/jsonnan for reading Python's bare
// NaN), "-Infinity" as the lower and "Infinity" as the upper bound are open.
// A JSON null leaves b unchanged.
func (b *Bounds) UnmarshalJSON(data []byte) error {
	if string(bytes.TrimSpace(data)) == "null" {
		return nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return invalid("criterion bounds %s: want [lower, upper] with null for an open bound", data)
	}
	if len(raw) != 2 {
		return invalid("criterion bounds %s: want 2 values, got %d", data, len(raw))
	}
	var v [2]*float64
	for i, r := range raw {
		var word string
		switch {
		case json.Unmarshal(r, &v[i]) == nil:
		case json.Unmarshal(r, &word) == nil && (word == "NaN" || word == [2]string{"-Infinity", "Infinity"}[i]):
			v[i] = nil
		default:
			return invalid("criterion bounds %s: bound %d is %s, want a number, null or \"NaN\"", data, i, r)
		}
	}
	*b = Bounds{Lower: v[0], Upper: v[1]}.normalized()
	return nil
}

// Equal reports whether two bounds are the same, every open bound equal to
// every other open bound on the same side.
func (b Bounds) Equal(o Bounds) bool {
	eq := func(x, y *float64) bool {
		if x == nil || y == nil {
			return x == nil && y == nil
		}
		return *x == *y
	}
	b, o = b.normalized(), o.normalized()
	return eq(b.Lower, o.Lower) && eq(b.Upper, o.Upper)
}

// Validate reports an empty name, bounds with lower > upper and a criterion
// both higher-is-better and of unknown direction.
func (c Criterion) Validate() error {
	if c.Name == "" {
		return invalid("criterion has an empty name")
	}
	if c.DirectionUnknown && c.HigherIsBetter {
		return invalid("criterion %q is higher-is-better and of unknown direction, want one or the other", c.Name)
	}
	b := c.Bounds.normalized()
	if b.Lower != nil && math.IsInf(*b.Lower, 1) {
		return invalid("criterion %q: lower bound is +Inf, want a finite number or open", c.Name)
	}
	if b.Upper != nil && math.IsInf(*b.Upper, -1) {
		return invalid("criterion %q: upper bound is -Inf, want a finite number or open", c.Name)
	}
	if b.Lower != nil && b.Upper != nil && *b.Lower > *b.Upper {
		return invalid("criterion %q: lower bound %v is above upper bound %v", c.Name, *b.Lower, *b.Upper)
	}
	return nil
}

// Better reports whether a is strictly better than b for this criterion.
// NaN is never better than anything, and anything non-NaN is better than NaN.
// Nothing is better than anything for a criterion of unknown direction.
func (c Criterion) Better(a, b float64) bool {
	switch {
	case c.DirectionUnknown, math.IsNaN(a):
		return false
	case math.IsNaN(b):
		return true
	case c.HigherIsBetter:
		return a > b
	default:
		return a < b
	}
}

// Names of DaCapo's evaluator presets, accepted by Preset.
const (
	PresetBinarySegmentation             = "binary_segmentation"
	PresetInstance                       = "instance"
	PresetMultiChannelBinarySegmentation = "multi_channel_binary_segmentation"
	PresetDummy                          = "dummy"
)

// PresetNames lists the presets Preset accepts. Multi-channel binary
// segmentation takes its channels after a colon:
// "multi_channel_binary_segmentation:mito,er".
func PresetNames() []string {
	return []string{PresetBinarySegmentation, PresetInstance, PresetMultiChannelBinarySegmentation + ":<ch1>,<ch2>,...", PresetDummy}
}

// Preset returns the criteria of one of DaCapo's evaluators by name:
// "binary_segmentation" (21 criteria), "instance" (voi_split, voi_merge, voi),
// "multi_channel_binary_segmentation:<ch1>,<ch2>,..." (<channel>__<criterion>
// for each channel and binary criterion) or "dummy".
func Preset(name string) ([]Criterion, error) {
	base, channels, hasChannels := strings.Cut(name, ":")
	switch {
	case base == PresetMultiChannelBinarySegmentation:
		if !hasChannels || channels == "" {
			return nil, invalid("preset %q needs its channels, e.g. %s:mito,er", name, PresetMultiChannelBinarySegmentation)
		}
		return MultiChannelBinarySegmentationCriteria(strings.Split(channels, ",")...)
	case hasChannels:
		return nil, invalid("preset %q takes no channels (only %s does)", name, PresetMultiChannelBinarySegmentation)
	case base == PresetBinarySegmentation:
		return BinarySegmentationCriteria(), nil
	case base == PresetInstance:
		return InstanceCriteria(), nil
	case base == PresetDummy:
		return DummyCriteria(), nil
	}
	return nil, invalid("unknown criteria preset %q, want one of %s", name, strings.Join(PresetNames(), ", "))
}

// BinarySegmentationCriteria returns the 21 criteria of DaCapo's binary
// segmentation evaluator, in axis order.
func BinarySegmentationCriteria() []Criterion {
	unit := Bounds{Lower: Bound(0), Upper: Bound(1)}
	half := Bounds{Lower: Bound(0)}
	c := func(name string, higher bool, b Bounds, storeBest bool) Criterion {
		return Criterion{Name: name, HigherIsBetter: higher, Bounds: b, StoreBest: storeBest}
	}
	return []Criterion{
		c("dice", true, unit, false),
		c("jaccard", true, unit, false),
		c("hausdorff", false, half, false),
		c("false_negative_rate", false, unit, false),
		c("false_negative_rate_with_tolerance", false, unit, false),
		c("false_positive_rate", false, unit, false),
		c("false_discovery_rate", false, unit, false),
		c("false_positive_rate_with_tolerance", false, unit, false),
		c("voi", false, unit, true),
		c("mean_false_distance", false, half, false),
		c("mean_false_negative_distance", false, half, false),
		c("mean_false_positive_distance", false, half, false),
		c("mean_false_distance_clipped", false, half, false),
		c("mean_false_negative_distance_clipped", false, half, false),
		c("mean_false_positive_distance_clipped", false, half, false),
		c("precision_with_tolerance", true, unit, false),
		c("recall_with_tolerance", true, unit, false),
		c("f1_score_with_tolerance", true, unit, false),
		c("precision", true, unit, false),
		c("recall", true, unit, false),
		c("f1_score", true, unit, true),
	}
}

// InstanceCriteria returns the criteria of DaCapo's instance evaluator.
func InstanceCriteria() []Criterion {
	unit := Bounds{Lower: Bound(0), Upper: Bound(1)}
	return []Criterion{
		{Name: "voi_split", Bounds: unit, StoreBest: true},
		{Name: "voi_merge", Bounds: unit, StoreBest: true},
		{Name: "voi", Bounds: unit, StoreBest: true},
	}
}

// DummyCriteria returns the criteria of DaCapo's dummy evaluator.
func DummyCriteria() []Criterion {
	unit := Bounds{Lower: Bound(0), Upper: Bound(1)}
	return []Criterion{
		{Name: "frizz_level", HigherIsBetter: true, Bounds: unit, StoreBest: true},
		{Name: "blipp_score", Bounds: unit, StoreBest: true},
	}
}

// MultiChannelBinarySegmentationCriteria returns the criteria of DaCapo's
// multi-channel binary segmentation evaluator: for each channel, every binary
// segmentation criterion named "<channel>__<criterion>" with its properties.
func MultiChannelBinarySegmentationCriteria(channels ...string) ([]Criterion, error) {
	if len(channels) == 0 {
		return nil, invalid("multi-channel binary segmentation needs at least one channel")
	}
	seen := map[string]bool{}
	var out []Criterion
	for _, ch := range channels {
		ch = strings.TrimSpace(ch)
		if ch == "" {
			return nil, invalid("multi-channel binary segmentation: empty channel name in %q", strings.Join(channels, ","))
		}
		if seen[ch] {
			return nil, invalid("multi-channel binary segmentation: channel %q given twice", ch)
		}
		seen[ch] = true
		for _, c := range BinarySegmentationCriteria() {
			c.Name = ch + "__" + c.Name
			out = append(out, c)
		}
	}
	return out, nil
}

// CriteriaEqual reports whether two criteria lists are the same, in order.
func CriteriaEqual(a, b []Criterion) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].HigherIsBetter != b[i].HigherIsBetter || a[i].DirectionUnknown != b[i].DirectionUnknown ||
			a[i].StoreBest != b[i].StoreBest || !a[i].Bounds.Equal(b[i].Bounds) {
			return false
		}
	}
	return true
}

// GenericCriteria returns n criteria named criterion_0 ... criterion_<n-1>,
// of unknown direction, with open bounds: what a store uses when nothing is
// known of the criteria. Best computations refuse them (ErrUnknownDirection)
// rather than guess which values are better.
func GenericCriteria(n int) []Criterion {
	out := make([]Criterion, n)
	for i := range out {
		out[i] = Criterion{Name: fmt.Sprintf("criterion_%d", i), DirectionUnknown: true}
	}
	return out
}
