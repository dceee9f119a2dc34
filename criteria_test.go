package statstore_test

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

// dacapoTables reads DaCapo's evaluation-score tables (criteria.json): a
// copy committed under testdata/, and the shared original when it exists.
func dacapoTables(t *testing.T) map[string]map[string][]statstore.Criterion {
	t.Helper()
	out := map[string]map[string][]statstore.Criterion{}
	for _, path := range []string{filepath.Join("testdata", "criteria.json"), filepath.Join("..", "shared", "dacapo", "criteria.json")} {
		data, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) && path != filepath.Join("testdata", "criteria.json") {
			continue
		}
		if err != nil {
			t.Fatalf("read DaCapo's table: %v", err)
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(data, &raw); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		tables := map[string][]statstore.Criterion{}
		for name, table := range raw {
			if strings.HasPrefix(name, "_") {
				continue
			}
			var criteria []statstore.Criterion
			if err := json.Unmarshal(table, &criteria); err != nil {
				t.Fatalf("%s: table %s: %v", path, name, err)
			}
			tables[name] = criteria
		}
		out[path] = tables
	}
	return out
}

// checkCriteria compares criteria with DaCapo's table field by field.
func checkCriteria(t *testing.T, got, want []statstore.Criterion) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d criteria, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Name != w.Name || g.HigherIsBetter != w.HigherIsBetter || g.StoreBest != w.StoreBest || !g.Bounds.Equal(w.Bounds) {
			t.Errorf("criterion %d = %s, want %s", i, describe(g), describe(w))
		}
	}
	if !statstore.CriteriaEqual(got, want) {
		t.Errorf("CriteriaEqual = false for equal lists")
	}
}

func describe(c statstore.Criterion) string {
	b, _ := json.Marshal(c)
	return string(b)
}

func TestPresetsMatchDaCapo(t *testing.T) {
	for path, tables := range dacapoTables(t) {
		t.Run(path, func(t *testing.T) {
			for _, name := range []string{statstore.PresetBinarySegmentation, statstore.PresetInstance, statstore.PresetDummy} {
				if _, ok := tables[name]; !ok {
					t.Errorf("DaCapo's table has no %s", name)
				}
			}
			if len(tables[statstore.PresetBinarySegmentation]) != 21 {
				t.Errorf("DaCapo's binary table has %d criteria, want 21", len(tables[statstore.PresetBinarySegmentation]))
			}
			for name, want := range tables {
				t.Run(name, func(t *testing.T) {
					got, err := statstore.Preset(name)
					if err != nil {
						t.Fatalf("Preset(%q): %v", name, err)
					}
					checkCriteria(t, got, want)
				})
			}
			t.Run("multi_channel_binary_segmentation", func(t *testing.T) {
				channels := []string{"mito", "er", "nucleus"}
				got, err := statstore.Preset(statstore.PresetMultiChannelBinarySegmentation + ":" + strings.Join(channels, ","))
				if err != nil {
					t.Fatal(err)
				}
				var want []statstore.Criterion
				for _, ch := range channels {
					for _, c := range tables[statstore.PresetBinarySegmentation] {
						c.Name = ch + "__" + c.Name
						want = append(want, c)
					}
				}
				checkCriteria(t, got, want)
			})
		})
	}
}

func TestPresetFunctions(t *testing.T) {
	tests := []struct {
		name   string
		preset string
		want   []statstore.Criterion
	}{
		{name: "binary", preset: statstore.PresetBinarySegmentation, want: statstore.BinarySegmentationCriteria()},
		{name: "instance", preset: statstore.PresetInstance, want: statstore.InstanceCriteria()},
		{name: "dummy", preset: statstore.PresetDummy, want: statstore.DummyCriteria()},
		{name: "one channel", preset: "multi_channel_binary_segmentation:mito", want: must(statstore.MultiChannelBinarySegmentationCriteria("mito"))},
		{name: "channels with spaces", preset: "multi_channel_binary_segmentation: mito , er", want: must(statstore.MultiChannelBinarySegmentationCriteria("mito", "er"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := statstore.Preset(tt.preset)
			if err != nil {
				t.Fatalf("Preset(%q): %v", tt.preset, err)
			}
			checkCriteria(t, got, tt.want)
			meta := statstore.Metadata{EvaluationScores: got}
			if err := meta.Validate(); err != nil {
				t.Errorf("preset criteria do not validate: %v", err)
			}
		})
	}
	t.Run("presets are fresh copies", func(t *testing.T) {
		a := statstore.BinarySegmentationCriteria()
		a[0].Name = "changed"
		*a[0].Bounds.Upper = 42
		b := statstore.BinarySegmentationCriteria()
		if b[0].Name != "dice" || *b[0].Bounds.Upper != 1 {
			t.Errorf("changing a preset's result changed the preset: %s", describe(b[0]))
		}
	})
}

func TestPresetErrors(t *testing.T) {
	tests := []struct {
		name      string
		preset    string
		wantInMsg string
	}{
		{name: "unknown", preset: "semantic", wantInMsg: `unknown criteria preset "semantic"`},
		{name: "empty", preset: "", wantInMsg: "unknown criteria preset"},
		{name: "case-sensitive", preset: "Binary_Segmentation", wantInMsg: "unknown"},
		{name: "multi-channel without channels", preset: "multi_channel_binary_segmentation", wantInMsg: "needs its channels"},
		{name: "multi-channel with an empty list", preset: "multi_channel_binary_segmentation:", wantInMsg: "needs its channels"},
		{name: "empty channel", preset: "multi_channel_binary_segmentation:mito,,er", wantInMsg: "empty channel name"},
		{name: "repeated channel", preset: "multi_channel_binary_segmentation:mito,mito", wantInMsg: `channel "mito" given twice`},
		{name: "channels on another preset", preset: "binary_segmentation:mito", wantInMsg: "takes no channels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := statstore.Preset(tt.preset)
			if !errors.Is(err, statstore.ErrInvalidArgument) {
				t.Fatalf("Preset(%q) = %d criteria, %v; want ErrInvalidArgument", tt.preset, len(got), err)
			}
			if !strings.Contains(err.Error(), tt.wantInMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantInMsg)
			}
		})
	}
	t.Run("no channels", func(t *testing.T) {
		if _, err := statstore.MultiChannelBinarySegmentationCriteria(); !errors.Is(err, statstore.ErrInvalidArgument) {
			t.Errorf("MultiChannelBinarySegmentationCriteria() = %v, want ErrInvalidArgument", err)
		}
	})
	t.Run("names listed", func(t *testing.T) {
		if got := strings.Join(statstore.PresetNames(), " "); !strings.Contains(got, "binary_segmentation") || !strings.Contains(got, "dummy") {
			t.Errorf("PresetNames() = %s", got)
		}
	})
}

func TestCriterionBetter(t *testing.T) {
	nan := math.NaN()
	higher, lower := criterion("dice", true), criterion("voi", false)
	tests := []struct {
		name string
		c    statstore.Criterion
		a, b float64
		want bool
	}{
		{name: "higher: larger is better", c: higher, a: 0.9, b: 0.5, want: true},
		{name: "higher: smaller is not", c: higher, a: 0.1, b: 0.5, want: false},
		{name: "lower: smaller is better", c: lower, a: 0.1, b: 0.5, want: true},
		{name: "lower: larger is not", c: lower, a: 0.9, b: 0.5, want: false},
		{name: "equal is not better", c: higher, a: 0.5, b: 0.5, want: false},
		{name: "anything beats NaN", c: lower, a: 100, b: nan, want: true},
		{name: "NaN beats nothing", c: higher, a: nan, b: 0, want: false},
		{name: "NaN does not beat NaN", c: higher, a: nan, b: nan, want: false},
		{name: "Inf is a value", c: higher, a: math.Inf(1), b: 1e300, want: true},
		{name: "unknown direction: larger is not better", c: statstore.Criterion{Name: "c", DirectionUnknown: true}, a: 0.9, b: 0.5, want: false},
		{name: "unknown direction: smaller is not better", c: statstore.Criterion{Name: "c", DirectionUnknown: true}, a: 0.1, b: 0.5, want: false},
		{name: "unknown direction: nothing beats NaN", c: statstore.Criterion{Name: "c", DirectionUnknown: true}, a: 0.1, b: nan, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.Better(tt.a, tt.b); got != tt.want {
				t.Errorf("Better(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestBounds(t *testing.T) {
	b := statstore.Bound
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name     string
		a, b     statstore.Bounds
		equal    bool
		wantJSON string // of a
	}{
		{name: "closed", a: statstore.Bounds{Lower: b(0), Upper: b(1)}, b: statstore.Bounds{Lower: b(0), Upper: b(1)}, equal: true, wantJSON: "[0,1]"},
		{name: "open upper", a: statstore.Bounds{Lower: b(0)}, b: statstore.Bounds{Lower: b(0), Upper: b(nan)}, equal: true, wantJSON: "[0,null]"},
		{name: "NaN is open", a: statstore.Bounds{Lower: b(0), Upper: b(nan)}, b: statstore.Bounds{Lower: b(0)}, equal: true, wantJSON: "[0,null]"},
		{name: "infinite is open", a: statstore.Bounds{Lower: b(-inf), Upper: b(inf)}, b: statstore.Bounds{}, equal: true, wantJSON: "[null,null]"},
		{name: "different upper", a: statstore.Bounds{Lower: b(0), Upper: b(1)}, b: statstore.Bounds{Lower: b(0), Upper: b(2)}, equal: false, wantJSON: "[0,1]"},
		{name: "open and closed differ", a: statstore.Bounds{Lower: b(0), Upper: b(1)}, b: statstore.Bounds{Lower: b(0)}, equal: false, wantJSON: "[0,1]"},
		{name: "sides differ", a: statstore.Bounds{Lower: b(0)}, b: statstore.Bounds{Upper: b(0)}, equal: false, wantJSON: "[0,null]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Equal(tt.b); got != tt.equal {
				t.Errorf("Equal = %v, want %v", got, tt.equal)
			}
			if got := tt.b.Equal(tt.a); got != tt.equal {
				t.Errorf("reversed Equal = %v, want %v", got, tt.equal)
			}
			data, err := json.Marshal(tt.a)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if string(data) != tt.wantJSON {
				t.Errorf("Marshal = %s, want %s", data, tt.wantJSON)
			}
			var back statstore.Bounds
			if err := json.Unmarshal(data, &back); err != nil {
				t.Fatalf("Unmarshal(%s): %v", data, err)
			}
			if !back.Equal(tt.a) {
				t.Errorf("round trip of %s differs", data)
			}
		})
	}
}

func TestGenericCriteria(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{{0, ""}, {1, "criterion_0"}, {3, "criterion_0,criterion_1,criterion_2"}}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got := statstore.GenericCriteria(tt.n)
			m := statstore.Metadata{EvaluationScores: got}
			if strings.Join(m.Criteria(), ",") != tt.want {
				t.Errorf("names = %v, want %s", m.Criteria(), tt.want)
			}
			for _, c := range got {
				if !c.DirectionUnknown || c.HigherIsBetter || c.Bounds.Lower != nil || c.Bounds.Upper != nil {
					t.Errorf("%s = %s, want an unknown direction with open bounds", c.Name, describe(c))
				}
			}
		})
	}
}
