package dacapo

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/statstore/statstore"
)

// sharedDir holds the DaCapo samples shared by the project (../shared/dacapo
// from the repository root); absent outside the development machines.
const sharedDir = "../../shared/dacapo"

// protoDirs are the DaCapo directories make_pickles.py writes.
var protoDirs = []string{"proto0", "proto1", "proto2", "proto3", "proto4", "proto5"}

// expectedTestdata is testdata/expected.json: every document, floats as
// Python's float.hex().
type expectedTestdata map[string]struct {
	Protocol int `json:"protocol"`
	Runs     map[string]struct {
		Training   [][3]json.RawMessage `json:"training"`
		Validation [][2]json.RawMessage `json:"validation"`
	} `json:"runs"`
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// hexFloat parses Python's float.hex() text ("0x1.8p+1", "nan", "-inf").
func hexFloat(t *testing.T, raw json.RawMessage) float64 {
	t.Helper()
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("float %s: %v", raw, err)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("float %q: %v", s, err)
	}
	return f
}

// sameFloat compares bit-exactly, except that any NaN equals any NaN (Python's
// float.hex() writes every NaN as "nan").
func sameFloat(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
}

func mustOpen(t *testing.T, dir string, opts Options) *Store {
	t.Helper()
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// writeRunFile puts data into a fresh DaCapo directory as the pickle of run
// "r" in sub and returns the directory.
func writeRunFile(t *testing.T, sub string, data []byte) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{TrainingDir, ValidationDir} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, sub, "r"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// sameStores fails unless a and b hold the same runs with equal training
// stats and validation entries.
func sameStores(t *testing.T, a, b statstore.StatsStore) {
	t.Helper()
	ctx := context.Background()
	ra, err := a.ListRuns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := b.ListRuns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ra) != len(rb) {
		t.Fatalf("got %d runs, want %d", len(rb), len(ra))
	}
	for i := range ra {
		if !sameInfo(ra[i], rb[i]) {
			t.Errorf("run info: got %+v, want %+v", rb[i], ra[i])
		}
		ta, err := a.RetrieveTrainingStats(ctx, ra[i].Run)
		if err != nil {
			t.Fatal(err)
		}
		tb, err := b.RetrieveTrainingStats(ctx, ra[i].Run)
		if err != nil {
			t.Fatal(err)
		}
		if !ta.Equal(tb) {
			t.Errorf("run %q: training stats differ", ra[i].Run)
		}
		va, err := a.RetrieveValidationIterationScores(ctx, ra[i].Run)
		if err != nil {
			t.Fatal(err)
		}
		vb, err := b.RetrieveValidationIterationScores(ctx, ra[i].Run)
		if err != nil {
			t.Fatal(err)
		}
		if len(va) != len(vb) {
			t.Fatalf("run %q: got %d validation entries, want %d", ra[i].Run, len(vb), len(va))
		}
		for j := range va {
			if !va[j].Equal(vb[j]) {
				t.Errorf("run %q: validation entry %d differs", ra[i].Run, j)
			}
		}
	}
}

type jsonRaw = json.RawMessage

func readRaw(t *testing.T, raw json.RawMessage, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// defaultLimit is the decoding limit of data under the default memory
// budget.
func defaultLimit(data []byte) limit { return newLimit(len(data), 0) }
