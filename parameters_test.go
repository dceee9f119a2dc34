package statstore_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

func TestParameterSetDisplayName(t *testing.T) {
	tests := []struct {
		name string
		set  statstore.ParameterSet
		want string
	}{
		{name: "explicit name wins", set: statstore.ParameterSet{ID: 1, Name: "best", Values: statstore.ParameterValues{{Name: "t", Value: 0.5}}}, want: "best"},
		{name: "no values", set: statstore.ParameterSet{ID: 4}, want: "parameters_4"},
		{name: "threshold", set: statstore.ThresholdParameters(0.5)[0], want: "threshold_0.5"},
		{name: "several values", set: statstore.ParameterSet{Values: statstore.ParameterValues{
			{Name: "bias", Value: 0.5}, {Name: "context", Value: []any{int64(32), int64(32), int64(32)}}}}, want: "bias_0.5_context_[32, 32, 32]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.set.DisplayName(); got != tt.want {
				t.Errorf("DisplayName() = %q, want %q", got, tt.want)
			}
		})
	}
}

// Display names format values as Python's str() does, so they match the
// names DaCapo gives its parameter sets.
func TestParameterDisplayNameFormatsLikePython(t *testing.T) {
	tests := []struct {
		name  string
		value any
		want  string
	}{
		{name: "float", value: 0.5, want: "0.5"},
		{name: "whole float", value: 1.0, want: "1.0"},
		{name: "negative zero", value: math.Copysign(0, -1), want: "-0.0"},
		{name: "small positional", value: 0.0001, want: "0.0001"},
		{name: "small scientific", value: 0.00001, want: "1e-05"},
		{name: "a million", value: 1e6, want: "1000000.0"},
		{name: "large positional", value: 123456789.125, want: "123456789.125"},
		{name: "1e15", value: 1e15, want: "1000000000000000.0"},
		{name: "1e16 is scientific", value: 1e16, want: "1e+16"},
		{name: "large scientific", value: 1.5e300, want: "1.5e+300"},
		{name: "shortest digits", value: 0.30000000000000004, want: "0.30000000000000004"},
		{name: "int64", value: int64(3), want: "3"},
		{name: "int", value: 7, want: "7"},
		{name: "true", value: true, want: "True"},
		{name: "false", value: false, want: "False"},
		{name: "None", value: nil, want: "None"},
		{name: "string", value: "watershed", want: "watershed"},
		{name: "list", value: []any{int64(1), 2.0, "x"}, want: "[1, 2.0, x]"},
		{name: "empty list", value: []any{}, want: "[]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := statstore.ParameterSet{Values: statstore.ParameterValues{{Name: "v", Value: tt.value}}}
			if got := set.DisplayName(); got != "v_"+tt.want {
				t.Errorf("DisplayName() = %q, want %q", got, "v_"+tt.want)
			}
		})
	}
}

func TestParameterValuesJSON(t *testing.T) {
	tests := []struct {
		name     string
		json     string
		wantJSON string // what Marshal writes back
	}{
		{name: "order kept", json: `{"z": 1, "a": 2, "m": 3}`, wantJSON: `{"z":1,"a":2,"m":3}`},
		{name: "whole floats stay floats", json: `{"t": 3.0, "big": 1e20, "huge": 1e300}`, wantJSON: `{"t":3.0,"big":100000000000000000000.0,"huge":1e+300}`},
		{name: "lists", json: `{"context": [32, 32.0, [1, "x"]]}`, wantJSON: `{"context":[32,32.0,[1,"x"]]}`},
		{name: "empty", json: `{}`, wantJSON: `{}`},
		{name: "unicode keys", json: `{"schwelle_ä": 0.5}`, wantJSON: `{"schwelle_ä":0.5}`},
		{name: "integers beyond int64 become floats", json: `{"n": 12345678901234567890}`, wantJSON: `{"n":12345678901234567000.0}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var vs statstore.ParameterValues
			if err := json.Unmarshal([]byte(tt.json), &vs); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			got, err := json.Marshal(vs)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if string(got) != tt.wantJSON {
				t.Errorf("Marshal = %s, want %s", got, tt.wantJSON)
			}
			var back statstore.ParameterValues
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatalf("Unmarshal(Marshal): %v", err)
			}
			if !back.Equal(vs) {
				t.Errorf("round trip = %v, want %v", back, vs)
			}
			a := statstore.ParameterSet{Values: vs}.DisplayName()
			if b := (statstore.ParameterSet{Values: back}).DisplayName(); a != b {
				t.Errorf("display name after round trip = %q, want %q", b, a)
			}
		})
	}
	t.Run("null", func(t *testing.T) {
		vs := statstore.ParameterValues{{Name: "x", Value: 1.0}}
		if err := json.Unmarshal([]byte(`null`), &vs); err != nil {
			t.Fatalf("Unmarshal(null): %v", err)
		}
		if vs != nil {
			t.Errorf("Unmarshal(null) left %v, want nil", vs)
		}
	})
}

func TestParameterValuesUnmarshalJSONErrors(t *testing.T) {
	tests := []struct {
		name string
		json string
	}{
		{name: "array", json: `[1, 2]`},
		{name: "string", json: `"threshold"`},
		{name: "number", json: `0.5`},
		{name: "empty input", json: ``},
		{name: "repeated key", json: `{"t": 1, "t": 1}`},
		{name: "empty key", json: `{"": 1}`},
		{name: "nested object", json: `{"t": {"u": 1}}`},
		{name: "nested object in a list", json: `{"t": [{"u": 1}]}`},
		{name: "out of range", json: `{"t": -1e999}`},
		{name: "unterminated", json: `{"t": 1`},
		{name: "data after the object", json: `{"t": 1} {"u": 2}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := statstore.ParameterValues{{Name: "keep", Value: 1.0}}
			err := vs.UnmarshalJSON([]byte(tt.json))
			if !errors.Is(err, statstore.ErrInvalidArgument) {
				t.Fatalf("UnmarshalJSON(%s) = %v, want ErrInvalidArgument", tt.json, err)
			}
			if len(vs) != 1 || vs[0].Name != "keep" {
				t.Errorf("values changed on error: %v", vs)
			}
		})
	}
}

func TestParameterValuesValidate(t *testing.T) {
	tests := []struct {
		name    string
		values  statstore.ParameterValues
		wantErr bool
	}{
		{name: "empty"},
		{name: "all supported types", values: statstore.ParameterValues{{Name: "a", Value: 1.5}, {Name: "b", Value: int64(2)}, {Name: "c", Value: 3},
			{Name: "d", Value: "s"}, {Name: "e", Value: true}, {Name: "f", Value: nil}, {Name: "g", Value: []any{1.0, "x", []any{int64(1)}}}}},
		{name: "empty name", values: statstore.ParameterValues{{Name: "", Value: 1.0}}, wantErr: true},
		{name: "repeated name", values: statstore.ParameterValues{{Name: "a", Value: 1.0}, {Name: "a", Value: 2.0}}, wantErr: true},
		{name: "NaN", values: statstore.ParameterValues{{Name: "a", Value: math.NaN()}}, wantErr: true},
		{name: "Inf in a list", values: statstore.ParameterValues{{Name: "a", Value: []any{math.Inf(1)}}}, wantErr: true},
		{name: "map", values: statstore.ParameterValues{{Name: "a", Value: map[string]any{}}}, wantErr: true},
		{name: "float32", values: statstore.ParameterValues{{Name: "a", Value: float32(1)}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.values.Validate()
			if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, statstore.ErrInvalidArgument)) {
				t.Errorf("Validate = %v, want error %v (ErrInvalidArgument)", err, tt.wantErr)
			}
		})
	}
}

func TestParameterValuesGet(t *testing.T) {
	vs := statstore.ParameterValues{{Name: "threshold", Value: 0.5}, {Name: "none", Value: nil}}
	tests := []struct {
		name   string
		lookup string
		want   any
		wantOK bool
	}{
		{name: "present", lookup: "threshold", want: 0.5, wantOK: true},
		{name: "present nil", lookup: "none", want: nil, wantOK: true},
		{name: "absent", lookup: "bias", want: nil, wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := vs.Get(tt.lookup)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Get(%q) = %v, %v; want %v, %v", tt.lookup, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestGenericAndThresholdParameters(t *testing.T) {
	tests := []struct {
		name  string
		sets  []statstore.ParameterSet
		names []string
	}{
		{name: "generic", sets: statstore.GenericParameters(2), names: []string{"parameters_0", "parameters_1"}},
		{name: "thresholds", sets: statstore.ThresholdParameters(0.1, 1, 2.5), names: []string{"threshold_0.1", "threshold_1.0", "threshold_2.5"}},
		{name: "none", sets: statstore.GenericParameters(0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.sets) != len(tt.names) {
				t.Fatalf("got %d sets, want %d", len(tt.sets), len(tt.names))
			}
			for i, s := range tt.sets {
				if s.ID != i || s.DisplayName() != tt.names[i] || s.Name != tt.names[i] {
					t.Errorf("set %d = %+v, want id %d named %s", i, s, i, tt.names[i])
				}
			}
		})
	}
}

func TestParameterSetLabel(t *testing.T) {
	long := statstore.ParameterSet{ID: 1, Name: "WatershedPostProcessorParameters(id=1, bias=0.5, context=(32, 32, 32))",
		Values: statstore.ParameterValues{{Name: "bias", Value: 0.5}, {Name: "context", Value: []any{int64(32), int64(32), int64(32)}}}}
	for _, c := range []struct {
		p    statstore.ParameterSet
		max  int
		want string
	}{
		{statstore.ThresholdParameters(0.5)[0], 10, "threshold=0.5"},
		{statstore.ThresholdParameters(0.5)[0], 20, "threshold_0.5"},
		{long, 30, "bias=0.5, context=[32, 32, 32]"},
		{long, 100, long.Name},
		{statstore.ParameterSet{ID: 3, Name: strings.Repeat("x", 50)}, 10, strings.Repeat("x", 50)},
	} {
		if got := c.p.Label(c.max); got != c.want {
			t.Errorf("Label(%d) of %q = %q, want %q", c.max, c.p.DisplayName(), got, c.want)
		}
	}
}
