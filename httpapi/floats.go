package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/statstore/statstore/internal/jsonnan"
)

// Floats on the wire. Every NaN is written "NaN" by default, the form every
// JSON client understands; that loses NaN payloads and signs, which stores
// keep bit-exactly. A client that wants them back (the Go client) asks with
// the query parameter nan=exact: then a NaN whose bits differ from Go's
// math.NaN() is written "NaN:0x<16 hex digits>". Request bodies may use that
// form at any time.

// exactNaNPrefix starts the exact form of a NaN.
const exactNaNPrefix = "NaN:0x"

// queryExactNaN is the query parameter (with value "exact") asking for the
// exact form of NaNs.
const queryExactNaN = "nan"

// canonicalNaN is the bits of math.NaN(), what a plain "NaN" decodes to.
const canonicalNaN = 0x7ff8000000000001

// appendFloat appends v's JSON form; with exact, a NaN that "NaN" would not
// give back is written with its bits.
func appendFloat(dst []byte, v float64, exact bool) []byte {
	if exact && math.IsNaN(v) {
		if bits := math.Float64bits(v); bits != canonicalNaN {
			dst = append(dst, '"')
			dst = append(dst, exactNaNPrefix...)
			dst = append(dst, fmt.Sprintf("%016x", bits)...)
			return append(dst, '"')
		}
	}
	return jsonnan.AppendFloat(dst, v)
}

// wireFloat is a float64 read from JSON: a number, "NaN", "Infinity",
// "-Infinity" (or Python's bare tokens, after jsonnan.Sanitize) or the exact
// form "NaN:0x...". It marshals in the default form.
type wireFloat float64

// UnmarshalJSON implements json.Unmarshaler.
func (f *wireFloat) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return errors.New("no value, want a number")
	}
	switch c := data[0]; {
	case c == '-' || c >= '0' && c <= '9':
		v, err := strconv.ParseFloat(string(data), 64)
		if err != nil {
			return fmt.Errorf("%s is beyond the range of 64-bit floats (±1.8e308): write a smaller number, or \"Infinity\"", truncate(data))
		}
		*f = wireFloat(v)
		return nil
	case c == '"':
		if hex, ok := bytes.CutPrefix(data[1:], []byte(exactNaNPrefix)); ok {
			v, err := parseExactNaN(strings.TrimSuffix(string(hex), `"`))
			if err != nil {
				return err
			}
			*f = wireFloat(v)
			return nil
		}
		v, err := jsonnan.ParseFloat(data)
		if err != nil {
			return errors.New(strings.TrimPrefix(err.Error(), "jsonnan: "))
		}
		*f = wireFloat(v)
		return nil
	}
	return fmt.Errorf("%s is not a number, want a number or \"NaN\", \"Infinity\", \"-Infinity\"", truncate(data))
}

// truncate shortens a value for a message.
func truncate(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}

// MarshalJSON implements json.Marshaler.
func (f wireFloat) MarshalJSON() ([]byte, error) {
	return jsonnan.AppendFloat(nil, float64(f)), nil
}

// parseExactNaN reads the hex digits of the exact form, which must be a NaN.
func parseExactNaN(hex string) (float64, error) {
	bits, err := strconv.ParseUint(hex, 16, 64)
	if err != nil || len(hex) != 16 {
		return 0, fmt.Errorf("%s%s: want 16 hex digits", exactNaNPrefix, hex)
	}
	v := math.Float64frombits(bits)
	if !math.IsNaN(v) {
		return 0, fmt.Errorf("%s%s is not a NaN, write numbers as numbers", exactNaNPrefix, hex)
	}
	return v, nil
}

// scoresJSON marshals one entry's scores, [dataset][parameter set][criterion].
type scoresJSON struct {
	v     [][][]float64
	exact bool
}

// MarshalJSON implements json.Marshaler.
func (s scoresJSON) MarshalJSON() ([]byte, error) {
	b := []byte{'['}
	for d, ds := range s.v {
		if d > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for p, ps := range ds {
			if p > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			for c, v := range ps {
				if c > 0 {
					b = append(b, ',')
				}
				b = appendFloat(b, v, s.exact)
			}
			b = append(b, ']')
		}
		b = append(b, ']')
	}
	return append(b, ']'), nil
}
