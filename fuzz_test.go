package statstore_test

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/statstore/statstore"
)

// Seeds shared by the JSON fuzz targets (more are in testdata/fuzz).
var metadataSeeds = []string{
	`{"datasets": ["crop_a", "crop_b"], "parameters": [{"id": 0, "values": {"threshold": 0.5}}], "criteria": "binary_segmentation"}`,
	`{"datasets": ["a"], "parameters": [{"id": 0}], "criteria": "multi_channel_binary_segmentation:mito,er"}`,
	`{"datasets": [], "parameters": [], "criteria": [{"name": "x", "higher_is_better": true, "bounds": [0, "NaN"], "store_best": true}]}`,
	`{"criteria": [{"name": "h", "bounds": [null, "Infinity"]}], "parameters": [{"id": 1, "name": "n", "values": {"z": [1, 2.0, "s", true, null]}}]}`,
	`{"criteria": "dummy", "parameters": [{"id": 0, "values": {"t": 3.0, "u": 1e20, "v": 12345678901234567890}}]}`,
	`{"criteria": null}`,
	`[]`,
}

func FuzzMetadataUnmarshalJSON(f *testing.F) {
	for _, s := range metadataSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var m statstore.Metadata
		err := json.Unmarshal(data, &m)
		var direct statstore.Metadata
		directErr := direct.UnmarshalJSON(data)
		if err != nil {
			return
		}
		if directErr != nil {
			t.Fatalf("json.Unmarshal accepted %q but UnmarshalJSON did not: %v", data, directErr)
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("accepted metadata does not validate: %v", err)
		}
		checkMetadataRoundTrip(t, m)
	})
}

func FuzzParameterValuesUnmarshalJSON(f *testing.F) {
	for _, s := range []string{`{"threshold": 0.5}`, `{"bias": 0.5, "context": [32, 32, 32]}`, `{"t": 3.0, "n": 1, "big": 1e300, "s": "x", "b": false, "z": null}`,
		`null`, `{}`, `{"a": {"b": 1}}`, `{"t": 1} x`, `{"n": 12345678901234567890}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var vs statstore.ParameterValues
		if err := vs.UnmarshalJSON(data); err != nil {
			if !errors.Is(err, statstore.ErrInvalidArgument) {
				t.Fatalf("error %v does not wrap ErrInvalidArgument", err)
			}
			return
		}
		if err := vs.Validate(); err != nil {
			t.Fatalf("accepted values do not validate: %v", err)
		}
		out, err := json.Marshal(vs)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		var back statstore.ParameterValues
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("Unmarshal(Marshal) of %s: %v", out, err)
		}
		if !back.Equal(vs) {
			t.Fatalf("round trip of %s differs: %v vs %v", out, back, vs)
		}
		a := statstore.ParameterSet{Values: vs}.DisplayName()
		if b := (statstore.ParameterSet{Values: back}).DisplayName(); a != b {
			t.Fatalf("display name %q became %q", a, b)
		}
	})
}

func FuzzValidateRunName(f *testing.F) {
	for _, s := range []string{"run", "", ".", "..", "a/b", `a\b`, "a\x00", "ミトコンドリア", "\xff", strings.Repeat("x", 201), "a\u0085"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := statstore.ValidateRunName(name)
		if err != nil {
			if !errors.Is(err, statstore.ErrInvalidRunName) {
				t.Fatalf("error %v does not wrap ErrInvalidRunName", err)
			}
			return
		}
		switch {
		case name == "" || name == "." || name == "..":
			t.Fatalf("accepted %q", name)
		case len(name) > statstore.MaxRunNameLen:
			t.Fatalf("accepted a name of %d bytes", len(name))
		case !utf8.ValidString(name):
			t.Fatalf("accepted invalid UTF-8 %q", name)
		case strings.ContainsAny(name, `/\`):
			t.Fatalf("accepted a path separator in %q", name)
		case strings.IndexFunc(name, unicode.IsControl) >= 0:
			t.Fatalf("accepted a control character in %q", name)
		}
	})
}

func FuzzSubsample(f *testing.F) {
	f.Add(uint64(1), uint16(1000), uint16(10), uint8(0), uint32(0), uint32(0))
	f.Add(uint64(2), uint16(5000), uint16(7), uint8(1), uint32(100), uint32(4000))
	f.Add(uint64(3), uint16(0), uint16(2), uint8(0), uint32(0), uint32(0))
	f.Add(uint64(4), uint16(3), uint16(1000), uint8(1), uint32(5), uint32(5))
	f.Add(uint64(5), uint16(100), uint16(1), uint8(3), uint32(9), uint32(2))
	f.Fuzz(func(t *testing.T, seed uint64, n, maxPoints uint16, mode uint8, from, to uint32) {
		rng := rand.New(rand.NewPCG(seed, seed>>32))
		in := randomHistory(rng, int(n))
		opts := statstore.SubsampleOptions{
			MaxPoints: int(maxPoints),
			Mode:      statstore.SubsampleMode(mode % 3),
			Range:     statstore.IterationRange{From: int(from), To: int(to)},
		}
		out, err := statstore.Subsample(in, opts)
		if _, nerr := opts.Normalize(); nerr != nil {
			if err == nil {
				t.Fatalf("Subsample accepted %+v that Normalize rejects: %v", opts, nerr)
			}
			if !errors.Is(err, statstore.ErrInvalidArgument) {
				t.Fatalf("error %v does not wrap ErrInvalidArgument", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Subsample(%+v): %v", opts, err)
		}
		checkSubsample(t, in, opts, out)
	})
}
