package statstore

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
)

// bestJSON is the JSON form of a Best, the one shape of a best report line
// that `statstore best --json` prints and GET /api/v1/runs/{run}/best
// answers (docs/api.md).
type bestJSON struct {
	Dataset          *string   `json:"dataset"`
	MeanOverDatasets bool      `json:"mean_over_datasets"`
	Criterion        string    `json:"criterion"`
	HigherIsBetter   bool      `json:"higher_is_better"`
	DirectionUnknown bool      `json:"direction_unknown,omitempty"`
	Iteration        *int      `json:"iteration"`
	ParameterID      *int      `json:"parameter_id"`
	Parameters       *string   `json:"parameters"`
	Value            bestValue `json:"value"`
}

// MarshalJSON writes b as
//
//	{"dataset", "mean_over_datasets", "criterion", "higher_is_better",
//	 "iteration", "parameter_id", "parameters", "value"}
//
// dataset is null (and mean_over_datasets true) for the mean over datasets;
// iteration, parameter_id and parameters (the display name) are null when
// nothing was found (every value NaN); value is a number, or one of the
// strings "NaN", "Infinity", "-Infinity" for a non-finite value ("NaN" when
// nothing was found). A line of a criterion of unknown direction adds
// "direction_unknown": true (and has nothing found).
func (b Best) MarshalJSON() ([]byte, error) {
	w := bestJSON{
		MeanOverDatasets: b.Dataset == "",
		Criterion:        b.Criterion,
		HigherIsBetter:   b.HigherIsBetter,
		DirectionUnknown: b.DirectionUnknown,
		Value:            bestValue(math.NaN()),
	}
	if b.Dataset != "" {
		w.Dataset = &b.Dataset
	}
	if b.Found {
		w.Iteration, w.ParameterID, w.Parameters = &b.Iteration, &b.ParameterID, &b.Parameters
		w.Value = bestValue(b.Value)
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the shape MarshalJSON writes. A null iteration means
// nothing was found: Found false, Iteration and ParameterID -1, Value NaN.
// dataset must be null exactly when mean_over_datasets is true; value may
// also be null (read as NaN). Errors wrap ErrInvalidArgument.
func (b *Best) UnmarshalJSON(data []byte) error {
	var w bestJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return invalid("best report line: %v (want {\"dataset\", \"mean_over_datasets\", \"criterion\", \"higher_is_better\", \"iteration\", \"parameter_id\", \"parameters\", \"value\"})", err)
	}
	if w.MeanOverDatasets != (w.Dataset == nil) {
		return invalid("best report line: mean_over_datasets is %v but dataset is %s, want a null dataset exactly for the mean over datasets", w.MeanOverDatasets, orNull(w.Dataset))
	}
	if w.Dataset != nil && *w.Dataset == "" {
		return invalid("best report line: dataset is empty, want a dataset name or null for the mean over datasets")
	}
	out := Best{Criterion: w.Criterion, HigherIsBetter: w.HigherIsBetter, DirectionUnknown: w.DirectionUnknown, Iteration: -1, ParameterID: -1, Value: math.NaN()}
	if w.Dataset != nil {
		out.Dataset = *w.Dataset
	}
	if w.Iteration != nil {
		out.Found, out.Iteration, out.Value = true, *w.Iteration, float64(w.Value)
		if w.ParameterID != nil {
			out.ParameterID = *w.ParameterID
		}
		if w.Parameters != nil {
			out.Parameters = *w.Parameters
		}
	}
	*b = out
	return nil
}

// orNull quotes *s, or says null.
func orNull(s *string) string {
	if s == nil {
		return "null"
	}
	return strconv.Quote(*s)
}

// bestValue is a float64 whose JSON form may be non-finite, spelled as
// package internal/jsonnan spells it: "NaN", "Infinity", "-Infinity".
type bestValue float64

// MarshalJSON implements json.Marshaler.
func (v bestValue) MarshalJSON() ([]byte, error) {
	switch x := float64(v); {
	case math.IsNaN(x):
		return []byte(`"NaN"`), nil
	case math.IsInf(x, 1):
		return []byte(`"Infinity"`), nil
	case math.IsInf(x, -1):
		return []byte(`"-Infinity"`), nil
	default:
		return strconv.AppendFloat(nil, x, 'g', -1, 64), nil
	}
}

// UnmarshalJSON implements json.Unmarshaler: a number, one of the strings
// "NaN", "Infinity", "-Infinity", or null (NaN).
func (v *bestValue) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		switch s {
		case "NaN":
			*v = bestValue(math.NaN())
		case "Infinity":
			*v = bestValue(math.Inf(1))
		case "-Infinity":
			*v = bestValue(math.Inf(-1))
		default:
			return invalid("value %q is not a number, want a number or \"NaN\", \"Infinity\", \"-Infinity\"", s)
		}
		return nil
	}
	if string(data) == "null" {
		*v = bestValue(math.NaN())
		return nil
	}
	var x float64
	if err := json.Unmarshal(data, &x); err != nil {
		return err
	}
	*v = bestValue(x)
	return nil
}
