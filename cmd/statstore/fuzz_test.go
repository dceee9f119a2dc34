package main

import (
	"bytes"
	"testing"

	"github.com/statstore/statstore"
)

// FuzzParseTrainingInput checks that put's training decoder never panics
// and that what it accepts is valid training stats.
func FuzzParseTrainingInput(f *testing.F) {
	f.Add([]byte(`{"iteration": 0, "loss": 0.5, "time": 0.1, "run_name": "r"}`))
	f.Add([]byte("{\"iteration\": 0, \"loss\": NaN, \"time\": Infinity}\n{\"iteration\": 5, \"loss\": \"-Infinity\", \"time\": 1}\n"))
	f.Add([]byte(`{"iteration": -1, "loss": 1, "time": 1}`))
	f.Add([]byte("\xef\xbb\xbf{\"iteration\": 1e3, \"loss\": 1, \"time\": 1}"))
	f.Add([]byte(`{"iteration": "3", "loss": 1, "loss": 2, "time": 1}`))
	f.Add([]byte(`{"iteration": 9007199254740992, "loss": 1e999, "time": [1]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		stats, err := parseTrainingInput(bytes.NewReader(data), "stdin", "r")
		if err != nil {
			return
		}
		if err := stats.Validate(); err != nil {
			t.Fatalf("accepted invalid stats: %v", err)
		}
	})
}

// FuzzParseValidationInput checks that put's validation decoder never
// panics and that what it accepts, merged by iteration as a store merges
// it, fits the metadata.
func FuzzParseValidationInput(f *testing.F) {
	meta := statstore.Metadata{Datasets: []string{"a"}, Parameters: statstore.ThresholdParameters(0.5, 0.7), EvaluationScores: statstore.DummyCriteria()}
	f.Add([]byte(`{"iteration": 10, "scores": [[[1, 2], [3, 4]]], "run_name": "r"}`))
	f.Add([]byte("{\"iteration\": 10, \"scores\": [[[NaN, 2], [\"Infinity\", 4]]]}\n{\"iteration\": 5, \"scores\": [[[1, 2], [3, 4]]]}\n"))
	f.Add([]byte(`{"iteration": 10, "scores": [[[1, 2], [3]]]}`))
	f.Add([]byte(`{"iteration": 10, "scores": [[[[1]]]]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		vs, err := parseValidationInput(bytes.NewReader(data), "stdin", "r", meta)
		if err != nil {
			return
		}
		sorted, _ := statstore.SortValidationEntries(vs.Scores)
		merged := &statstore.ValidationScores{Metadata: vs.Metadata, Scores: sorted}
		if err := merged.Validate(); err != nil {
			t.Fatalf("accepted invalid scores: %v", err)
		}
	})
}
