package cliexport

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/statstore/statstore"
)

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in   string
		want Format
		ok   bool
	}{
		{"csv", CSV, true}, {"CSV", CSV, true}, {" jsonl ", JSONL, true}, {"ndjson", JSONL, true},
		{"parquet", Parquet, true}, {"xlsx", "", false}, {"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFormat(tt.in)
			if got != tt.want || (err == nil) != tt.ok {
				t.Errorf("ParseFormat(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
			}
			if err != nil && !errors.Is(err, statstore.ErrInvalidArgument) {
				t.Errorf("error %v does not wrap ErrInvalidArgument", err)
			}
		})
	}
}

func TestFormatOfPath(t *testing.T) {
	tests := []struct {
		path string
		want Format
		ok   bool
	}{
		{"a.csv", CSV, true}, {"dir/a.JSONL", JSONL, true}, {"a.ndjson", JSONL, true}, {"a.parquet", Parquet, true},
		{"a.pq", Parquet, true}, {"a.txt", "", false}, {"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if got, ok := FormatOfPath(tt.path); got != tt.want || ok != tt.ok {
				t.Errorf("FormatOfPath(%q) = %q, %v; want %q, %v", tt.path, got, ok, tt.want, tt.ok)
			}
		})
	}
}

var sampleTraining = []statstore.TrainingIterationStats{
	{Iteration: 0, Loss: 0.5, Time: 0.1},
	{Iteration: 10, Loss: math.NaN(), Time: math.Inf(1)},
	{Iteration: 20, Loss: math.Inf(-1), Time: 1e-300},
}

func TestWriteTraining(t *testing.T) {
	tests := []struct {
		format Format
		want   string
	}{
		{CSV, "iteration,loss,time\n0,0.5,0.1\n10,NaN,inf\n20,-inf,1e-300\n"},
		{JSONL, `{"iteration":0,"loss":0.5,"time":0.1,"run_name":"r\"1"}` + "\n" +
			`{"iteration":10,"loss":"NaN","time":"Infinity","run_name":"r\"1"}` + "\n" +
			`{"iteration":20,"loss":"-Infinity","time":1e-300,"run_name":"r\"1"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteTraining(&b, tt.format, `r"1`, sampleTraining); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tt.want)
			}
		})
	}
	t.Run("parquet", func(t *testing.T) {
		var b bytes.Buffer
		if err := WriteTraining(&b, Parquet, "r", sampleTraining); err != nil {
			t.Fatal(err)
		}
		rows, err := parquet.Read[TrainingRow](bytes.NewReader(b.Bytes()), int64(b.Len()))
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || rows[1].Iteration != 10 || !math.IsNaN(rows[1].Loss) || !math.IsInf(rows[2].Loss, -1) || rows[0].Time != 0.1 {
			t.Errorf("rows %+v, want the three entries bit-exactly", rows)
		}
	})
	t.Run("unknown format", func(t *testing.T) {
		if err := WriteTraining(&bytes.Buffer{}, "xml", "r", sampleTraining); !errors.Is(err, statstore.ErrInvalidArgument) {
			t.Errorf("error %v, want ErrInvalidArgument", err)
		}
	})
}

func TestWriteValidation(t *testing.T) {
	vs := &statstore.ValidationScores{
		Metadata: statstore.Metadata{Datasets: []string{"a", "b"}, Parameters: statstore.ThresholdParameters(0.5), EvaluationScores: statstore.DummyCriteria()},
		Scores: []statstore.ValidationIterationScores{
			{Iteration: 100, Scores: [][][]float64{{{0.1, 0.2}}, {{math.NaN(), 0.4}}}},
			{Iteration: 200, Scores: [][][]float64{{{0.5, 0.6}}, {{0.7, 0.8}}}, Superseded: true},
		},
	}
	tests := []struct {
		format Format
		want   string
	}{
		{CSV, "iteration,dataset,parameters,criterion,value,superseded\n100,a,threshold_0.5,frizz_level,0.1,false\n100,a,threshold_0.5,blipp_score,0.2,false\n" +
			"100,b,threshold_0.5,frizz_level,NaN,false\n100,b,threshold_0.5,blipp_score,0.4,false\n" +
			"200,a,threshold_0.5,frizz_level,0.5,true\n200,a,threshold_0.5,blipp_score,0.6,true\n" +
			"200,b,threshold_0.5,frizz_level,0.7,true\n200,b,threshold_0.5,blipp_score,0.8,true\n"},
		{JSONL, `{"iteration":100,"scores":[[[0.1,0.2]],[["NaN",0.4]]],"run_name":"r"}` + "\n" +
			`{"iteration":200,"scores":[[[0.5,0.6]],[[0.7,0.8]]],"superseded":true,"run_name":"r"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteValidation(&b, tt.format, "r", vs); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tt.want)
			}
		})
	}
	t.Run("parquet", func(t *testing.T) {
		var b bytes.Buffer
		if err := WriteValidation(&b, Parquet, "r", vs); err != nil {
			t.Fatal(err)
		}
		rows, err := parquet.Read[ValidationRow](bytes.NewReader(b.Bytes()), int64(b.Len()))
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 8 || rows[2].Dataset != "b" || rows[2].Criterion != "frizz_level" || !math.IsNaN(rows[2].Value) || rows[3].Value != 0.4 || rows[3].Superseded || !rows[7].Superseded {
			t.Errorf("rows %+v", rows)
		}
	})
	t.Run("scores that do not fit the metadata", func(t *testing.T) {
		bad := *vs
		bad.Scores = []statstore.ValidationIterationScores{{Iteration: 1, Scores: [][][]float64{{{1, 2, 3}}}}}
		err := WriteValidation(&bytes.Buffer{}, CSV, "r", &bad)
		if !errors.Is(err, statstore.ErrShapeMismatch) || !strings.Contains(err.Error(), "iteration 1") {
			t.Errorf("error %v, want a shape mismatch naming iteration 1", err)
		}
	})
}
