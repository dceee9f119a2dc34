package statstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of run metadata.
const (
	// MaxTagKeyLen and MaxTagValueLen bound a tag, in bytes.
	MaxTagKeyLen   = 128
	MaxTagValueLen = 1024
	// MaxTags bounds the tags of one run.
	MaxTags = 256
	// MaxRunConfigBytes bounds a run's configuration document.
	MaxRunConfigBytes = 1 << 20
)

// RunMeta is what a run says about itself, beside its statistics: its
// configuration (any JSON object: task, architecture, trainer, datasplit,
// DaCapo's unstructured RunConfig) and its tags (key=value pairs, MLflow's
// tags). Both are optional.
type RunMeta struct {
	// Config is a JSON object, nil when the run has none.
	Config json.RawMessage
	// Tags maps a tag key to its value; nil or empty when the run has none.
	Tags map[string]string
}

// IsZero reports whether m holds neither a configuration nor tags.
func (m RunMeta) IsZero() bool { return len(m.Config) == 0 && len(m.Tags) == 0 }

// Validate reports a configuration that is not one JSON object within
// MaxRunConfigBytes, an invalid tag (ValidateTag) or more than MaxTags tags.
func (m RunMeta) Validate() error {
	if m.Config != nil {
		if err := ValidateRunConfig(m.Config); err != nil {
			return err
		}
	}
	if len(m.Tags) > MaxTags {
		return invalid("%d tags: at most %d are kept per run", len(m.Tags), MaxTags)
	}
	for _, k := range slices.Sorted(maps.Keys(m.Tags)) {
		if err := ValidateTag(k, m.Tags[k]); err != nil {
			return err
		}
	}
	return nil
}

// Equal reports whether m and o hold the same tags and the same
// configuration (compared as JSON values, so key order and spacing do not
// matter).
func (m RunMeta) Equal(o RunMeta) bool {
	if len(m.Tags) != len(o.Tags) || !maps.Equal(m.Tags, o.Tags) {
		return false
	}
	if len(m.Config) == 0 || len(o.Config) == 0 {
		return len(m.Config) == len(o.Config)
	}
	a, errA := CompactRunConfig(m.Config)
	b, errB := CompactRunConfig(o.Config)
	return errA == nil && errB == nil && bytes.Equal(a, b)
}

// ValidateRunConfig reports a configuration that is not a single JSON
// object of at most MaxRunConfigBytes bytes.
func ValidateRunConfig(config json.RawMessage) error {
	if len(config) > MaxRunConfigBytes {
		return invalid("run configuration of %d bytes is larger than the limit of %d", len(config), MaxRunConfigBytes)
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(config))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return invalid("run configuration is not valid JSON: %v", err)
	}
	if dec.More() {
		return invalid("run configuration holds more than one JSON value")
	}
	if _, ok := v.(map[string]any); !ok {
		return invalid("run configuration must be a JSON object, not %s", jsonValueKind(v))
	}
	return nil
}

// CompactRunConfig returns config as canonical JSON: object keys sorted,
// no insignificant space, numbers as written. Stores keep this form, so a
// configuration reads back byte-equal whatever spacing it was sent with.
func CompactRunConfig(config json.RawMessage) (json.RawMessage, error) {
	if err := ValidateRunConfig(config); err != nil {
		return nil, err
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(config))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, invalid("run configuration is not valid JSON: %v", err)
	}
	out, err := json.Marshal(v) // encoding/json sorts map keys
	if err != nil {
		return nil, invalid("run configuration: %v", err)
	}
	return out, nil
}

// ValidateTag reports a tag key that is empty, longer than MaxTagKeyLen,
// not valid UTF-8 or holding '=', space or control characters, or a value
// longer than MaxTagValueLen, not valid UTF-8 or holding control
// characters. Errors wrap ErrInvalidArgument.
func ValidateTag(key, value string) error {
	switch {
	case key == "":
		return invalid("tag key is empty")
	case len(key) > MaxTagKeyLen:
		return invalid("tag key %.40q… is %d bytes, longer than the limit of %d", key, len(key), MaxTagKeyLen)
	case !utf8.ValidString(key):
		return invalid("tag key %q is not valid UTF-8", key)
	case strings.ContainsRune(key, '='):
		return invalid("tag key %q contains '=' (write key=value)", key)
	}
	for _, r := range key {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return invalid("tag key %q contains space or control character %U", key, r)
		}
	}
	switch {
	case len(value) > MaxTagValueLen:
		return invalid("tag %s: value of %d bytes is longer than the limit of %d", key, len(value), MaxTagValueLen)
	case !utf8.ValidString(value):
		return invalid("tag %s: value is not valid UTF-8", key)
	}
	for _, r := range value {
		if unicode.IsControl(r) {
			return invalid("tag %s: value contains control character %U", key, r)
		}
	}
	return nil
}

// ParseTag splits "key=value" (the CLI's and the query string's form) and
// validates it.
func ParseTag(s string) (key, value string, err error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return "", "", invalid("tag %q: want key=value", s)
	}
	if err := ValidateTag(k, v); err != nil {
		return "", "", err
	}
	return k, v, nil
}

// RunMetaStore is implemented by stores that keep run metadata. Setting
// metadata for a run the store does not list yet is allowed (a trainer
// records its configuration before its first iteration): the run is then
// listed, with no statistics. DeleteRun and TrashRun take the metadata
// with the run; RestoreRun brings it back.
//
// Errors: an invalid run name wraps ErrInvalidRunName; an invalid
// configuration or tag wraps ErrInvalidArgument and changes nothing.
type RunMetaStore interface {
	// RetrieveRunMeta returns the run's metadata (zero for an unknown run).
	// The configuration is in CompactRunConfig's form.
	RetrieveRunMeta(ctx context.Context, run string) (RunMeta, error)
	// SetRunConfig replaces the run's configuration; nil removes it.
	SetRunConfig(ctx context.Context, run string, config json.RawMessage) error
	// SetRunTags sets the tags in set and removes the keys in remove, in
	// one step; a key in both is an error.
	SetRunTags(ctx context.Context, run string, set map[string]string, remove []string) error
}

// ApplyTags returns tags with set applied and remove's keys removed (a new
// map, nil when empty), checking the result against RunMeta's rules.
func ApplyTags(tags, set map[string]string, remove []string) (map[string]string, error) {
	for _, k := range remove {
		if _, ok := set[k]; ok {
			return nil, invalid("tag %s: both set and removed", k)
		}
	}
	out := maps.Clone(tags)
	if out == nil {
		out = map[string]string{}
	}
	for k, v := range set {
		if err := ValidateTag(k, v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	for _, k := range remove {
		delete(out, k)
	}
	if len(out) > MaxTags {
		return nil, invalid("%d tags: at most %d are kept per run", len(out), MaxTags)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// jsonValueKind names the JSON type of a decoded value v, for errors.
func jsonValueKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	default:
		return fmt.Sprintf("%T", v)
	}
}
