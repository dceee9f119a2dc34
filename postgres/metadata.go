package postgres

import (
	"bytes"
	"encoding/json"
	"fmt"

	"strconv"
	"unicode/utf8"

	"github.com/statstore/statstore"
)

// metadataVersion is the version of the metadata document below.
const metadataVersion = 1

// The validation metadata document, stored in statstore_runs.validation_metadata:
//
//	{"version": 1,
//	 "datasets": ["crop_a", ...],
//	 "parameters": [{"id": 0, "name": "", "values": [{"name": "threshold", "value": {"float64": "0.5"}}]}],
//	 "criteria": [{"name": "voi", "higher_is_better": false, "lower": "0", "upper": null, "store_best": true}]}
//
// Unlike the metadata file's JSON, it keeps every value exactly: numbers are
// tagged with their Go type ({"float64": "0.5"}, {"int64": 3}, {"int": 3}),
// so 1.0 stays a float64 (and the display name threshold_1.0); floats are
// written with strconv's shortest exact form; value order and the
// difference between absent (null) and empty lists are kept. Strings,
// booleans, null and lists are plain JSON.
type metadataDoc struct {
	Version    int            `json:"version"`
	Datasets   []string       `json:"datasets"`
	Parameters []parameterDoc `json:"parameters"`
	Criteria   []criterionDoc `json:"criteria"`
}

type parameterDoc struct {
	ID     int        `json:"id"`
	Name   string     `json:"name"`
	Values []valueDoc `json:"values"`
}

type valueDoc struct {
	Name  string          `json:"name"`
	Value json.RawMessage `json:"value"`
}

type criterionDoc struct {
	Name           string  `json:"name"`
	HigherIsBetter bool    `json:"higher_is_better"`
	Lower          *string `json:"lower"`
	Upper          *string `json:"upper"`
	StoreBest      bool    `json:"store_best"`
	// DirectionUnknown is left out when false, so documents written
	// before it existed read as they did.
	DirectionUnknown bool `json:"direction_unknown,omitempty"`
}

// encodeMetadata returns m's document. Strings that are not valid UTF-8
// cannot be stored exactly in JSON and are an error.
func encodeMetadata(m statstore.Metadata) ([]byte, error) {
	doc := metadataDoc{Version: metadataVersion, Datasets: m.Datasets}
	for _, d := range m.Datasets {
		if err := checkUTF8("dataset name", d); err != nil {
			return nil, err
		}
	}
	if m.Parameters != nil {
		doc.Parameters = make([]parameterDoc, len(m.Parameters))
	}
	for i, p := range m.Parameters {
		if err := checkUTF8("parameter set name", p.Name); err != nil {
			return nil, err
		}
		pd := parameterDoc{ID: p.ID, Name: p.Name}
		if p.Values != nil {
			pd.Values = make([]valueDoc, len(p.Values))
		}
		for j, v := range p.Values {
			if err := checkUTF8("parameter value name", v.Name); err != nil {
				return nil, err
			}
			raw, err := encodeValue(v.Value)
			if err != nil {
				return nil, fmt.Errorf("parameter set %q, value %q: %w", p.DisplayName(), v.Name, err)
			}
			pd.Values[j] = valueDoc{Name: v.Name, Value: raw}
		}
		doc.Parameters[i] = pd
	}
	if m.EvaluationScores != nil {
		doc.Criteria = make([]criterionDoc, len(m.EvaluationScores))
	}
	for i, c := range m.EvaluationScores {
		if err := checkUTF8("criterion name", c.Name); err != nil {
			return nil, err
		}
		doc.Criteria[i] = criterionDoc{Name: c.Name, HigherIsBetter: c.HigherIsBetter, DirectionUnknown: c.DirectionUnknown,
			Lower: encodeBound(c.Bounds.Lower), Upper: encodeBound(c.Bounds.Upper), StoreBest: c.StoreBest}
	}
	return json.Marshal(doc)
}

func checkUTF8(what, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s %q is not valid UTF-8, which PostgreSQL cannot store: %w", what, s, statstore.ErrInvalidArgument)
	}
	return nil
}

func encodeBound(b *float64) *string {
	if b == nil {
		return nil
	}
	s := strconv.FormatFloat(*b, 'g', -1, 64)
	return &s
}

// encodeValue returns the tagged JSON of a parameter value.
func encodeValue(x any) (json.RawMessage, error) {
	switch x := x.(type) {
	case nil, bool:
		return json.Marshal(x)
	case string:
		if err := checkUTF8("parameter value", x); err != nil {
			return nil, err
		}
		return json.Marshal(x)
	case float64:
		return json.Marshal(map[string]string{"float64": strconv.FormatFloat(x, 'g', -1, 64)})
	case int64:
		return json.Marshal(map[string]int64{"int64": x})
	case int:
		return json.Marshal(map[string]int{"int": x})
	case []any:
		out := make([]json.RawMessage, len(x))
		for i, e := range x {
			raw, err := encodeValue(e)
			if err != nil {
				return nil, err
			}
			out[i] = raw
		}
		return json.Marshal(out)
	}
	return nil, fmt.Errorf("unsupported parameter value of type %T, want a number, string, bool, nil or list: %w", x, statstore.ErrInvalidArgument)
}

// decodeMetadata reads a metadata document. Anything it cannot read is an
// error (the caller reports it as corrupt data).
func decodeMetadata(data []byte) (statstore.Metadata, error) {
	var doc metadataDoc
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return statstore.Metadata{}, fmt.Errorf("metadata document: %w", err)
	}
	if dec.More() {
		return statstore.Metadata{}, fmt.Errorf("metadata document: trailing data after the document")
	}
	if doc.Version != metadataVersion {
		return statstore.Metadata{}, fmt.Errorf("metadata document version %d, want %d", doc.Version, metadataVersion)
	}
	m := statstore.Metadata{Datasets: doc.Datasets}
	if doc.Parameters != nil {
		m.Parameters = make([]statstore.ParameterSet, len(doc.Parameters))
	}
	for i, pd := range doc.Parameters {
		p := statstore.ParameterSet{ID: pd.ID, Name: pd.Name}
		if pd.Values != nil {
			p.Values = make(statstore.ParameterValues, len(pd.Values))
		}
		for j, vd := range pd.Values {
			v, err := decodeValue(vd.Value)
			if err != nil {
				return statstore.Metadata{}, fmt.Errorf("parameter set %d, value %q: %w", i, vd.Name, err)
			}
			p.Values[j] = statstore.ParameterValue{Name: vd.Name, Value: v}
		}
		m.Parameters[i] = p
	}
	if doc.Criteria != nil {
		m.EvaluationScores = make([]statstore.Criterion, len(doc.Criteria))
	}
	for i, cd := range doc.Criteria {
		lower, err := decodeBound(cd.Lower)
		if err != nil {
			return statstore.Metadata{}, fmt.Errorf("criterion %q lower bound: %w", cd.Name, err)
		}
		upper, err := decodeBound(cd.Upper)
		if err != nil {
			return statstore.Metadata{}, fmt.Errorf("criterion %q upper bound: %w", cd.Name, err)
		}
		m.EvaluationScores[i] = statstore.Criterion{Name: cd.Name, HigherIsBetter: cd.HigherIsBetter, DirectionUnknown: cd.DirectionUnknown,
			Bounds: statstore.Bounds{Lower: lower, Upper: upper}, StoreBest: cd.StoreBest}
	}
	if err := m.Validate(); err != nil {
		return statstore.Metadata{}, fmt.Errorf("metadata document: %w", err)
	}
	return m, nil
}

func decodeBound(s *string) (*float64, error) {
	if s == nil {
		return nil, nil
	}
	f, err := strconv.ParseFloat(*s, 64)
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// decodeValue reads a tagged parameter value.
func decodeValue(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, err
	}
	return untag(x)
}

func untag(x any) (any, error) {
	switch x := x.(type) {
	case nil, bool, string:
		return x, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			v, err := untag(e)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case map[string]any:
		if len(x) != 1 {
			return nil, fmt.Errorf("tagged number %v: want one of {\"float64\": \"…\"}, {\"int64\": n}, {\"int\": n}", x)
		}
		for tag, v := range x {
			switch tag {
			case "float64":
				s, ok := v.(string)
				if !ok {
					return nil, fmt.Errorf("float64 value %v: want a string", v)
				}
				f, err := strconv.ParseFloat(s, 64)
				if err != nil {
					return nil, err
				}
				return f, nil
			case "int64", "int":
				n, ok := v.(json.Number)
				if !ok {
					return nil, fmt.Errorf("%s value %v: want an integer", tag, v)
				}
				i, err := n.Int64()
				if err != nil {
					return nil, err
				}
				if tag == "int" {
					if int64(int(i)) != i {
						return nil, fmt.Errorf("int value %d out of range", i)
					}
					return int(i), nil
				}
				return i, nil
			}
			return nil, fmt.Errorf("unknown number tag %q", tag)
		}
	}
	return nil, fmt.Errorf("untagged value %v (%T): numbers must be tagged", x, x)
}
