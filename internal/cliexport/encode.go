package cliexport

import (
	"encoding/json"
	"math"
	"strconv"
)

// csvFloat formats a float for CSV: the shortest round-tripping decimal, or
// NaN, inf, -inf.
func csvFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// quote returns s as a JSON string.
func quote(s string) []byte {
	b, err := json.Marshal(s)
	if err != nil { // a string always marshals; invalid UTF-8 is replaced
		return []byte(`""`)
	}
	return b
}

func appendComma(b []byte, i int) []byte {
	if i > 0 {
		return append(b, ',')
	}
	return b
}
