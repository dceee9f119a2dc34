package httpapi

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/statstore/statstore"
)

// This file holds the JSON shapes of the API (see docs/api.md). Floats go
// through jsonnan, so NaN and ±Inf travel as "NaN", "Infinity", "-Infinity".

// trainingEntry is one training entry: DaCapo's document shape without the
// run name (a "run_name" key is accepted and ignored).
type trainingEntry struct {
	Iteration *int       `json:"iteration"`
	Loss      *wireFloat `json:"loss"`
	Time      *wireFloat `json:"time"`
}

// appendTrainingJSON appends {"run": run, "iteration_stats": [...]} to dst,
// with exact NaNs when exact is set. It is written by hand because a full
// history can hold millions of entries.
func appendTrainingJSON(dst []byte, run string, stats []statstore.TrainingIterationStats, exact bool) []byte {
	name, _ := json.Marshal(run) // a string always marshals
	dst = append(dst, `{"run":`...)
	dst = append(dst, name...)
	dst = append(dst, `,"iteration_stats":[`...)
	for i, s := range stats {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendTrainingEntry(dst, s, exact)
	}
	return append(dst, "]}"...)
}

// appendTrainingEntry appends {"iteration": i, "loss": l, "time": t}.
func appendTrainingEntry(dst []byte, s statstore.TrainingIterationStats, exact bool) []byte {
	dst = append(dst, `{"iteration":`...)
	dst = strconv.AppendInt(dst, int64(s.Iteration), 10)
	dst = append(dst, `,"loss":`...)
	dst = appendFloat(dst, s.Loss, exact)
	dst = append(dst, `,"time":`...)
	dst = appendFloat(dst, s.Time, exact)
	return append(dst, '}')
}

// appendNonFinite appends the non-finite losses of a subsample's range:
// {"nan", "pos_inf", "neg_inf", "checked", "complete", "spans": [{"from",
// "to", "loss", "count"}, ...]}, loss being "NaN", "Infinity" or "-Infinity".
func appendNonFinite(dst []byte, r *statstore.TrainingSubsample) []byte {
	dst = append(dst, `{"nan":`...)
	dst = strconv.AppendInt(dst, int64(r.NaN), 10)
	dst = append(dst, `,"pos_inf":`...)
	dst = strconv.AppendInt(dst, int64(r.PosInf), 10)
	dst = append(dst, `,"neg_inf":`...)
	dst = strconv.AppendInt(dst, int64(r.NegInf), 10)
	dst = append(dst, `,"checked":`...)
	dst = strconv.AppendInt(dst, int64(r.Checked), 10)
	dst = append(dst, `,"complete":`...)
	dst = strconv.AppendBool(dst, r.Complete)
	dst = append(dst, `,"spans":[`...)
	for i, sp := range r.NonFinite {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"from":`...)
		dst = strconv.AppendInt(dst, int64(sp.From), 10)
		dst = append(dst, `,"to":`...)
		dst = strconv.AppendInt(dst, int64(sp.To), 10)
		dst = append(dst, `,"loss":`...)
		dst = appendFloat(dst, sp.Loss, false)
		dst = append(dst, `,"count":`...)
		dst = strconv.AppendInt(dst, int64(sp.Count), 10)
		dst = append(dst, '}')
	}
	return append(dst, "]}"...)
}

// nonFiniteWire is "non_finite" as read by the client.
type nonFiniteWire struct {
	NaN      int  `json:"nan"`
	PosInf   int  `json:"pos_inf"`
	NegInf   int  `json:"neg_inf"`
	Checked  int  `json:"checked"`
	Complete bool `json:"complete"`
	Spans    []struct {
		From  int       `json:"from"`
		To    int       `json:"to"`
		Loss  wireFloat `json:"loss"`
		Count int       `json:"count"`
	} `json:"spans"`
}

// criterionWire is a criterion whose bounds may be non-finite; NaN (what
// DaCapo writes for an open bound) and null are open. direction_unknown is
// left out when false.
type criterionWire struct {
	Name             string       `json:"name"`
	HigherIsBetter   bool         `json:"higher_is_better"`
	Bounds           []*wireFloat `json:"bounds"`
	StoreBest        bool         `json:"store_best"`
	DirectionUnknown bool         `json:"direction_unknown,omitempty"`
}

// scoreEntry is one validated checkpoint as read: DaCapo's document shape
// without the run name.
type scoreEntry struct {
	Iteration  *int            `json:"iteration"`
	Scores     [][][]wireFloat `json:"scores"`
	RunName    string          `json:"run_name"`   // DaCapo's document shape; ignored
	Superseded bool            `json:"superseded"` // in answers; a store call clears it
}

// scoreEntryOut is one validated checkpoint as written.
type scoreEntryOut struct {
	Iteration  int        `json:"iteration"`
	Scores     scoresJSON `json:"scores"`
	Superseded bool       `json:"superseded,omitempty"`
}

// validationBody is the body of POST /api/v1/runs/{run}/validation: the
// metadata-file fields plus the scores. "criteria" is a preset name or a list.
type validationBody struct {
	Run        string                   `json:"run"` // in answers; ignored
	Datasets   []string                 `json:"datasets"`
	Parameters []statstore.ParameterSet `json:"parameters"`
	Criteria   json.RawMessage          `json:"criteria"`
	Scores     []scoreEntry             `json:"scores"`
}

// validationResponse is the answer of GET /api/v1/runs/{run}/validation:
// the request shape with the criteria always as a list.
type validationResponse struct {
	Run        string                   `json:"run"`
	Datasets   []string                 `json:"datasets"`
	Parameters []statstore.ParameterSet `json:"parameters"`
	Criteria   []criterionWire          `json:"criteria"`
	Scores     []scoreEntryOut          `json:"scores"`
}

// runWire is one run of GET /api/v1/runs.
type runWire struct {
	Run                  string `json:"run"`
	TrainedUntil         int    `json:"trained_until"`
	TrainingIterations   int    `json:"training_iterations"`
	ValidatedUntil       int    `json:"validated_until"`
	ValidationIterations int    `json:"validation_iterations"`
	// LastWrite is RunInfo.LastWrite in UTC (RFC 3339), omitted when the
	// store cannot tell.
	LastWrite *time.Time `json:"last_write,omitempty"`
}

// runsResponse is the answer of GET /api/v1/runs.
type runsResponse struct {
	Runs []runWire `json:"runs"`
}

// toWireCriteria converts criteria for a response.
func toWireCriteria(cs []statstore.Criterion) []criterionWire {
	out := make([]criterionWire, len(cs))
	for i, c := range cs {
		out[i] = criterionWire{Name: c.Name, HigherIsBetter: c.HigherIsBetter, StoreBest: c.StoreBest, DirectionUnknown: c.DirectionUnknown,
			Bounds: []*wireFloat{floatPtr(c.Bounds.Lower), floatPtr(c.Bounds.Upper)}}
	}
	return out
}

func floatPtr(p *float64) *wireFloat {
	if p == nil {
		return nil
	}
	f := wireFloat(*p)
	return &f
}

// toWireScores converts validation entries for an answer, with exact NaNs
// when exact is set.
func toWireScores(scores []statstore.ValidationIterationScores, exact bool) []scoreEntryOut {
	out := make([]scoreEntryOut, len(scores))
	for i, s := range scores {
		out[i] = scoreEntryOut{Iteration: s.Iteration, Scores: scoresJSON{v: s.Scores, exact: exact}, Superseded: s.Superseded}
	}
	return out
}

// toWireValidation converts a run's validation scores for an answer (or the
// client's request), with exact NaNs when exact is set.
func toWireValidation(run string, v *statstore.ValidationScores, exact bool) validationResponse {
	return validationResponse{
		Run:        run,
		Datasets:   nonNil(v.Datasets),
		Parameters: nonNil(v.Parameters),
		Criteria:   toWireCriteria(v.EvaluationScores),
		Scores:     toWireScores(v.Scores, exact),
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
