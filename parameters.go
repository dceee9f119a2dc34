package statstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// ParameterSet is one set of post-processing parameters tried at validation
// (axis 1 of the scores): an integer id, named values in order (for example
// threshold=0.5, or bias=0.5 and context=[32,32,32]) and a display name.
type ParameterSet struct {
	ID     int             `json:"id"`
	Name   string          `json:"name"`
	Values ParameterValues `json:"values"`
}

// ParameterValue is one named value of a parameter set. Value holds what JSON
// can: float64, int64, string, bool, nil, or []any of those.
type ParameterValue struct {
	Name  string
	Value any
}

// ParameterValues are a parameter set's values in order. In JSON they are an
// object whose key order is kept.
type ParameterValues []ParameterValue

// DisplayName returns p.Name, or when it is empty the name DaCapo's str()
// gives: "<name>_<value>" joined by "_" (e.g. "threshold_0.5"), or
// "parameters_<id>" for a set without values.
func (p ParameterSet) DisplayName() string {
	if p.Name != "" {
		return p.Name
	}
	if len(p.Values) == 0 {
		return fmt.Sprintf("parameters_%d", p.ID)
	}
	parts := make([]string, len(p.Values))
	for i, v := range p.Values {
		parts[i] = v.Name + "_" + pythonStr(v.Value)
	}
	return strings.Join(parts, "_")
}

// Get returns the value named name.
func (vs ParameterValues) Get(name string) (any, bool) {
	for _, v := range vs {
		if v.Name == name {
			return v.Value, true
		}
	}
	return nil, false
}

// Validate reports values with empty or repeated names or values JSON cannot hold.
func (vs ParameterValues) Validate() error {
	seen := map[string]bool{}
	for _, v := range vs {
		if v.Name == "" {
			return invalid("parameter value with an empty name")
		}
		if seen[v.Name] {
			return invalid("parameter value %q given twice", v.Name)
		}
		seen[v.Name] = true
		if err := validParamValue(v.Value); err != nil {
			return fmt.Errorf("parameter value %q: %w", v.Name, err)
		}
	}
	return nil
}

func validParamValue(x any) error {
	switch x := x.(type) {
	case nil, bool, string, int64, int:
		return nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return invalid("non-finite parameter value %v", x)
		}
		return nil
	case []any:
		for _, e := range x {
			if err := validParamValue(e); err != nil {
				return err
			}
		}
		return nil
	}
	return invalid("unsupported parameter value of type %T, want a number, string, bool or list", x)
}

// Equal reports whether two value lists are the same, in order.
func (vs ParameterValues) Equal(o ParameterValues) bool {
	a, errA := json.Marshal(vs)
	b, errB := json.Marshal(o)
	return errA == nil && errB == nil && bytes.Equal(a, b)
}

// MarshalJSON writes the values as a JSON object in order.
func (vs ParameterValues) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, v := range vs {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := json.Marshal(v.Name)
		if err != nil {
			return nil, err
		}
		val, err := marshalParamValue(v.Value)
		if err != nil {
			return nil, fmt.Errorf("parameter value %q: %w", v.Name, err)
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(val)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// marshalParamValue writes x as JSON, floats with a decimal point or an
// exponent (3.0, not 3, as Python's json writes them) so that they read back
// as floats and keep their display name.
func marshalParamValue(x any) ([]byte, error) {
	switch x := x.(type) {
	case float64:
		b, err := json.Marshal(x)
		if err == nil && !bytes.ContainsAny(b, ".eE") {
			b = append(b, ".0"...)
		}
		return b, err
	case []any:
		var buf bytes.Buffer
		buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			b, err := marshalParamValue(e)
			if err != nil {
				return nil, err
			}
			buf.Write(b)
		}
		buf.WriteByte(']')
		return buf.Bytes(), nil
	}
	return json.Marshal(x)
}

// UnmarshalJSON reads a JSON object keeping its key order. Integral numbers
// become int64, others float64.
func (vs *ParameterValues) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return invalid("parameter values: %v", err)
	}
	if tok == nil {
		*vs = nil
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return invalid("parameter values: want a JSON object of name: value, got %s", data)
	}
	var out ParameterValues
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return invalid("parameter values: %v", err)
		}
		var raw any
		if err := dec.Decode(&raw); err != nil {
			return invalid("parameter value %v: %v", kt, err)
		}
		v, err := fromJSONNumber(raw)
		if err != nil {
			return fmt.Errorf("parameter value %v: %w", kt, err)
		}
		out = append(out, ParameterValue{Name: kt.(string), Value: v})
	}
	if _, err := dec.Token(); err != nil {
		return invalid("parameter values: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalid("parameter values: data after the object in %s", data)
	}
	if err := out.Validate(); err != nil {
		return err
	}
	*vs = out
	return nil
}

func fromJSONNumber(x any) (any, error) {
	switch x := x.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, nil
		}
		f, err := x.Float64()
		if err != nil {
			return nil, invalid("number %s out of range", x)
		}
		return f, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			v, err := fromJSONNumber(e)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case map[string]any:
		return nil, invalid("nested objects are not supported as parameter values")
	}
	return x, nil
}

// pythonStr formats a value the way Python's str() does, so display names
// match DaCapo's: 0.5 -> "0.5", 1.0 -> "1.0", [32, 32] -> "[32, 32]".
func pythonStr(x any) string {
	switch x := x.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case float64:
		return pythonFloat(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case string:
		return x
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pythonStr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(x)
}

// pythonFloat formats x as Python's repr does: the shortest digits that read
// back as x, in positional notation with at least one decimal for decimal
// exponents -4 to 15 (1000000.0, 0.0001) and in scientific notation
// otherwise (1e+16, 1e-05); inf and nan for the non-finite values.
func pythonFloat(x float64) string {
	switch {
	case math.IsNaN(x):
		return "nan"
	case math.IsInf(x, 1):
		return "inf"
	case math.IsInf(x, -1):
		return "-inf"
	}
	sci := strconv.FormatFloat(x, 'e', -1, 64)
	exp, err := strconv.Atoi(sci[strings.IndexByte(sci, 'e')+1:])
	if err != nil || exp < -4 || exp >= 16 {
		return sci
	}
	s := strconv.FormatFloat(x, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// GenericParameters returns n parameter sets with ids 0..n-1 named
// parameters_0 ... parameters_<n-1>: what a store uses when no names are known.
func GenericParameters(n int) []ParameterSet {
	out := make([]ParameterSet, n)
	for i := range out {
		out[i] = ParameterSet{ID: i, Name: fmt.Sprintf("parameters_%d", i)}
	}
	return out
}

// ThresholdParameters returns one parameter set per threshold, with ids from
// 0, a single value "threshold" and display names like "threshold_0.5".
func ThresholdParameters(thresholds ...float64) []ParameterSet {
	out := make([]ParameterSet, len(thresholds))
	for i, t := range thresholds {
		p := ParameterSet{ID: i, Values: ParameterValues{{Name: "threshold", Value: t}}}
		p.Name = p.DisplayName()
		out[i] = p
	}
	return out
}

// Label returns a name for the parameter set that fits a table column of
// about max characters without losing a value: the display name when it
// fits (or when there are no values), else the values alone, "name=value"
// joined by ", " (e.g. "bias=0.5, context=[32, 32, 32]" for a long class
// repr), however long they are.
func (p ParameterSet) Label(max int) string {
	name := p.DisplayName()
	if len(name) <= max || len(p.Values) == 0 {
		return name
	}
	parts := make([]string, len(p.Values))
	for i, v := range p.Values {
		parts[i] = v.Name + "=" + pythonStr(v.Value)
	}
	return strings.Join(parts, ", ")
}
