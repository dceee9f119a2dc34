package cliexport_test

import (
	"math"
	"os"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/cliexport"
)

// Validation scores in long form, one row per score, for pandas or polars;
// the second checkpoint was superseded by a resumed training.
func ExampleWriteValidation() {
	vs := &statstore.ValidationScores{
		Metadata: statstore.Metadata{Datasets: []string{"crop_a"}, Parameters: statstore.ThresholdParameters(0.5), EvaluationScores: statstore.DummyCriteria()},
		Scores: []statstore.ValidationIterationScores{
			{Iteration: 1000, Scores: [][][]float64{{{0.8, math.NaN()}}}},
			{Iteration: 2000, Scores: [][][]float64{{{0.9, 0.1}}}, Superseded: true},
		},
	}
	if err := cliexport.WriteValidation(os.Stdout, cliexport.CSV, "my_run", vs); err != nil {
		panic(err)
	}
	// Output:
	// iteration,dataset,parameters,criterion,value,superseded
	// 1000,crop_a,threshold_0.5,frizz_level,0.8,false
	// 1000,crop_a,threshold_0.5,blipp_score,NaN,false
	// 2000,crop_a,threshold_0.5,frizz_level,0.9,true
	// 2000,crop_a,threshold_0.5,blipp_score,0.1,true
}

// Training stats as DaCapo documents, one JSON object per line; a
// non-finite value is the string "NaN", "Infinity" or "-Infinity".
func ExampleWriteTraining() {
	stats := []statstore.TrainingIterationStats{{Iteration: 0, Loss: 0.7, Time: 0.25}, {Iteration: 1, Loss: math.NaN(), Time: 0.5}}
	if err := cliexport.WriteTraining(os.Stdout, cliexport.JSONL, "my_run", stats); err != nil {
		panic(err)
	}
	// Output:
	// {"iteration":0,"loss":0.7,"time":0.25,"run_name":"my_run"}
	// {"iteration":1,"loss":"NaN","time":0.5,"run_name":"my_run"}
}
