package dacapo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/statstore/statstore"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	pickle "github.com/kisielk/og-rek"
)

// FuzzDecode feeds arbitrary bytes to the pickle scanner, og-rek and both
// document decoders: nothing may panic, and whatever decodes must be
// DaCapo's documents. Seeds are every pickle under testdata.
func FuzzDecode(f *testing.F) {
	var seeds []string
	for _, pattern := range []string{"testdata/proto*/*/*", "testdata/hostile/*.pickle"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, m...)
	}
	if len(seeds) == 0 {
		f.Fatal("no seed pickles under testdata")
	}
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// The cases of issue 10: an empty file (DaCapo killed mid-dump), the
	// smallest protocol 0 and 1 lists, and memo bombs (one value memoized
	// again and again, a new value per MEMOIZE, BINPUT to indices out of
	// order).
	f.Add([]byte{})
	f.Add([]byte("(lp0\n."))
	f.Add([]byte("]q\x00."))
	f.Add([]byte("(lp0\n(dp1\nViteration\np2\nI3\nsVloss\np3\nFnan\nsVtime\np4\nL12L\nsa."))
	f.Add(append([]byte{opProto, 4, opEmptyList}, append(bytes.Repeat([]byte{opMemoize}, 64), opStop)...))
	f.Add(append([]byte{opProto, 4, opEmptyList, opMemoize}, append(bytes.Repeat([]byte{opNone, opMemoize, opAppend}, 64), opStop)...))
	f.Add([]byte{opProto, 2, opEmptyList, opBinput, 7, opNone, opBinput, 0, opAppend, opStop})
	f.Fuzz(func(t *testing.T, data []byte) {
		if docs, err := decodeTraining(context.Background(), data, defaultLimit(data)); err == nil {
			for i, d := range docs {
				if d.stats.Iteration < 0 {
					t.Fatalf("entry %d: negative iteration %d decoded", i, d.stats.Iteration)
				}
			}
		}
		if docs, err := decodeValidation(context.Background(), data, defaultLimit(data)); err == nil {
			for i, d := range docs {
				if d.scores.Iteration < 0 {
					t.Fatalf("entry %d: negative iteration %d decoded", i, d.scores.Iteration)
				}
			}
		}
		// Under a memory budget of about twice the file, a decode either
		// fails (the budget or the damage named) or reads what the default
		// budget reads.
		small := newLimit(len(data), 2*int64(len(data))+64)
		if docs, err := decodeTraining(context.Background(), data, small); err == nil {
			full, ferr := decodeTraining(context.Background(), data, defaultLimit(data))
			if ferr != nil || len(full) != len(docs) {
				t.Fatalf("under a small budget: %d documents; under the default: %d, %v", len(docs), len(full), ferr)
			}
		} else if ob := (*overBudget)(nil); errors.As(err, &ob) && (ob.need <= ob.budget || ob.budget != small.budget) {
			t.Fatalf("budget error %+v: want a need above the budget %d", ob, small.budget)
		}
		if _, err := decodeValidation(context.Background(), data, small); err != nil {
			var ob *overBudget
			var de *decodeError
			if !errors.As(err, &ob) && !errors.As(err, &de) {
				t.Fatalf("under a small budget: %v (%T), want a budget or decoding error", err, err)
			}
		}
	})
}

// FuzzDropUnread checks that dropping the memo puts no GET reads changes
// nothing og-rek decodes: the normalised pickle with every put and the one
// without the unread puts decode to the same value (or both fail).
func FuzzDropUnread(f *testing.F) {
	for _, pattern := range []string{"testdata/proto*/*/*", "testdata/hostile/*.pickle"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range m {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := newScanner(context.Background(), data, defaultLimit(data))
		if s.run() != nil {
			return
		}
		all := slices.Clone(s.out)
		s.dropUnread()
		decode := func(b []byte) string {
			v, err := pickle.NewDecoderWithConfig(bytes.NewReader(b), &pickle.DecoderConfig{}).Decode()
			if err != nil {
				return "error"
			}
			var out strings.Builder
			render(&out, v, 0)
			return out.String()
		}
		if a, d := decode(all), decode(s.out); a != d {
			t.Fatalf("dropping unread memo puts changed the decoded value:\nall puts: %s\ndropped:  %s", a, d)
		}
	})
}

// render writes v for comparison: maps sorted by rendered key, big ints by
// value, and nothing deeper than a few levels (the memo can make a dict
// hold itself, which fmt would print forever).
func render(b *strings.Builder, v any, depth int) {
	if depth > 8 {
		b.WriteString("…")
		return
	}
	switch x := v.(type) {
	case []any:
		b.WriteString("[")
		for _, e := range x {
			render(b, e, depth+1)
			b.WriteString(",")
		}
		b.WriteString("]")
	case pickle.Tuple:
		render(b, []any(x), depth)
	case map[any]any:
		items := make([]string, 0, len(x))
		for k, e := range x {
			var kb, eb strings.Builder
			render(&kb, k, depth+1)
			render(&eb, e, depth+1)
			items = append(items, kb.String()+":"+eb.String())
		}
		slices.Sort(items)
		fmt.Fprintf(b, "{%s}", strings.Join(items, ","))
	case pickle.Call:
		fmt.Fprintf(b, "%s.%s(", x.Callable.Module, x.Callable.Name)
		render(b, []any(x.Args), depth+1)
		b.WriteString(")")
	default:
		fmt.Fprintf(b, "%T:%v", v, v)
	}
}

// FuzzFastPath checks the fast decoder against the general path (the
// scanner and og-rek): for any input, the fast decoder either leaves it to
// the general path or returns exactly what the general path returns, NaN
// bits included; it never accepts what the general path rejects. Seeds are
// every pickle under testdata and exports of a few runs.
func FuzzFastPath(f *testing.F) {
	for _, pattern := range []string{"testdata/proto*/*/*", "testdata/hostile/*.pickle", "testdata/shared/*/*/*"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range m {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add(encodeTraining("r", longRun(3)))
	f.Add(encodeValidation("r", []statstore.ValidationIterationScores{{Iteration: 3, Scores: [][][]float64{{{0.5, 1}}}}}))
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		training, _, ok, err := decodeFast(ctx, data, false, defaultLimit(data))
		if err != nil {
			t.Fatalf("fast training: error %v, want only ok = false", err)
		}
		if ok {
			want, err := decodeTrainingGeneral(ctx, data, defaultLimit(data))
			if err != nil {
				t.Fatalf("the fast path read training documents the general path rejects: %v", err)
			}
			if len(want) != len(training) {
				t.Fatalf("fast path: %d training documents, general: %d", len(training), len(want))
			}
			for i := range want {
				g, w := training[i], want[i]
				if g.runName != w.runName || g.stats.Iteration != w.stats.Iteration ||
					math.Float64bits(g.stats.Loss) != math.Float64bits(w.stats.Loss) || math.Float64bits(g.stats.Time) != math.Float64bits(w.stats.Time) {
					t.Fatalf("entry %d: fast path %+v, general %+v", i, g, w)
				}
			}
		}
		_, val, ok, err := decodeFast(ctx, data, true, defaultLimit(data))
		if err != nil {
			t.Fatalf("fast validation: error %v, want only ok = false", err)
		}
		if !ok {
			return
		}
		want, err := decodeValidationGeneral(ctx, data, defaultLimit(data))
		if err != nil {
			t.Fatalf("the fast path read validation documents the general path rejects: %v", err)
		}
		if len(want) != len(val) {
			t.Fatalf("fast path: %d validation documents, general: %d", len(val), len(want))
		}
		for i := range want {
			g, w := val[i], want[i]
			if g.runName != w.runName || g.scores.Iteration != w.scores.Iteration || fmt.Sprint(bitsOf(g.scores.Scores)) != fmt.Sprint(bitsOf(w.scores.Scores)) {
				t.Fatalf("entry %d: fast path %+v, general %+v", i, g, w)
			}
		}
	})
}

// bitsOf returns the bits of nested scores, for exact comparison.
func bitsOf(s [][][]float64) [][][]uint64 {
	out := make([][][]uint64, len(s))
	for i := range s {
		out[i] = make([][]uint64, len(s[i]))
		for j := range s[i] {
			for _, f := range s[i][j] {
				out[i][j] = append(out[i][j], math.Float64bits(f))
			}
		}
	}
	return out
}

// TestFastPathTakesDaCapoFiles: the pickles Python writes for DaCapo (every
// protocol from 2, numpy scalars of numpy 1 and 2, shared samples when
// present) take the fast path, so the speed measured is the speed DaCapo's
// files get; protocols 0 and 1, files sharing lists and ints beyond 64
// bits take the general path.
func TestFastPathTakesDaCapoFiles(t *testing.T) {
	ctx := context.Background()
	paths, _ := filepath.Glob("testdata/proto*/*/*")
	shared, _ := filepath.Glob(filepath.Join(sharedDir, "sample-stats*", "*", "*"))
	if len(shared) == 0 {
		t.Logf("%s not found: checking the testdata directories only", sharedDir)
	}
	sharing, _ := filepath.Glob("testdata/shared/*/*/*")
	fast := 0
	for _, p := range append(append(paths, shared...), sharing...) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		validation := strings.Contains(p, ValidationDir)
		_, _, ok, err := decodeFast(ctx, data, validation, defaultLimit(data))
		if err != nil {
			t.Fatal(err)
		}
		// Protocols 2 to 5, but not the lists sharing lists, plain_run's
		// ints beyond 64 bits (LONG1 of 9 bytes) nor protocol 2's numpy
		// scalars (their bytes go through _codecs.encode).
		want := data[0] == opProto && !strings.HasPrefix(p, filepath.Join("testdata", "shared")) &&
			!strings.Contains(p, "plain_run") && !bytes.Contains(data, []byte("_codecs"))
		if ok != want {
			t.Errorf("%s: fast path %v, want %v", p, ok, want)
		}
		if ok {
			fast++
		}
	}
	if fast == 0 {
		t.Fatal("no file took the fast path")
	}
}
