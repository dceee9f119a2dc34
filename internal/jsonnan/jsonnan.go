// Package jsonnan reads and writes JSON whose numbers may be non-finite.
//
// JSON has no NaN or infinities, yet training logs them (a diverging run
// logs NaN). statstore writes them as the strings "NaN", "Infinity" and
// "-Infinity", and reads those strings, ordinary numbers, and the bare
// tokens NaN, Infinity and -Infinity that Python's json.dumps writes.
package jsonnan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// The strings non-finite floats are written as.
const (
	NaN    = "NaN"
	PosInf = "Infinity"
	NegInf = "-Infinity"
)

// Float is a float64 whose JSON form may be non-finite: it marshals NaN and
// ±Inf as the strings "NaN", "Infinity", "-Infinity" and unmarshals numbers
// and those strings (bare tokens are handled by Sanitize).
type Float float64

// MarshalJSON implements json.Marshaler.
func (f Float) MarshalJSON() ([]byte, error) {
	return AppendFloat(nil, float64(f)), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *Float) UnmarshalJSON(data []byte) error {
	v, err := ParseFloat(data)
	if err != nil {
		return err
	}
	*f = Float(v)
	return nil
}

// AppendFloat appends the JSON form of v: a number with the shortest
// representation that round-trips, or a quoted non-finite name.
func AppendFloat(dst []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(dst, `"NaN"`...)
	case math.IsInf(v, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(v, -1):
		return append(dst, `"-Infinity"`...)
	}
	return strconv.AppendFloat(dst, v, 'g', -1, 64)
}

// ParseFloat parses one JSON value as a float: a number, or one of the
// strings "NaN", "Infinity", "-Infinity" (also "inf", "-inf" and "+Infinity"
// are accepted).
func ParseFloat(data []byte) (float64, error) {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return 0, fmt.Errorf("jsonnan: %w", err)
		}
		switch s {
		case NaN, "nan":
			return math.NaN(), nil
		case PosInf, "+Infinity", "inf", "+inf":
			return math.Inf(1), nil
		case NegInf, "-inf":
			return math.Inf(-1), nil
		}
		return 0, fmt.Errorf("jsonnan: string %q is not a number, want a number or \"NaN\", \"Infinity\", \"-Infinity\"", s)
	}
	var v float64
	if err := json.Unmarshal(data, &v); err != nil {
		return 0, fmt.Errorf("jsonnan: %s is not a number: %w", truncate(data), err)
	}
	return v, nil
}

// Sanitize rewrites the bare tokens NaN, Infinity and -Infinity that appear
// outside strings (as Python's json.dumps writes them) into the quoted
// strings Float reads. Everything else is copied unchanged; malformed JSON
// stays malformed, for the decoder to report.
func Sanitize(data []byte) []byte {
	if !bytes.Contains(data, []byte("NaN")) && !bytes.Contains(data, []byte("Infinity")) {
		return data
	}
	out := make([]byte, 0, len(data)+16)
	inString, escaped := false, false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if inString {
			out = append(out, c)
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch {
		case c == '"':
			inString = true
			out = append(out, c)
		case bytes.HasPrefix(data[i:], []byte("NaN")) && boundary(data, i+3):
			out = append(out, `"NaN"`...)
			i += 2
		case bytes.HasPrefix(data[i:], []byte("-Infinity")) && boundary(data, i+9):
			out = append(out, `"-Infinity"`...)
			i += 8
		case bytes.HasPrefix(data[i:], []byte("Infinity")) && boundary(data, i+8):
			out = append(out, `"Infinity"`...)
			i += 7
		default:
			out = append(out, c)
		}
	}
	return out
}

// boundary reports whether a token ending at i is not followed by more of a word.
func boundary(data []byte, i int) bool {
	if i >= len(data) {
		return true
	}
	c := data[i]
	return !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z')
}

// Unmarshal is json.Unmarshal after Sanitize.
func Unmarshal(data []byte, v any) error {
	return json.Unmarshal(Sanitize(data), v)
}

func truncate(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}
