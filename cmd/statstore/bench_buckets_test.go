package main

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

// TestBenchBuckets: the bucket workload stores the history it says (with
// its NaN and +Inf losses), and its JSON line reports the answer the
// store gives for it (how many buckets, of which width), its times and
// the store's size.
func TestBenchBuckets(t *testing.T) {
	const n, buckets = 5000, 100
	dir := filepath.Join(t.TempDir(), "store")
	r := mustRun(t, "bench", "buckets", "--dir", dir, "--iterations", "5000", "--every", "1000",
		"--buckets", "100", "--repeats", "2", "--sync=false")
	if strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("stdout, want one JSON line:\n%s", r.stdout)
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	var res bucketsResult
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("stdout is not the buckets JSON line (%v):\n%s", err, r.stdout)
	}
	st, err := openBenchStore(t, dir).RetrieveTrainingStats(context.Background(), "bench_buckets")
	if err != nil {
		t.Fatal(err)
	}
	if st.Len() != n {
		t.Fatalf("store holds %d entries, want %d", st.Len(), n)
	}
	for i, e := range st.IterationStats {
		if want := bucketLoss(i); e.Iteration != i || !sameLoss(e.Loss, want) {
			t.Fatalf("entry %d = %+v, want iteration %d with loss %v", i, e, i, want)
		}
	}
	want, width, err := statstore.BucketTraining(st.IterationStats, statstore.BucketOptions{Buckets: buckets})
	if err != nil {
		t.Fatal(err)
	}
	if res.Workload != "buckets" || res.Iterations != n || res.Every != 1000 || res.Sync || res.Buckets != buckets ||
		res.Got != len(want) || res.Width != width {
		t.Errorf("got %+v, want %d buckets of width %d answered for %d iterations", res, len(want), width, n)
	}
	checkTimes(t, map[string]*float64{"setup_s": &res.SetupS, "build_s": &res.BuildS, "cold_s": &res.ColdS, "warm_s": &res.WarmS})
	if res.ColdS == 0 || res.WarmS == 0 {
		t.Errorf("cold_s %v, warm_s %v: want both timed", res.ColdS, res.WarmS)
	}
	if res.Bytes == nil || *res.Bytes != dirBytes(t, dir) {
		t.Errorf("bytes = %v, want the store's size %d", res.Bytes, dirBytes(t, dir))
	}
}

// sameLoss reports whether a and b are the same loss, NaN equal to NaN.
func sameLoss(a, b float64) bool { return a == b || a != a && b != b }

// TestBenchBucketsUsage: bad flags are usage errors naming the flag, and
// nothing is written.
func TestBenchBucketsUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--buckets", "0"},
		{"--buckets", "100001"},
		{"--repeats", "0"},
		{"--iterations", "0"},
	} {
		dir := filepath.Join(t.TempDir(), "store")
		r := run(t, append([]string{"bench", "buckets", "--dir", dir}, args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, args[0]) {
			t.Errorf("bench buckets %v: exit %d, stderr %q; want 2 naming %s", args, r.code, r.stderr, args[0])
		}
		if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("bench buckets %v: the store directory is there (%v), want nothing written", args, err)
		}
	}
}
