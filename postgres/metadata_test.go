package postgres

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/storetest"
)

func TestMetadataRoundTrip(t *testing.T) {
	inf, negInf := math.Inf(1), math.Inf(-1)
	tests := []struct {
		name string
		m    statstore.Metadata
	}{
		{"zero", statstore.Metadata{}},
		{"storetest", storetest.Metadata()},
		{"binary preset", statstore.Metadata{Datasets: []string{"a"}, Parameters: statstore.GenericParameters(2),
			EvaluationScores: statstore.BinarySegmentationCriteria()}},
		{"typed values", statstore.Metadata{Datasets: []string{"crop ü", "b"}, Parameters: []statstore.ParameterSet{
			{ID: 0, Values: statstore.ParameterValues{{Name: "threshold", Value: 1.0}, {Name: "n", Value: int64(3)}}},
			{ID: 1, Name: "custom", Values: statstore.ParameterValues{{Name: "z", Value: -0.0}, {Name: "k", Value: 7},
				{Name: "ctx", Value: []any{int64(32), 0.5, "s", true, nil, []any{}}}}},
			{ID: 2, Values: statstore.ParameterValues{}},
		}}},
		{"infinite bounds", statstore.Metadata{EvaluationScores: []statstore.Criterion{
			{Name: "c", HigherIsBetter: true, Bounds: statstore.Bounds{Lower: &negInf, Upper: &inf}, StoreBest: true},
			{Name: "d", Bounds: statstore.Bounds{Lower: statstore.Bound(0.1)}},
		}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := encodeMetadata(tc.m)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeMetadata(doc)
			if err != nil {
				t.Fatalf("decode %s: %v", doc, err)
			}
			if !reflect.DeepEqual(got, tc.m) {
				t.Errorf("round trip of %s:\ngot  %#v\nwant %#v", doc, got, tc.m)
			}
			for i, p := range got.Parameters {
				for j, v := range p.Values {
					if f, ok := v.Value.(float64); ok && math.Float64bits(f) != math.Float64bits(tc.m.Parameters[i].Values[j].Value.(float64)) {
						t.Errorf("value %q: got bits %x, want %x", v.Name, math.Float64bits(f), math.Float64bits(tc.m.Parameters[i].Values[j].Value.(float64)))
					}
				}
			}
		})
	}
}

func TestEncodeMetadataRejects(t *testing.T) {
	tests := []struct {
		name string
		m    statstore.Metadata
	}{
		{"invalid UTF-8 dataset", statstore.Metadata{Datasets: []string{"a\xff"}}},
		{"invalid UTF-8 value", statstore.Metadata{Parameters: []statstore.ParameterSet{
			{Values: statstore.ParameterValues{{Name: "s", Value: "\xfe"}}}}}},
		{"unsupported value", statstore.Metadata{Parameters: []statstore.ParameterSet{
			{Values: statstore.ParameterValues{{Name: "m", Value: map[string]int{}}}}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := encodeMetadata(tc.m); !errors.Is(err, statstore.ErrInvalidArgument) {
				t.Errorf("got %v, want ErrInvalidArgument", err)
			}
		})
	}
}

func TestDecodeMetadataRejects(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"not JSON", `{`, "metadata document"},
		{"trailing data", `{"version":1} {}`, "trailing data"},
		{"wrong version", `{"version":2}`, "version 2"},
		{"unknown field", `{"version":1,"extra":1}`, "unknown field"},
		{"untagged number", `{"version":1,"parameters":[{"id":0,"name":"","values":[{"name":"t","value":0.5}]}]}`, "must be tagged"},
		{"unknown tag", `{"version":1,"parameters":[{"id":0,"name":"","values":[{"name":"t","value":{"f32":"1"}}]}]}`, "unknown number tag"},
		{"float not string", `{"version":1,"parameters":[{"id":0,"name":"","values":[{"name":"t","value":{"float64":1}}]}]}`, "want a string"},
		{"bad float", `{"version":1,"parameters":[{"id":0,"name":"","values":[{"name":"t","value":{"float64":"x"}}]}]}`, "invalid syntax"},
		{"bad int", `{"version":1,"parameters":[{"id":0,"name":"","values":[{"name":"t","value":{"int64":1.5}}]}]}`, "invalid syntax"},
		{"bad bound", `{"version":1,"criteria":[{"name":"c","higher_is_better":true,"lower":"low","upper":null,"store_best":false}]}`, "lower bound"},
		{"invalid metadata", `{"version":1,"datasets":["a","a"]}`, "given twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeMetadata([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("decode %s: got %v, want an error containing %q", tc.doc, err, tc.want)
			}
		})
	}
}
