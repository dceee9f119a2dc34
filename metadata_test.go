package statstore_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

func TestMetadataUnmarshalJSON(t *testing.T) {
	tests := []struct {
		name  string
		json  string
		check func(t *testing.T, m statstore.Metadata)
	}{
		{
			name: "preset name",
			json: `{"datasets": ["crop_a"], "parameters": [{"id": 0, "values": {"threshold": 0.5}}], "criteria": "binary_segmentation"}`,
			check: func(t *testing.T, m statstore.Metadata) {
				if len(m.EvaluationScores) != 21 || m.EvaluationScores[0].Name != "dice" || m.EvaluationScores[20].Name != "f1_score" {
					t.Errorf("criteria = %v, want the 21 binary segmentation criteria", m.Criteria())
				}
				if got := m.ParameterDisplayNames(); len(got) != 1 || got[0] != "threshold_0.5" {
					t.Errorf("parameter display names = %v, want [threshold_0.5]", got)
				}
			},
		},
		{
			name: "multi-channel preset",
			json: `{"datasets": ["a"], "parameters": [{"id": 0}], "criteria": "multi_channel_binary_segmentation:mito,er"}`,
			check: func(t *testing.T, m statstore.Metadata) {
				if len(m.EvaluationScores) != 42 || m.EvaluationScores[21].Name != "er__dice" {
					t.Errorf("criteria = %v, want 42 starting over at er__dice", m.Criteria())
				}
				if got := m.ParameterDisplayNames(); got[0] != "parameters_0" {
					t.Errorf("display name = %v, want parameters_0", got)
				}
			},
		},
		{
			name: "criteria list with open bounds",
			json: `{"datasets": ["a"], "parameters": [{"id": 3, "name": "custom"}], "criteria": [
				{"name": "dice", "higher_is_better": true, "bounds": [0, 1], "store_best": true},
				{"name": "hausdorff", "higher_is_better": false, "bounds": [0, null]},
				{"name": "nan_upper", "bounds": [0, "NaN"]},
				{"name": "infinite", "bounds": ["-Infinity", "Infinity"]},
				{"name": "no_bounds"},
				{"name": "null_bounds", "bounds": null}]}`,
			check: func(t *testing.T, m statstore.Metadata) {
				c := m.EvaluationScores
				if len(c) != 6 {
					t.Fatalf("got %d criteria, want 6", len(c))
				}
				if !c[0].HigherIsBetter || !c[0].StoreBest || *c[0].Bounds.Lower != 0 || *c[0].Bounds.Upper != 1 {
					t.Errorf("dice = %+v", c[0])
				}
				if c[1].HigherIsBetter || c[1].Bounds.Lower == nil || c[1].Bounds.Upper != nil {
					t.Errorf("hausdorff = %+v, want lower is better with an open upper bound", c[1])
				}
				if c[2].Bounds.Upper != nil {
					t.Errorf("NaN upper bound = %v, want open", *c[2].Bounds.Upper)
				}
				for _, i := range []int{3, 4, 5} {
					if c[i].Bounds.Lower != nil || c[i].Bounds.Upper != nil {
						t.Errorf("%s bounds = %+v, want both open", c[i].Name, c[i].Bounds)
					}
				}
				if m.Parameters[0].DisplayName() != "custom" || m.Parameters[0].ID != 3 {
					t.Errorf("parameter set = %+v", m.Parameters[0])
				}
			},
		},
		{
			name: "parameter values keep their order and types",
			json: `{"datasets": ["a"], "parameters": [{"id": 0, "values": {"zeta": 1, "alpha": 2.5, "context": [32, 32, 32], "mode": "fast", "flag": true, "none": null, "whole": 3.0}}], "criteria": "dummy"}`,
			check: func(t *testing.T, m statstore.Metadata) {
				vs := m.Parameters[0].Values
				wantNames := "zeta,alpha,context,mode,flag,none,whole"
				var names []string
				for _, v := range vs {
					names = append(names, v.Name)
				}
				if strings.Join(names, ",") != wantNames {
					t.Errorf("names = %v, want %s", names, wantNames)
				}
				if got := m.ParameterNames(); strings.Join(got, ",") != wantNames {
					t.Errorf("ParameterNames() = %v, want %s", got, wantNames)
				}
				if v, _ := vs.Get("zeta"); v != int64(1) {
					t.Errorf("zeta = %#v, want int64(1)", v)
				}
				if v, _ := vs.Get("whole"); v != 3.0 {
					t.Errorf("whole = %#v, want float64(3)", v)
				}
				want := "zeta_1_alpha_2.5_context_[32, 32, 32]_mode_fast_flag_True_none_None_whole_3.0"
				if got := m.Parameters[0].DisplayName(); got != want {
					t.Errorf("display name = %q, want %q", got, want)
				}
			},
		},
		{
			name: "unknown keys ignored",
			json: `{"datasets": [], "parameters": [], "criteria": [], "comment": "x"}`,
			check: func(t *testing.T, m statstore.Metadata) {
				if !m.IsZero() {
					t.Errorf("metadata = %+v, want zero", m)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m statstore.Metadata
			if err := json.Unmarshal([]byte(tt.json), &m); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			tt.check(t, m)
			checkMetadataRoundTrip(t, m)
		})
	}
}

// checkMetadataRoundTrip marshals m and reads it back, expecting equal
// metadata with the same display names.
func checkMetadataRoundTrip(t testing.TB, m statstore.Metadata) {
	t.Helper()
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	var back statstore.Metadata
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatalf("Unmarshal(Marshal) of %s: %v", data, err)
	}
	if !back.Equal(m) || !m.Equal(back) {
		t.Errorf("round trip differs: %s; %s", m.Diff(back), data)
	}
	if got, want := strings.Join(back.ParameterDisplayNames(), "|"), strings.Join(m.ParameterDisplayNames(), "|"); got != want {
		t.Errorf("display names after round trip = %s, want %s", got, want)
	}
	again, err := json.Marshal(back)
	if err != nil {
		t.Fatalf("second Marshal: %v", err)
	}
	if string(again) != string(data) {
		t.Errorf("second Marshal = %s, want %s", again, data)
	}
}

func TestMetadataUnmarshalJSONErrors(t *testing.T) {
	tests := []struct {
		name      string
		json      string
		wantInMsg string
	}{
		{name: "not JSON", json: `{"datasets": [`, wantInMsg: "unexpected end of JSON input"},
		{name: "not an object", json: `[1, 2]`, wantInMsg: "want {"},
		{name: "criteria missing", json: `{"datasets": ["a"], "parameters": []}`, wantInMsg: `"criteria" is missing`},
		{name: "criteria null", json: `{"datasets": ["a"], "criteria": null}`, wantInMsg: `"criteria" is missing`},
		{name: "unknown preset", json: `{"datasets": ["a"], "criteria": "semantic"}`, wantInMsg: `unknown criteria preset "semantic"`},
		{name: "multi-channel without channels", json: `{"criteria": "multi_channel_binary_segmentation"}`, wantInMsg: "needs its channels"},
		{name: "criteria a number", json: `{"criteria": 5}`, wantInMsg: "want a preset name or a list"},
		{name: "bounds of three values", json: `{"criteria": [{"name": "x", "bounds": [0, 1, 2]}]}`, wantInMsg: "want 2 values, got 3"},
		{name: "bounds a string", json: `{"criteria": [{"name": "x", "bounds": "open"}]}`, wantInMsg: "want [lower, upper]"},
		{name: "bound a word", json: `{"criteria": [{"name": "x", "bounds": [0, "high"]}]}`, wantInMsg: "bound 1"},
		{name: "lower Infinity", json: `{"criteria": [{"name": "x", "bounds": ["Infinity", null]}]}`, wantInMsg: "bound 0"},
		{name: "lower above upper", json: `{"criteria": [{"name": "x", "bounds": [1, 0]}]}`, wantInMsg: "lower bound 1 is above upper bound 0"},
		{name: "criterion without a name", json: `{"criteria": [{"higher_is_better": true}]}`, wantInMsg: "empty name"},
		{name: "repeated criterion", json: `{"criteria": [{"name": "x"}, {"name": "x"}]}`, wantInMsg: `criterion name "x" given twice`},
		{name: "repeated dataset", json: `{"datasets": ["a", "a"], "criteria": "dummy"}`, wantInMsg: `dataset name "a" given twice`},
		{name: "empty dataset name", json: `{"datasets": [""], "criteria": "dummy"}`, wantInMsg: "dataset 0 has an empty name"},
		{name: "repeated parameter id", json: `{"parameters": [{"id": 1, "name": "a"}, {"id": 1, "name": "b"}], "criteria": "dummy"}`, wantInMsg: "id 1 given twice"},
		{name: "repeated display name", json: `{"parameters": [{"id": 0, "name": "a"}, {"id": 1, "name": "a"}], "criteria": "dummy"}`, wantInMsg: `"a" given twice`},
		{name: "repeated value name", json: `{"parameters": [{"id": 0, "values": {"t": 1, "t": 2}}], "criteria": "dummy"}`, wantInMsg: `"t" given twice`},
		{name: "nested object value", json: `{"parameters": [{"id": 0, "values": {"t": {"a": 1}}}], "criteria": "dummy"}`, wantInMsg: "nested objects"},
		{name: "values an array", json: `{"parameters": [{"id": 0, "values": [0.5]}], "criteria": "dummy"}`, wantInMsg: "want a JSON object"},
		{name: "number out of range", json: `{"parameters": [{"id": 0, "values": {"t": 1e400}}], "criteria": "dummy"}`, wantInMsg: "out of range"},
		{name: "id not an integer", json: `{"parameters": [{"id": "zero"}], "criteria": "dummy"}`, wantInMsg: "metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := statstore.Metadata{Datasets: []string{"untouched"}}
			err := json.Unmarshal([]byte(tt.json), &m)
			if err == nil {
				t.Fatalf("Unmarshal(%s) succeeded with %+v, want an error", tt.json, m)
			}
			if !strings.Contains(err.Error(), tt.wantInMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantInMsg)
			}
			var syntax *json.SyntaxError
			if !errors.Is(err, statstore.ErrInvalidArgument) && !errors.As(err, &syntax) {
				t.Errorf("error %v wraps neither ErrInvalidArgument nor a JSON syntax error", err)
			}
			if len(m.Datasets) != 1 || m.Datasets[0] != "untouched" {
				t.Errorf("metadata changed on error: %+v", m)
			}
		})
	}
}

func TestMetadataMarshalJSON(t *testing.T) {
	tests := []struct {
		name string
		meta statstore.Metadata
		want string
	}{
		{name: "zero", meta: statstore.Metadata{}, want: `{"datasets":[],"parameters":[],"criteria":[]}`},
		{
			name: "thresholds and open bounds",
			meta: statstore.Metadata{
				Datasets:   []string{"a"},
				Parameters: []statstore.ParameterSet{{ID: 0, Values: statstore.ParameterValues{{Name: "threshold", Value: 1.0}}}},
				EvaluationScores: []statstore.Criterion{{Name: "hausdorff", Bounds: statstore.Bounds{
					Lower: statstore.Bound(0), Upper: statstore.Bound(math.NaN())}}},
			},
			want: `{"datasets":["a"],"parameters":[{"id":0,"name":"threshold_1.0","values":{"threshold":1.0}}],` +
				`"criteria":[{"name":"hausdorff","higher_is_better":false,"bounds":[0,null],"store_best":false}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.meta)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("Marshal = %s\nwant %s", got, tt.want)
			}
			checkMetadataRoundTrip(t, tt.meta)
		})
	}
	t.Run("does not modify the receiver", func(t *testing.T) {
		m := statstore.Metadata{Parameters: []statstore.ParameterSet{{ID: 0, Values: statstore.ParameterValues{{Name: "t", Value: 0.5}}}}}
		if _, err := json.Marshal(m); err != nil {
			t.Fatal(err)
		}
		if m.Parameters[0].Name != "" {
			t.Errorf("Marshal set the receiver's parameter name to %q", m.Parameters[0].Name)
		}
	})
}

func TestMetadataEqualAndDiff(t *testing.T) {
	tests := []struct {
		name     string
		change   func(m *statstore.Metadata)
		wantDiff string
	}{
		{name: "same", change: func(*statstore.Metadata) {}, wantDiff: ""},
		{name: "NaN and open bounds are the same", change: func(m *statstore.Metadata) {
			m.EvaluationScores[0].Bounds.Upper = nil
		}, wantDiff: ""},
		{name: "datasets", change: func(m *statstore.Metadata) { m.Datasets = m.Datasets[:1] }, wantDiff: "datasets [crop_a, crop_b] vs [crop_a]"},
		{name: "parameters", change: func(m *statstore.Metadata) { m.Parameters = m.Parameters[:2] }, wantDiff: "parameter sets"},
		{name: "criteria", change: func(m *statstore.Metadata) { m.EvaluationScores = m.EvaluationScores[1:] }, wantDiff: "criteria"},
		{name: "criterion property", change: func(m *statstore.Metadata) { m.EvaluationScores[2].StoreBest = true }, wantDiff: "criterion properties"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := testMetadata()
			a.EvaluationScores[0].Bounds.Upper = statstore.Bound(math.NaN())
			b := testMetadata()
			b.EvaluationScores[0].Bounds.Upper = statstore.Bound(math.NaN())
			tt.change(&b)
			if got := a.Diff(b); !strings.Contains(got, tt.wantDiff) || (tt.wantDiff == "") != (got == "") {
				t.Errorf("Diff = %q, want %q", got, tt.wantDiff)
			}
			if got := a.Equal(b); got != (tt.wantDiff == "") {
				t.Errorf("Equal = %v, want %v", got, tt.wantDiff == "")
			}
		})
	}
}

func TestMetadataValidate(t *testing.T) {
	tests := []struct {
		name    string
		change  func(m *statstore.Metadata)
		wantErr bool
	}{
		{name: "valid", change: func(*statstore.Metadata) {}},
		{name: "zero", change: func(m *statstore.Metadata) { *m = statstore.Metadata{} }},
		{name: "generic", change: func(m *statstore.Metadata) { *m = statstore.GenericMetadata(2, 3, 4) }},
		{name: "empty dataset name", change: func(m *statstore.Metadata) { m.Datasets[0] = "" }, wantErr: true},
		{name: "repeated parameter id", change: func(m *statstore.Metadata) { m.Parameters[1].ID = 0 }, wantErr: true},
		{name: "NaN parameter value", change: func(m *statstore.Metadata) { m.Parameters[0].Values[0].Value = math.NaN() }, wantErr: true},
		{name: "unsupported parameter value", change: func(m *statstore.Metadata) { m.Parameters[0].Values[0].Value = []float64{1} }, wantErr: true},
		{name: "criterion without a name", change: func(m *statstore.Metadata) { m.EvaluationScores[0].Name = "" }, wantErr: true},
		{name: "lower bound +Inf", change: func(m *statstore.Metadata) {
			m.EvaluationScores[0].Bounds = statstore.Bounds{Lower: statstore.Bound(math.Inf(1))}
		}, wantErr: true},
		{name: "upper bound -Inf", change: func(m *statstore.Metadata) {
			m.EvaluationScores[0].Bounds = statstore.Bounds{Upper: statstore.Bound(math.Inf(-1))}
		}, wantErr: true},
		{name: "infinite open bounds", change: func(m *statstore.Metadata) {
			m.EvaluationScores[0].Bounds = statstore.Bounds{Lower: statstore.Bound(math.Inf(-1)), Upper: statstore.Bound(math.Inf(1))}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMetadata()
			tt.change(&m)
			err := m.Validate()
			if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, statstore.ErrInvalidArgument)) {
				t.Errorf("Validate = %v, want error %v (ErrInvalidArgument)", err, tt.wantErr)
			}
			if err == nil {
				checkMetadataRoundTrip(t, m)
			}
		})
	}
}

func TestGenericMetadata(t *testing.T) {
	m := statstore.GenericMetadata(2, 3, 4)
	tests := []struct {
		name string
		got  []string
		want string
	}{
		{name: "datasets", got: m.Datasets, want: "dataset_0,dataset_1"},
		{name: "parameters", got: m.ParameterDisplayNames(), want: "parameters_0,parameters_1,parameters_2"},
		{name: "criteria", got: m.Criteria(), want: "criterion_0,criterion_1,criterion_2,criterion_3"},
		{name: "parameter names", got: m.ParameterNames(), want: "id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(tt.got, ","); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
	if sh := m.Shape(); sh != [3]int{2, 3, 4} {
		t.Errorf("Shape() = %v, want [2 3 4]", sh)
	}
	if m.IsZero() || !(statstore.Metadata{}).IsZero() {
		t.Errorf("IsZero wrong: generic %v, zero %v", m.IsZero(), (statstore.Metadata{}).IsZero())
	}
}
