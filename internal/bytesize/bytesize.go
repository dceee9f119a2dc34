// Package bytesize parses and formats byte counts as people write them:
// "4GiB", "512 MiB", "1.5G", "100000".
package bytesize

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// Binary units, which Parse also accepts with the SI prefixes (G, GB, g):
// memory is counted in powers of 1024.
const (
	KiB int64 = 1 << (10 * (iota + 1))
	MiB
	GiB
	TiB
)

// ErrSyntax is returned by Parse for text that is not a byte count.
var ErrSyntax = errors.New("not a byte count")

// Parse reads a non-negative byte count: a number, optionally fractional,
// followed by an optional unit B, K/KB/KiB, M/MB/MiB, G/GB/GiB or
// T/TB/TiB (case-insensitive, all powers of 1024), with or without a space
// between. A bare number is bytes.
func Parse(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return !unicode.IsDigit(r) && r != '.' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.TrimSpace(t[i:])
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" || f < 0 {
		return 0, fmt.Errorf("%q: %w (want e.g. 4GiB, 512MiB or a number of bytes)", s, ErrSyntax)
	}
	mult := int64(1)
	switch strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(unit, "B"), "b")) {
	case "":
	case "k", "ki":
		mult = KiB
	case "m", "mi":
		mult = MiB
	case "g", "gi":
		mult = GiB
	case "t", "ti":
		mult = TiB
	default:
		return 0, fmt.Errorf("%q: unknown unit %q: %w (want B, KiB, MiB, GiB or TiB)", s, unit, ErrSyntax)
	}
	v := f * float64(mult)
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("%q: too large: %w", s, ErrSyntax)
	}
	return int64(v), nil
}

// Format writes n with the largest binary unit that keeps it at 1 or more,
// to three significant digits: 512 B, 1.5 KiB, 64 MiB, 4 GiB.
func Format(n int64) string {
	units := []struct {
		size int64
		name string
	}{{TiB, "TiB"}, {GiB, "GiB"}, {MiB, "MiB"}, {KiB, "KiB"}}
	for _, u := range units {
		if n >= u.size || -n >= u.size {
			return strconv.FormatFloat(float64(n)/float64(u.size), 'g', 3, 64) + " " + u.name
		}
	}
	return strconv.FormatInt(n, 10) + " B"
}
