package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gofrs/flock"
	"github.com/statstore/statstore"
)

// The spool written by the real Python client (python/testdata/make_spool_testdata.py)
// and what replaying it must store.
const (
	clientSpool    = "testdata/spool/client.spool"
	clientExpected = "testdata/spool/client.expected.json"
)

type spoolExpected struct {
	Training   map[string][][3]any `json:"training"`
	Validation map[string][][2]any `json:"validation"`
}

func bitsOf(t *testing.T, s any) float64 {
	t.Helper()
	u, err := strconv.ParseUint(s.(string), 16, 64)
	if err != nil {
		t.Fatalf("expected bits %v: %v", s, err)
	}
	return math.Float64frombits(u)
}

// copySpool copies the client's spool into a new directory and returns
// the directory and the copy's path.
func copySpool(t *testing.T, data []byte) (string, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "spool", "127.0.0.1-9")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "20260101T000000.000000Z-1-abcdef.spool")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(dir), path
}

func readTestdata(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// checkSynced compares the store in dir with client.expected.json, bit for bit.
func checkSynced(t *testing.T, dir string) {
	t.Helper()
	var want spoolExpected
	if err := json.Unmarshal(readTestdata(t, clientExpected), &want); err != nil {
		t.Fatal(err)
	}
	s := openFileStore(t, dir)
	ctx := context.Background()
	for run, entries := range want.Training {
		got, err := s.RetrieveTrainingStats(ctx, run)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.IterationStats) != len(entries) {
			t.Fatalf("run %s: got %d training entries, want %d", run, len(got.IterationStats), len(entries))
		}
		for i, e := range entries {
			g := got.IterationStats[i]
			wl, wt := bitsOf(t, e[1]), bitsOf(t, e[2])
			if g.Iteration != int(e[0].(float64)) || math.Float64bits(g.Loss) != math.Float64bits(wl) || math.Float64bits(g.Time) != math.Float64bits(wt) {
				t.Fatalf("run %s entry %d: got %d %x %x, want %v %x %x", run, i, g.Iteration, math.Float64bits(g.Loss), math.Float64bits(g.Time), e[0], math.Float64bits(wl), math.Float64bits(wt))
			}
		}
	}
	for run, entries := range want.Validation {
		got, err := s.RetrieveValidationIterationScores(ctx, run)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(entries) {
			t.Fatalf("run %s: got %d validations, want %d", run, len(got), len(entries))
		}
		for i, e := range entries {
			flat := got[i].Scores[0][0]
			ws := e[1].([]any)
			if got[i].Iteration != int(e[0].(float64)) || len(flat) != len(ws) {
				t.Fatalf("run %s validation %d: got iteration %d with %d scores, want %v", run, i, got[i].Iteration, len(flat), e)
			}
			for c := range ws {
				if math.Float64bits(flat[c]) != math.Float64bits(bitsOf(t, ws[c])) {
					t.Fatalf("run %s iteration %d score %d: got %v, want bits %v", run, got[i].Iteration, c, flat[c], ws[c])
				}
			}
		}
	}
}

func TestSyncPythonClientSpool(t *testing.T) {
	spool, path := copySpool(t, readTestdata(t, clientSpool))
	store := filepath.Join(t.TempDir(), "stats")
	r := mustRun(t, "--store", store, "sync", spool)
	if !strings.Contains(r.stdout, "synced 1 spool files") {
		t.Errorf("sync printed %q, want it to count 1 file", r.stdout)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the synced spool file is still there (stat: %v)", err)
	}
	checkSynced(t, store)
}

func TestSyncTwiceAndInterrupted(t *testing.T) {
	// A spool replayed again from the start (its acks lost) and one
	// replayed after the store already holds everything store the same.
	data := readTestdata(t, clientSpool)
	store := filepath.Join(t.TempDir(), "stats")
	for range 2 {
		spool, _ := copySpool(t, data)
		mustRun(t, "--store", store, "sync", spool)
	}
	checkSynced(t, store)
}

func TestSyncTornTail(t *testing.T) {
	data := readTestdata(t, clientSpool)
	sf, err := decodeSpool("x", data)
	if err != nil {
		t.Fatal(err)
	}
	last := sf.Pending[len(sf.Pending)-1]
	for _, cut := range []int64{last.Off + 1, last.Off + spoolRecHeader, last.End - 1} {
		t.Run(fmt.Sprint("cut=", cut), func(t *testing.T) {
			got, err := decodeSpool("x", data[:cut])
			if err != nil {
				t.Fatalf("decodeSpool of a torn tail: %v", err)
			}
			if !got.Torn || got.ValidEnd != last.Off || len(got.Pending) != len(sf.Pending)-1 {
				t.Fatalf("got torn=%v valid end %d, %d records; want torn, %d, %d", got.Torn, got.ValidEnd, len(got.Pending), last.Off, len(sf.Pending)-1)
			}
			spool, path := copySpool(t, data[:cut])
			store := filepath.Join(t.TempDir(), "stats")
			mustRun(t, "--store", store, "sync", spool)
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the synced spool file is still there (stat: %v)", err)
			}
		})
	}
	zeros := append(append([]byte(nil), data...), make([]byte, 64)...)
	if got, err := decodeSpool("x", zeros); err != nil || !got.Torn || len(got.Pending) != len(sf.Pending) {
		t.Errorf("a zero-filled tail: got %+v, %v; want torn with every record", got.Torn, err)
	}
}

func TestSyncCorruptionNamesFileAndOffset(t *testing.T) {
	data := readTestdata(t, clientSpool)
	sf, err := decodeSpool("x", data)
	if err != nil {
		t.Fatal(err)
	}
	// Flip a byte in every record but the last: each is corruption at that record.
	for _, rec := range sf.Pending[:len(sf.Pending)-1] {
		for _, at := range []int64{rec.Off, rec.Off + 5, rec.Off + spoolRecHeader + 1, rec.End - 1} {
			bad := append([]byte(nil), data...)
			bad[at] ^= 0x10
			_, err := decodeSpool("f.spool", bad)
			var ce *statstore.CorruptError
			if !errors.As(err, &ce) || ce.Path != "f.spool" || ce.Offset != rec.Off {
				t.Fatalf("flip at %d: got %v, want corruption of f.spool at %d", at, err, rec.Off)
			}
		}
	}
	bad := append([]byte(nil), data...)
	bad[sf.Pending[0].Off+spoolRecHeader+3] ^= 1
	spool, path := copySpool(t, bad)
	r := run(t, "--store", filepath.Join(t.TempDir(), "stats"), "sync", spool)
	if r.code != exitCorrupt || !strings.Contains(r.stderr, path) || !strings.Contains(r.stderr, strconv.FormatInt(sf.Pending[0].Off, 10)) {
		t.Errorf("sync of a damaged file: exit %d, stderr %q; want %d naming %s and offset %d", r.code, r.stderr, exitCorrupt, path, sf.Pending[0].Off)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the damaged spool file was not left in place: %v", err)
	}
	for _, h := range [][]byte{[]byte("STSPOOL\x00\x02\x00\x00\x00xxxx"), []byte("not a spool file at all")} {
		if _, err := decodeSpool("h", h); !errors.Is(err, statstore.ErrCorrupt) {
			t.Errorf("header %q: got %v, want corruption", h, err)
		}
	}
}

func TestSyncHeldSpoolIsLeftToItsOwner(t *testing.T) {
	spool, path := copySpool(t, readTestdata(t, clientSpool))
	owner := flock.New(path) // a running client's lock
	if ok, err := owner.TryLock(); err != nil || !ok {
		t.Fatalf("lock %s: %v, %v", path, ok, err)
	}
	defer owner.Close()
	store := filepath.Join(t.TempDir(), "stats")
	r := mustRun(t, "--store", store, "sync", spool)
	if !strings.Contains(r.stderr, "held by a running client") {
		t.Errorf("stderr %q, want it to say the file is held", r.stderr)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("a held spool file was removed: %v", err)
	}
}

func TestSyncRefusedCallsAreKept(t *testing.T) {
	// The store holds val_run with other datasets: the spool's validations
	// are a metadata mismatch, refused for good, kept in a rejected file.
	store := filepath.Join(t.TempDir(), "stats")
	meta := filepath.Join(t.TempDir(), "meta.json")
	if err := os.WriteFile(meta, []byte(`{"datasets": ["other"], "parameters": [{"id": 0, "name": "threshold_0.5", "values": {"threshold": 0.5}}], "criteria": "dummy"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRunIn(t, `{"iteration": 5, "scores": [[[0.5, 0.5]]]}`+"\n", "--store", store, "put", "validation", "val_run", "--meta", meta)
	spool, path := copySpool(t, readTestdata(t, clientSpool))
	r := run(t, "--store", store, "sync", spool)
	if r.code != exitError || !strings.Contains(r.stderr, "metadata") {
		t.Fatalf("sync: exit %d, stderr %q; want %d naming the metadata mismatch", r.code, r.stderr, exitError)
	}
	rejected := filepath.Join(filepath.Dir(path), spoolRejectedPre+filepath.Base(path))
	data, err := os.ReadFile(rejected)
	if err != nil {
		t.Fatalf("no rejected file: %v", err)
	}
	sf, err := decodeSpool(rejected, data)
	if err != nil || len(sf.Pending) != 2 || sf.Pending[0].Validation == nil {
		t.Fatalf("rejected file holds %d records (%v), want the 2 validation calls", len(sf.Pending), err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the synced spool file is still there (stat: %v)", err)
	}
	// The training calls were stored all the same.
	s := openFileStore(t, store)
	got, err := s.RetrieveTrainingStats(context.Background(), "train_run")
	if err != nil || got.TrainedUntil() != 300 {
		t.Errorf("train_run trained until %d (%v), want 300", got.TrainedUntil(), err)
	}
}

func TestDecodeSpoolAcks(t *testing.T) {
	data := readTestdata(t, clientSpool)
	sf, err := decodeSpool("x", data)
	if err != nil {
		t.Fatal(err)
	}
	for k, rec := range sf.Pending {
		acked := append(append([]byte(nil), data...), spoolAckFrame(rec.End)...)
		got, err := decodeSpool("x", acked)
		if err != nil || len(got.Pending) != len(sf.Pending)-k-1 {
			t.Fatalf("ack of record %d: %d pending (%v), want %d", k, len(got.Pending), err, len(sf.Pending)-k-1)
		}
	}
	bad := append(append([]byte(nil), data...), spoolAckFrame(int64(len(data))+100)...)
	if _, err := decodeSpool("x", bad); !errors.Is(err, statstore.ErrCorrupt) {
		t.Errorf("an ack past itself: got %v, want corruption", err)
	}
}

func FuzzDecodeSpool(f *testing.F) {
	data, err := os.ReadFile(clientSpool)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Add([]byte(spoolHeader()))
	f.Add(append([]byte(spoolHeader()), spoolAckFrame(16)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		sf, err := decodeSpool("fuzz", data)
		if err != nil {
			var ce *statstore.CorruptError
			if !errors.As(err, &ce) || ce.Path != "fuzz" || ce.Offset < 0 || ce.Offset > int64(len(data)) {
				t.Fatalf("error %v is not corruption of fuzz at an offset in the file", err)
			}
			return
		}
		if sf.ValidEnd > int64(len(data)) || (!sf.Torn && len(data) >= spoolHeaderSize && sf.ValidEnd != int64(len(data))) {
			t.Fatalf("valid end %d of %d bytes, torn %v", sf.ValidEnd, len(data), sf.Torn)
		}
		prev := int64(0)
		for _, r := range sf.Pending {
			if r.Off < prev || r.End <= r.Off || r.End > sf.ValidEnd || (r.Training == nil) == (r.Validation == nil) {
				t.Fatalf("record %+v out of place (previous end %d, valid end %d)", r, prev, sf.ValidEnd)
			}
			prev = r.End
			if v := r.Validation; v != nil {
				for _, e := range v.Scores.Scores {
					if sh, ok := e.Shape(); !ok || sh != v.Scores.Shape() {
						t.Fatalf("decoded scores of shape %v (%v), metadata %v", sh, ok, v.Scores.Shape())
					}
				}
			}
			// The framing round-trips.
			if r.Training != nil && binary.LittleEndian.Uint32(data[r.Off:]) != uint32(r.End-r.Off-spoolRecHeader) {
				t.Fatalf("record at %d: length field disagrees with its end %d", r.Off, r.End)
			}
		}
	})
}

// FuzzDecodeSpoolBody fuzzes the record bodies behind the checksums (which
// keep FuzzDecodeSpool's mutations from reaching them): no body panics, and
// what decodes is one call with entries that fit its record.
func FuzzDecodeSpoolBody(f *testing.F) {
	data, err := os.ReadFile(clientSpool)
	if err != nil {
		f.Fatal(err)
	}
	sf, err := decodeSpool("seed", data)
	if err != nil {
		f.Fatal(err)
	}
	for _, r := range sf.Pending {
		f.Add(data[r.Off+spoolRecHeader : r.End])
	}
	f.Add([]byte{spoolAck, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Fuzz(func(t *testing.T, body []byte) {
		rec, _, err := decodeSpoolBody(body)
		if err != nil || rec == nil {
			return
		}
		if tr := rec.Training; tr != nil && len(tr.Entries)*24 > len(body) {
			t.Fatalf("%d training entries from a %d-byte body", len(tr.Entries), len(body))
		}
		if v := rec.Validation; v != nil {
			sh := v.Scores.Shape()
			for _, e := range v.Scores.Scores {
				if got, ok := e.Shape(); !ok || got != sh || e.Iteration < 0 {
					t.Fatalf("entry %d of shape %v, metadata %v", e.Iteration, got, sh)
				}
			}
		}
	})
}
