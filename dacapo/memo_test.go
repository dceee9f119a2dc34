package dacapo

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

// memoBomb returns a pickle of about n bytes: head, then unit(i) repeated,
// then STOP.
func memoBomb(n int, head []byte, unit func(i int) []byte) []byte {
	data := append([]byte(nil), head...)
	for i := 0; len(data) < n; i++ {
		data = append(data, unit(i)...)
	}
	return append(data, opStop)
}

// allocated returns the bytes f allocates. Run it outside parallel tests:
// it reads the process's allocation counter.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestMemoBomb: pickles that fill the memo cost memory in proportion to
// their size, and the bomb of issue 10 (C2: 20 MB of MEMOIZE opcodes took
// 2.25 GB and 33 s, and decoded as an empty list) fails at its second
// opcode with a clear error. Memory is measured in allocated bytes, not
// time.
func TestMemoBomb(t *testing.T) {
	const size = 1 << 20
	tests := []struct {
		name    string
		data    []byte
		wantErr string // "" when the pickle is only checked for its memory
		// maxPerByte bounds the bytes allocated per byte of input. DaCapo's
		// own files take 15 to 70 (small files more).
		maxPerByte uint64
	}{
		{
			name:       "MEMOIZE of one value",
			data:       memoBomb(size, []byte{opProto, 4, opEmptyList}, func(int) []byte { return []byte{opMemoize} }),
			wantErr:    "MEMOIZE (0x94) of a value already in the memo",
			maxPerByte: 4, // the input and its normalised copy
		},
		{
			name: "BINPUT of one value",
			data: memoBomb(size, []byte{opProto, 2, opEmptyList}, func(i int) []byte {
				return []byte{opBinput, byte(i)}
			}),
			wantErr:    "BINPUT ('q') of a value already in the memo",
			maxPerByte: 4,
		},
		{
			name:       "GET then PUT",
			data:       memoBomb(size, []byte{opProto, 4, opEmptyList, opMemoize, opNone, opMemoize}, func(int) []byte { return []byte{opBinget, 1, opMemoize} }),
			wantErr:    "of a value already in the memo",
			maxPerByte: 4,
		},
		{
			name: "memo indices out of order",
			data: memoBomb(size, []byte{opProto, 2, opEmptyList}, func(i int) []byte {
				return binary.LittleEndian.AppendUint32([]byte{opNone, opLongBinput}, uint32(1000+i))
			}),
			wantErr:    "memo index 1000 while the memo holds 0 entries",
			maxPerByte: 4,
		},
		{
			name:       "a new value for each MEMOIZE",
			data:       memoBomb(size, []byte{opProto, 4, opEmptyList, opMemoize}, func(int) []byte { return []byte{opNone, opMemoize, opAppend} }),
			maxPerByte: 100, // 117 before puts nobody reads were dropped from og-rek's memo
		},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			n := allocated(func() { _, err = decodeTraining(ctx, tt.data, defaultLimit(tt.data)) })
			perByte := n / uint64(len(tt.data))
			t.Logf("%d bytes allocated for %d bytes of pickle (%d per byte): %v", n, len(tt.data), perByte, err)
			if perByte > tt.maxPerByte {
				t.Errorf("allocated %d bytes per byte of pickle, want at most %d", perByte, tt.maxPerByte)
			}
			if tt.wantErr == "" {
				if err == nil {
					t.Errorf("a list of None decoded as training documents")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
			}
			var de *decodeError
			if !errors.As(err, &de) || de.Offset < 0 || de.Offset > 16 {
				t.Errorf("got error %#v, want it at the start of the file (it fails fast)", err)
			}
		})
	}

	// Through the store, the error is a CorruptError naming the file.
	s := mustOpen(t, writeRunFile(t, TrainingDir, tests[0].data), Options{})
	_, err := s.RetrieveTrainingStats(ctx, "r")
	var ce *statstore.CorruptError
	if !errors.As(err, &ce) || !strings.HasSuffix(ce.Path, "r") || ce.Offset != 4 || !strings.Contains(err.Error(), "memo bomb") {
		t.Errorf("RetrieveTrainingStats: got %v, want a CorruptError at offset 4 naming the file and a memo bomb", err)
	}
}

// TestMemoReplaced: a memo index stored again after a GET read it keeps
// both puts, so og-rek reads what Python would (puts nobody reads are
// dropped before og-rek decodes).
func TestMemoReplaced(t *testing.T) {
	str := func(s string) []byte { return append([]byte{opShortBinunicod, byte(len(s))}, s...) }
	half := []byte{opBinfloat, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0}
	var p []byte
	p = append(p, opProto, 2, opEmptyList, opMark, opEmptyDict)
	p = append(append(p, str("iteration")...), opBinput, 0, opBinint1, 1, opSetitem)
	p = append(append(p, str("run_name")...), opBinget, 0, opSetitem) // reads index 0: "iteration"
	p = append(append(p, str("loss")...), opBinput, 0)                // index 0 again, never read
	p = append(append(p, half...), opSetitem)
	p = append(append(append(p, str("time")...), half...), opSetitem)
	p = append(p, opAppends, opStop)
	docs, err := decodeTraining(context.Background(), p, defaultLimit(p))
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 || docs[0].runName != "iteration" || docs[0].stats.Iteration != 1 || docs[0].stats.Loss != 0.5 {
		t.Errorf("got %+v, want one document of iteration 1, loss 0.5, run_name \"iteration\"", docs)
	}
}

// TestSharedLists: Python writes a memo reference (BINGET, GET in
// protocols 0 and 1) for a list pickled twice, such as the same scores
// appended to two entries. Such a file is valid and reads as the lists it
// shares, in every protocol; shared lists nested to decode to far more
// than the file holds are refused.
func TestSharedLists(t *testing.T) {
	var want []json.RawMessage
	readJSON(t, "testdata/shared/expected.json", &want)
	ctx := context.Background()
	for _, name := range protoDirs {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "shared", name, ValidationDir, "shared_run"))
			if err != nil {
				t.Fatal(err)
			}
			if p := []byte{opBinget}; name >= "proto2" && !bytes.Contains(data, p) {
				t.Fatalf("the pickle has no BINGET: it shares nothing")
			}
			docs, err := decodeValidation(ctx, data, defaultLimit(data))
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) != len(want) {
				t.Fatalf("got %d entries, want %d", len(docs), len(want))
			}
			for i, raw := range want {
				var e []json.RawMessage
				readRaw(t, raw, &e)
				var nested [][][]jsonRaw
				readRaw(t, e[1], &nested)
				if got := docs[i].scores.Iteration; string(e[0]) != itoa(got) {
					t.Errorf("entry %d: iteration got %d, want %s", i, got, e[0])
				}
				got := docs[i].scores.Scores
				if len(got) != len(nested) {
					t.Fatalf("entry %d: got %d datasets, want %d", i, len(got), len(nested))
				}
				for d := range nested {
					if len(got[d]) != len(nested[d]) {
						t.Fatalf("entry %d: dataset %d: got %d parameter sets, want %d", i, d, len(got[d]), len(nested[d]))
					}
					for p := range nested[d] {
						if len(got[d][p]) != len(nested[d][p]) {
							t.Fatalf("entry %d: scores[%d][%d]: got %d criteria, want %d", i, d, p, len(got[d][p]), len(nested[d][p]))
						}
						for c, r := range nested[d][p] {
							if w, g := hexFloat(t, r), got[d][p][c]; !sameFloat(g, w) {
								t.Errorf("entry %d: scores[%d][%d][%d] got %v, want %v", i, d, p, c, g, w)
							}
						}
					}
				}
			}
		})
	}

	t.Run("billion laughs", func(t *testing.T) {
		// [[x, x, ...]] nested levels deep, each level 10 references to the
		// list below: 10^levels floats from a few hundred bytes.
		var p []byte
		p = append(p, opProto, 4, opEmptyList, opMemoize, opEmptyDict, opMemoize)
		p = append(append(p, opShortBinunicod, byte(len(keyIteration))), keyIteration...)
		p = append(p, opBinint1, 0, opShortBinunicod, byte(len(keyScores)))
		p = append(p, keyScores...)
		p = append(p, opEmptyList, opMemoize, opEmptyList, opMemoize)
		memo := byte(3) // the innermost list
		p = append(p, opBinfloat, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0, opAppend)
		for level := 0; level < 12; level++ {
			p = append(p, opEmptyList, opMemoize, opMark)
			for range 10 {
				p = append(p, opBinget, memo)
			}
			p = append(p, opAppends)
			memo++
		}
		p = append(p, opAppend, opSetitem, opAppend, opStop)
		var err error
		n := allocated(func() { _, err = decodeValidation(ctx, p, defaultLimit(p)) })
		if err == nil || !strings.Contains(err.Error(), "billion laughs") {
			t.Fatalf("got error %v, want one naming a billion laughs", err)
		}
		if n > 1<<28 {
			t.Errorf("allocated %d bytes refusing a pickle of %d bytes, want the work bounded by the decoded size", n, len(p))
		}
	})
}
