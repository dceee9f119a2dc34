package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/jsonnan"
)

// The decoders of request bodies (also used by the client for the matching
// responses). They never panic: bad input is an error with code
// malformed_json (not JSON, or JSON of the wrong types) or invalid_argument
// (well-formed but missing or invalid fields). Order, duplicates and shapes
// are left to the store, which checks them with the same rules for every
// backend.

const (
	trainingShape   = `{"iteration_stats": [{"iteration": 0, "loss": 0.5, "time": 0.1}, ...]}`
	validationShape = `{"datasets": [...], "parameters": [...], "criteria": "preset" or [...], "scores": [{"iteration": 0, "scores": [[[...]]]}, ...]}`
)

// unmarshalBody decodes data (JSON, with Python's bare NaN/Infinity tokens
// allowed) into v, or returns a malformed_json error naming the expected shape.
func unmarshalBody(data []byte, v any, shape string) error {
	if err := jsonnan.Unmarshal(data, v); err != nil {
		return newRequestError(codeMalformedJSON, "malformed JSON request body: %s; want %s", jsonMessage(err), shape)
	}
	return nil
}

// jsonMessage makes a decoding error readable: it names the byte offset of a
// syntax error and the field of a type error.
func jsonMessage(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("%v (at byte offset %d)", syn, syn.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("field %q holds a JSON %s, want %s", typ.Field, typ.Value, typ.Type)
		}
		return fmt.Sprintf("a JSON %s where %s was expected", typ.Value, typ.Type)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// decodeTraining decodes a training body into the stats of one
// StoreTrainingStats call.
func decodeTraining(data []byte) (*statstore.TrainingStats, error) {
	var body trainingBody
	if err := unmarshalBody(data, &body, trainingShape); err != nil {
		return nil, err
	}
	stats := &statstore.TrainingStats{IterationStats: make([]statstore.TrainingIterationStats, len(body.IterationStats))}
	for i, e := range body.IterationStats {
		var missing []string
		if e.Iteration == nil {
			missing = append(missing, `"iteration"`)
		}
		if e.Loss == nil {
			missing = append(missing, `"loss"`)
		}
		if e.Time == nil {
			missing = append(missing, `"time"`)
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("iteration_stats[%d] has no %s, want %s: %w", i, strings.Join(missing, " or "), trainingShape, statstore.ErrInvalidArgument)
		}
		stats.IterationStats[i] = statstore.TrainingIterationStats{Iteration: *e.Iteration, Loss: float64(*e.Loss), Time: float64(*e.Time)}
	}
	return stats, nil
}

// decodeValidation decodes a validation body into the scores of one
// StoreValidationIterationScores call. The metadata is validated; the scores
// are checked by the store.
func decodeValidation(data []byte) (*statstore.ValidationScores, error) {
	var body validationBody
	if err := unmarshalBody(data, &body, validationShape); err != nil {
		return nil, err
	}
	crit, err := decodeCriteria(body.Criteria)
	if err != nil {
		return nil, err
	}
	meta := statstore.Metadata{Datasets: emptyToNil(body.Datasets), Parameters: emptyToNil(body.Parameters), EvaluationScores: crit}
	if err := meta.Validate(); err != nil {
		return nil, fmt.Errorf("validation metadata: %w", err)
	}
	out := &statstore.ValidationScores{Metadata: meta, Scores: make([]statstore.ValidationIterationScores, len(body.Scores))}
	for i, e := range body.Scores {
		if e.Iteration == nil {
			return nil, fmt.Errorf("scores[%d] has no \"iteration\", want {\"iteration\": 0, \"scores\": [[[...]]]}: %w", i, statstore.ErrInvalidArgument)
		}
		out.Scores[i] = statstore.ValidationIterationScores{Iteration: *e.Iteration, Scores: fromWireScores(e.Scores)}
	}
	return out, nil
}

// decodeCriteria reads "criteria": a preset name or a list of criteria.
func decodeCriteria(raw json.RawMessage) ([]statstore.Criterion, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, fmt.Errorf("\"criteria\" is missing: want a preset name (%s) or a list of {\"name\", \"higher_is_better\", \"bounds\", \"store_best\"}: %w",
			strings.Join(statstore.PresetNames(), ", "), statstore.ErrInvalidArgument)
	}
	var preset string
	if json.Unmarshal(raw, &preset) == nil {
		c, err := statstore.Preset(preset)
		if err != nil {
			return nil, fmt.Errorf("criteria: %w", err)
		}
		return c, nil
	}
	var list []criterionWire
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, newRequestError(codeMalformedJSON, "malformed JSON request body: criteria: %s; want a preset name or a list of {\"name\", \"higher_is_better\", \"bounds\": [lower, upper], \"store_best\"}", jsonMessage(err))
	}
	out := make([]statstore.Criterion, len(list))
	for i, c := range list {
		if len(c.Bounds) != 0 && len(c.Bounds) != 2 {
			return nil, fmt.Errorf("criterion %q: bounds hold %d values, want [lower, upper] (null or NaN for an open bound): %w", c.Name, len(c.Bounds), statstore.ErrInvalidArgument)
		}
		out[i] = statstore.Criterion{Name: c.Name, HigherIsBetter: c.HigherIsBetter, StoreBest: c.StoreBest}
		if len(c.Bounds) == 2 {
			out[i].Bounds = statstore.Bounds{Lower: openBound(c.Bounds[0]), Upper: openBound(c.Bounds[1])}
		}
	}
	return emptyToNil(out), nil
}

// openBound maps null and NaN (DaCapo's open bound) to an open bound.
func openBound(f *wireFloat) *float64 {
	if f == nil || math.IsNaN(float64(*f)) {
		return nil
	}
	v := float64(*f)
	return &v
}

func fromWireScores(w [][][]wireFloat) [][][]float64 {
	if w == nil {
		return nil
	}
	out := make([][][]float64, len(w))
	for d, ds := range w {
		out[d] = make([][]float64, len(ds))
		for p, ps := range ds {
			row := make([]float64, len(ps))
			for c, v := range ps {
				row[c] = float64(v)
			}
			out[d][p] = row
		}
	}
	return out
}

func emptyToNil[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}
