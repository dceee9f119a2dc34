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
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf8"
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
// are accepted). Its errors say what the value is and that a number was
// wanted, quoting at most MaxExcerpt bytes of it.
func ParseFloat(data []byte) (float64, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return 0, errors.New("no value, want a number")
	}
	switch data[0] {
	case '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return 0, fmt.Errorf("malformed string %s, want a number", Excerpt(string(data)))
		}
		if v, ok := ParseNonFinite(s); ok {
			return v, nil
		}
		return 0, fmt.Errorf(`the string "%s" is not a number, want a number or "NaN", "Infinity", "-Infinity"`, Excerpt(s))
	case '[':
		return 0, errors.New("an array is not a number, want a number")
	case '{':
		return 0, errors.New("an object is not a number, want a number")
	case 't', 'f', 'n':
		return 0, fmt.Errorf("%s is not a number, want a number", Excerpt(string(data)))
	}
	var v float64
	if err := json.Unmarshal(data, &v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return 0, fmt.Errorf("%s is outside the range of a 64-bit float (magnitude up to 1.8e308)", Excerpt(string(data)))
		}
		return 0, fmt.Errorf("%s is not a number, want a number", Excerpt(string(data)))
	}
	return v, nil
}

// ParseNonFinite reads the names of the non-finite floats: "NaN" (or
// "nan"), "Infinity" (or "+Infinity", "inf", "+inf") and "-Infinity" (or
// "-inf"). ok is false for anything else.
func ParseNonFinite(s string) (v float64, ok bool) {
	switch s {
	case NaN, "nan":
		return math.NaN(), true
	case PosInf, "+Infinity", "inf", "+inf":
		return math.Inf(1), true
	case NegInf, "-inf":
		return math.Inf(-1), true
	}
	return 0, false
}

// MaxExcerpt is how many bytes of a value Excerpt keeps.
const MaxExcerpt = 64

// Excerpt returns s for an error message: whole when it has at most
// MaxExcerpt bytes, else its first MaxExcerpt bytes (cut at a character
// boundary), an ellipsis and the length, so that a 50 MB value costs a
// line, not 50 MB of terminal.
func Excerpt(s string) string {
	if len(s) <= MaxExcerpt {
		return s
	}
	cut := MaxExcerpt
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes)", s[:cut], len(s))
}

// Sanitize rewrites the bare tokens NaN, Infinity and -Infinity that appear
// outside strings (as Python's json.dumps writes them) into the quoted
// strings Float reads. Everything else is copied unchanged; malformed JSON
// stays malformed, for the decoder to report.
func Sanitize(data []byte) []byte {
	if !bytes.Contains(data, []byte("NaN")) && !bytes.Contains(data, []byte("Infinity")) {
		return data
	}
	out, _ := io.ReadAll(NewReader(bytes.NewReader(data))) // a bytes.Reader does not fail
	return out
}

// OriginalOffset maps a byte offset in Sanitize(data) back to the offset
// in data of the same byte (for a byte inside a token Sanitize quoted, the
// token's offset), so that an error found in the sanitized text can name
// the place in what the user wrote.
func OriginalOffset(data []byte, off int64) int64 {
	var in, out int64
	inString, escaped := false, false
	for int(in) < len(data) {
		c := data[in]
		consumed, produced := int64(1), int64(1)
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		} else {
			i := int(in)
			switch {
			case c == '"':
				inString = true
			case bytes.HasPrefix(data[i:], []byte("NaN")) && boundary(data, i+3):
				consumed = 3
			case bytes.HasPrefix(data[i:], []byte("-Infinity")) && boundary(data, i+9):
				consumed = 9
			case bytes.HasPrefix(data[i:], []byte("Infinity")) && boundary(data, i+8):
				consumed = 8
			}
			if consumed > 1 {
				produced = consumed + 2
			}
		}
		if off < out+produced {
			if consumed == 1 {
				return in
			}
			return in + max(0, min(off-out-1, consumed-1))
		}
		in += consumed
		out += produced
	}
	return in + (off - out)
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
