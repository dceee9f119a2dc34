package statstore

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// MaxRunNameLen is the longest run name accepted, in bytes.
const MaxRunNameLen = 200

// ValidateRunName reports whether name can identify a run: any UTF-8 text
// that is a safe single path component. Empty names, "." and "..", names
// containing '/', '\\', NUL or other control characters, invalid UTF-8 and
// names longer than MaxRunNameLen bytes are rejected with an error wrapping
// ErrInvalidRunName. Names are case-sensitive.
func ValidateRunName(name string) error {
	bad := func(why string) error {
		return fmt.Errorf("run name %q: %s: %w", name, why, ErrInvalidRunName)
	}
	switch {
	case name == "":
		return fmt.Errorf("run name is empty: %w", ErrInvalidRunName)
	case name == "." || name == "..":
		return bad("must not be . or ..")
	case len(name) > MaxRunNameLen:
		return fmt.Errorf("run name of %d bytes is longer than the limit of %d: %w", len(name), MaxRunNameLen, ErrInvalidRunName)
	case !utf8.ValidString(name):
		return bad("not valid UTF-8")
	}
	for _, r := range name {
		switch {
		case r == '/' || r == '\\':
			return bad("contains a path separator")
		case r == 0:
			return bad("contains NUL")
		case unicode.IsControl(r):
			return bad(fmt.Sprintf("contains control character %U", r))
		}
	}
	return nil
}
