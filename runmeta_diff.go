package statstore

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
)

// Kinds of a ConfigChange.
const (
	ChangeAdded   = "added"
	ChangeRemoved = "removed"
	ChangeChanged = "changed"
)

// ConfigChange is one difference between two runs' configurations: at
// Path (nested keys and list indices, "trainer.optimizer.lr",
// "architecture.fmaps[2]"; a key that is not a plain identifier is
// quoted, `a["x.y"]`), a value only in B (added), only in A (removed) or
// different in each (changed). A and B are the values as compact JSON,
// empty where absent.
type ConfigChange struct {
	Path string          `json:"path"`
	Kind string          `json:"kind"`
	A    json.RawMessage `json:"a,omitempty"`
	B    json.RawMessage `json:"b,omitempty"`
}

// DiffRunConfig compares two configurations (JSON objects; nil or empty
// is no configuration, compared as {}) key by key, down into nested
// objects and lists (by index), and returns the differences in key order (keys sorted
// at each level, list entries by index). Numbers are compared as written (1.0 differs from 1). Invalid
// configurations wrap ErrInvalidArgument.
func DiffRunConfig(a, b json.RawMessage) ([]ConfigChange, error) {
	va, err := decodeConfigValue(a)
	if err != nil {
		return nil, err
	}
	vb, err := decodeConfigValue(b)
	if err != nil {
		return nil, err
	}
	var out []ConfigChange
	diffValue("", va, vb, &out)
	return out, nil
}

func decodeConfigValue(c json.RawMessage) (any, error) {
	if len(bytes.TrimSpace(c)) == 0 {
		return map[string]any{}, nil
	}
	if err := ValidateRunConfig(c); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(c))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, invalid("run configuration: %v", err)
	}
	return v, nil
}

// diffValue appends the differences of a and b at path to out.
func diffValue(path string, a, b any, out *[]ConfigChange) {
	switch x := a.(type) {
	case map[string]any:
		if y, ok := b.(map[string]any); ok {
			keys := slices.Sorted(maps.Keys(x))
			for k := range y {
				if _, ok := x[k]; !ok {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			for _, k := range keys {
				p := joinKey(path, k)
				va, inA := x[k]
				vb, inB := y[k]
				switch {
				case !inB:
					*out = append(*out, ConfigChange{Path: p, Kind: ChangeRemoved, A: jsonOf(va)})
				case !inA:
					*out = append(*out, ConfigChange{Path: p, Kind: ChangeAdded, B: jsonOf(vb)})
				default:
					diffValue(p, va, vb, out)
				}
			}
			return
		}
	case []any:
		if y, ok := b.([]any); ok {
			for i := range max(len(x), len(y)) {
				p := path + "[" + strconv.Itoa(i) + "]"
				switch {
				case i >= len(y):
					*out = append(*out, ConfigChange{Path: p, Kind: ChangeRemoved, A: jsonOf(x[i])})
				case i >= len(x):
					*out = append(*out, ConfigChange{Path: p, Kind: ChangeAdded, B: jsonOf(y[i])})
				default:
					diffValue(p, x[i], y[i], out)
				}
			}
			return
		}
	}
	ja, jb := jsonOf(a), jsonOf(b)
	if !bytes.Equal(ja, jb) {
		*out = append(*out, ConfigChange{Path: path, Kind: ChangeChanged, A: ja, B: jb})
	}
}

// joinKey appends key k to path: ".k" for a plain identifier, `["k"]`
// otherwise.
func joinKey(path, k string) string {
	plain := k != ""
	for i, r := range k {
		if !(r == '_' || r == '-' && i > 0 || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' && i > 0) {
			plain = false
			break
		}
	}
	if !plain {
		q, _ := json.Marshal(k)
		return path + "[" + string(q) + "]"
	}
	if path == "" {
		return k
	}
	return path + "." + k
}

// jsonOf returns v as compact JSON.
func jsonOf(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(`null`)
	}
	return b
}

// TagChange is one difference between two runs' tags; A or B is nil
// where the tag is absent.
type TagChange struct {
	Key  string  `json:"key"`
	Kind string  `json:"kind"`
	A    *string `json:"a,omitempty"`
	B    *string `json:"b,omitempty"`
}

// DiffTags compares two runs' tags and returns the differences sorted by
// key.
func DiffTags(a, b map[string]string) []TagChange {
	keys := slices.Sorted(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []TagChange
	for _, k := range keys {
		va, inA := a[k]
		vb, inB := b[k]
		switch {
		case !inB:
			out = append(out, TagChange{Key: k, Kind: ChangeRemoved, A: &va})
		case !inA:
			out = append(out, TagChange{Key: k, Kind: ChangeAdded, B: &vb})
		case va != vb:
			out = append(out, TagChange{Key: k, Kind: ChangeChanged, A: &va, B: &vb})
		}
	}
	return out
}
