package statstore_test

import (
	"encoding/json"
	"errors"
	"math"
	"testing"

	"github.com/statstore/statstore"
)

// sameBest reports whether two Best values are equal, NaN equal to NaN.
func sameBest(a, b statstore.Best) bool {
	fa, fb := a, b
	fa.Value, fb.Value = 0, 0
	return fa == fb && sameFloat(a.Value, b.Value)
}

func TestBestJSON(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		best statstore.Best
		json string
	}{
		{
			name: "per dataset",
			best: statstore.Best{Dataset: "crop_a", Criterion: "dice", HigherIsBetter: true, Found: true, Iteration: 2000, ParameterID: 7, Parameters: "threshold_0.5", Value: 0.8},
			json: `{"dataset":"crop_a","mean_over_datasets":false,"criterion":"dice","higher_is_better":true,"iteration":2000,"parameter_id":7,"parameters":"threshold_0.5","value":0.8}`,
		},
		{
			name: "mean over datasets",
			best: statstore.Best{Criterion: "voi", Found: true, Iteration: 0, ParameterID: 0, Parameters: "threshold_0.3", Value: 1e-7},
			json: `{"dataset":null,"mean_over_datasets":true,"criterion":"voi","higher_is_better":false,"iteration":0,"parameter_id":0,"parameters":"threshold_0.3","value":1e-07}`,
		},
		{
			name: "all NaN",
			best: statstore.Best{Dataset: "b", Criterion: "undefined", HigherIsBetter: true, Iteration: -1, ParameterID: -1, Value: nan},
			json: `{"dataset":"b","mean_over_datasets":false,"criterion":"undefined","higher_is_better":true,"iteration":null,"parameter_id":null,"parameters":null,"value":"NaN"}`,
		},
		{
			name: "infinite best",
			best: statstore.Best{Dataset: "a", Criterion: "hausdorff", Found: true, Iteration: 100, ParameterID: 1, Parameters: "p", Value: math.Inf(1)},
			json: `{"dataset":"a","mean_over_datasets":false,"criterion":"hausdorff","higher_is_better":false,"iteration":100,"parameter_id":1,"parameters":"p","value":"Infinity"}`,
		},
		{
			name: "minus infinity",
			best: statstore.Best{Dataset: "a", Criterion: "dice", HigherIsBetter: true, Found: true, Iteration: 100, ParameterID: 1, Parameters: "p", Value: math.Inf(-1)},
			json: `{"dataset":"a","mean_over_datasets":false,"criterion":"dice","higher_is_better":true,"iteration":100,"parameter_id":1,"parameters":"p","value":"-Infinity"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := json.Marshal(tt.best)
			if err != nil {
				t.Fatal(err)
			}
			if string(data) != tt.json {
				t.Errorf("got %s\nwant %s", data, tt.json)
			}
			var back statstore.Best
			if err := json.Unmarshal(data, &back); err != nil {
				t.Fatal(err)
			}
			if !sameBest(back, tt.best) {
				t.Errorf("round trip: got %+v, want %+v", back, tt.best)
			}
		})
	}
}

// A Best that was not found is written as all-NaN whatever its fields hold.
func TestBestJSONNotFoundHidesFields(t *testing.T) {
	b := statstore.Best{Dataset: "a", Criterion: "c", Iteration: 5, ParameterID: 3, Parameters: "p", Value: 0.5}
	data, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"dataset":"a","mean_over_datasets":false,"criterion":"c","higher_is_better":false,"iteration":null,"parameter_id":null,"parameters":null,"value":"NaN"}`
	if string(data) != want {
		t.Errorf("got %s, want %s", data, want)
	}
}

func TestBestUnmarshalJSON(t *testing.T) {
	tests := []struct {
		name string
		json string
		want statstore.Best
	}{
		{
			name: "null value is NaN",
			json: `{"dataset":"a","mean_over_datasets":false,"criterion":"c","iteration":null,"value":null}`,
			want: statstore.Best{Dataset: "a", Criterion: "c", Iteration: -1, ParameterID: -1, Value: math.NaN()},
		},
		{
			name: "value ignored when nothing found",
			json: `{"dataset":null,"mean_over_datasets":true,"criterion":"c","iteration":null,"parameter_id":3,"parameters":"p","value":0.5}`,
			want: statstore.Best{Criterion: "c", Iteration: -1, ParameterID: -1, Value: math.NaN()},
		},
		{
			name: "spaces and field order",
			json: ` { "value" : "-Infinity", "iteration": 3, "parameter_id": 2, "parameters": "x", "criterion": "c", "dataset": "d" } `,
			want: statstore.Best{Dataset: "d", Criterion: "c", Found: true, Iteration: 3, ParameterID: 2, Parameters: "x", Value: math.Inf(-1)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got statstore.Best
			if err := json.Unmarshal([]byte(tt.json), &got); err != nil {
				t.Fatal(err)
			}
			if !sameBest(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestBestUnmarshalJSONErrors(t *testing.T) {
	tests := []struct {
		name string
		json string
	}{
		{"not an object", `[1]`},
		{"mean with a dataset", `{"dataset":"a","mean_over_datasets":true,"criterion":"c","iteration":null,"value":"NaN"}`},
		{"dataset without the mean", `{"dataset":null,"mean_over_datasets":false,"criterion":"c","iteration":null,"value":"NaN"}`},
		{"empty dataset", `{"dataset":"","mean_over_datasets":false,"criterion":"c","iteration":null,"value":"NaN"}`},
		{"unknown value string", `{"dataset":null,"mean_over_datasets":true,"criterion":"c","iteration":1,"value":"big"}`},
		{"value of the wrong type", `{"dataset":null,"mean_over_datasets":true,"criterion":"c","iteration":1,"value":true}`},
		{"iteration of the wrong type", `{"dataset":null,"mean_over_datasets":true,"criterion":"c","iteration":"1","value":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b statstore.Best
			err := json.Unmarshal([]byte(tt.json), &b)
			if err == nil {
				t.Fatalf("accepted %s as %+v", tt.json, b)
			}
			var direct statstore.Best
			if err := direct.UnmarshalJSON([]byte(tt.json)); !errors.Is(err, statstore.ErrInvalidArgument) {
				t.Errorf("UnmarshalJSON error %v does not wrap ErrInvalidArgument", err)
			}
		})
	}
}

// The report's lines survive a JSON round trip.
func TestBestReportJSONRoundTrip(t *testing.T) {
	v := directionScores(t)
	r := v.BestReport()
	lines := append(r.PerDataset, r.OverDatasets...)
	data, err := json.Marshal(lines)
	if err != nil {
		t.Fatal(err)
	}
	var back []statstore.Best
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != len(lines) {
		t.Fatalf("got %d lines back, want %d", len(back), len(lines))
	}
	for i := range lines {
		if !sameBest(back[i], lines[i]) {
			t.Errorf("line %d: got %+v, want %+v", i, back[i], lines[i])
		}
	}
}

func FuzzBestUnmarshalJSON(f *testing.F) {
	for _, s := range []string{
		`{"dataset":"crop_a","mean_over_datasets":false,"criterion":"dice","higher_is_better":true,"iteration":2000,"parameter_id":7,"parameters":"threshold_0.5","value":0.8}`,
		`{"dataset":null,"mean_over_datasets":true,"criterion":"voi","iteration":null,"parameter_id":null,"parameters":null,"value":"NaN"}`,
		`{"dataset":"a","criterion":"c","iteration":1,"value":"-Infinity"}`,
		`null`, `{}`, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var b statstore.Best
		if err := b.UnmarshalJSON(data); err != nil {
			if !errors.Is(err, statstore.ErrInvalidArgument) {
				t.Fatalf("error %v does not wrap ErrInvalidArgument", err)
			}
			return
		}
		out, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("accepted %q but cannot write %+v: %v", data, b, err)
		}
		var back statstore.Best
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("cannot read back %s: %v", out, err)
		}
		if !b.Found {
			b.Value = math.NaN()
		}
		if !sameBest(back, b) {
			t.Fatalf("round trip of %q: got %+v, want %+v", data, back, b)
		}
	})
}
