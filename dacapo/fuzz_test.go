package dacapo

import (
	"bytes"
	"context"
	"fmt"
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
		if docs, err := decodeTraining(context.Background(), data); err == nil {
			for i, d := range docs {
				if d.stats.Iteration < 0 {
					t.Fatalf("entry %d: negative iteration %d decoded", i, d.stats.Iteration)
				}
			}
		}
		if docs, err := decodeValidation(context.Background(), data); err == nil {
			for i, d := range docs {
				if d.scores.Iteration < 0 {
					t.Fatalf("entry %d: negative iteration %d decoded", i, d.scores.Iteration)
				}
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
		s := newScanner(context.Background(), data)
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
