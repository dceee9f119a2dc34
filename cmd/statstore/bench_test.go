package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/filestore"
	"github.com/statstore/statstore/memstore"
)

// benchLine decodes the single JSON line a bench command prints, failing
// on anything else on stdout and on unknown fields.
func benchLine(t *testing.T, r result) benchResult {
	t.Helper()
	if n := strings.Count(r.stdout, "\n"); n != 1 || !strings.HasSuffix(r.stdout, "\n") {
		t.Fatalf("stdout has %d lines, want exactly one JSON line:\n%s", n, r.stdout)
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	var res benchResult
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("stdout is not a bench JSON line (%v):\n%s", err, r.stdout)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.stdout), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"workload", "iterations", "every", "write_s", "read_s", "subsample_s", "bytes"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("JSON line has no %q field:\n%s", k, r.stdout)
		}
	}
	return res
}

// checkTimes fails unless every time the line reports is a non-negative
// number.
func checkTimes(t *testing.T, times map[string]*float64) {
	t.Helper()
	for name, v := range times {
		if v == nil || *v < 0 {
			t.Errorf("%s = %v, want a time in seconds >= 0", name, v)
		}
	}
}

// dirBytes returns the total size of the regular files under dir.
func dirBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func openBenchStore(t *testing.T, dir string) *filestore.Store {
	t.Helper()
	s, err := filestore.Open(dir, filestore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestBenchTrain(t *testing.T) {
	tests := []struct {
		name       string
		n, every   int
		wantStored []int
	}{
		{"checkpoints only", 3000, 1000, []int{1000, 2000, 3000}},
		{"last call at the end", 2500, 1000, []int{1000, 2000, 2500}},
		{"one call", 7, 100, []int{7}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "store")
			r := mustRun(t, "bench", "train", "--dir", dir, "--iterations", fmt.Sprint(tc.n),
				"--every", fmt.Sprint(tc.every), "--sync=false", "--progress")
			res := benchLine(t, r)
			wantRes := benchResult{Workload: "train", Iterations: tc.n, Every: tc.every, Checkpoints: len(tc.wantStored), Calls: len(tc.wantStored)}
			if res.Workload != wantRes.Workload || res.Iterations != wantRes.Iterations || res.Every != wantRes.Every ||
				res.Calls != wantRes.Calls || res.Checkpoints != wantRes.Checkpoints || res.Sync {
				t.Errorf("got %+v, want %+v", res, wantRes)
			}
			wr, rd := res.WriteS, res.ReadS
			checkTimes(t, map[string]*float64{"write_s": &wr, "read_s": &rd, "read_warm_s": res.ReadWarmS, "subsample_s": res.SubsampleS, "subsample_warm_s": res.SubsampleWarmS})
			if res.BestS != nil {
				t.Errorf("best_s = %v, want none for train", *res.BestS)
			}
			if res.Bytes == nil || *res.Bytes != dirBytes(t, dir) || *res.Bytes < int64(24*tc.n) {
				t.Errorf("bytes = %v, want the store's size %d (>= %d)", res.Bytes, dirBytes(t, dir), 24*tc.n)
			}
			var want strings.Builder
			for _, u := range tc.wantStored {
				fmt.Fprintf(&want, "stored %d\n", u)
			}
			if r.stderr != want.String() {
				t.Errorf("stderr:\n%s\nwant the progress lines:\n%s", r.stderr, want.String())
			}
			st, err := openBenchStore(t, dir).RetrieveTrainingStats(context.Background(), "bench_train")
			if err != nil {
				t.Fatal(err)
			}
			if st.Len() != tc.n {
				t.Fatalf("store holds %d entries, want %d", st.Len(), tc.n)
			}
			for i, e := range st.IterationStats {
				if e != (statstore.TrainingIterationStats{Iteration: i, Loss: 1 / float64(i+1), Time: 0.01}) {
					t.Fatalf("entry %d = %+v, want iteration %d, loss 1/%d, time 0.01", i, e, i, i+1)
				}
			}
		})
	}
}

func TestBenchValidation(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantShape [3]int
		wantCrit  string
	}{
		{"defaults", nil, [3]int{2, 9, 21}, "f1_score"},
		{"generic criteria", []string{"--datasets", "1", "--parameters", "3", "--criteria", "4"}, [3]int{1, 3, 4}, "criterion_3"},
		{"preset", []string{"--datasets", "3", "--parameters", "2", "--criteria", "instance"}, [3]int{3, 2, 3}, "voi"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "store")
			args := append([]string{"bench", "validation", "--dir", dir, "--checkpoints", "4", "--every", "10", "--sync=false", "--progress"}, tc.args...)
			r := mustRun(t, args...)
			res := benchLine(t, r)
			if res.Workload != "validation" || res.Iterations != 40 || res.Every != 10 || res.Checkpoints != 4 || res.Calls != 4 {
				t.Errorf("got %+v, want validation, 40 iterations, every 10, 4 checkpoints and calls", res)
			}
			wr, rd := res.WriteS, res.ReadS
			checkTimes(t, map[string]*float64{"write_s": &wr, "read_s": &rd, "best_s": res.BestS})
			if res.SubsampleS != nil {
				t.Errorf("subsample_s = %v, want null for validation", *res.SubsampleS)
			}
			if res.ReadWarmS != nil {
				t.Errorf("read_warm_s = %v, want none for validation", *res.ReadWarmS)
			}
			if res.Bytes == nil || *res.Bytes != dirBytes(t, dir) {
				t.Errorf("bytes = %v, want the store's size %d", res.Bytes, dirBytes(t, dir))
			}
			if want := "stored 11\nstored 21\nstored 31\nstored 41\n"; r.stderr != want {
				t.Errorf("stderr:\n%s\nwant:\n%s", r.stderr, want)
			}
			vs, err := openBenchStore(t, dir).RetrieveValidationScores(context.Background(), "bench_validation")
			if err != nil {
				t.Fatal(err)
			}
			if vs.Len() != 4 || vs.Shape() != tc.wantShape || vs.Scores[3].Iteration != 40 {
				t.Fatalf("store holds %d checkpoints of shape %v ending at %d, want 4 of %v ending at 40",
					vs.Len(), vs.Shape(), vs.Scores[vs.Len()-1].Iteration, tc.wantShape)
			}
			if _, ok := vs.Criterion(tc.wantCrit); !ok {
				t.Errorf("criteria %v, want %q among them", vs.Criteria(), tc.wantCrit)
			}
		})
	}
}

func TestBenchBadInput(t *testing.T) {
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "x"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"no store", []string{"bench", "train"}, exitUsage, "--dir DIR"},
		{"zero iterations", []string{"bench", "train", "--dir", "NEW", "--iterations", "0"}, exitUsage, "--iterations 0"},
		{"zero every", []string{"bench", "validation", "--dir", "NEW", "--every", "0"}, exitUsage, "--every 0"},
		{"unknown preset", []string{"bench", "validation", "--dir", "NEW", "--criteria", "nope"}, exitUsage, `--criteria "nope"`},
		{"no criteria", []string{"bench", "validation", "--dir", "NEW", "--criteria", "0"}, exitUsage, "--criteria 0"},
		{"no datasets", []string{"bench", "validation", "--dir", "NEW", "--datasets", "0"}, exitUsage, "--datasets 0"},
		{"not empty", []string{"bench", "train", "--dir", full}, exitError, "is not empty"},
		{"bad run name", []string{"bench", "train", "--dir", "NEW", "--run", "a/b"}, exitError, "a/b"},
		{"argument", []string{"bench", "train", "--dir", "NEW", "extra"}, exitUsage, "extra"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string(nil), tc.args...)
			for i, a := range args {
				if a == "NEW" {
					args[i] = filepath.Join(t.TempDir(), "store")
				}
			}
			r := run(t, args...)
			if r.code != tc.wantCode || !strings.Contains(r.stderr, tc.wantErr) {
				t.Errorf("exit %d, stderr %q; want exit %d and a message with %q", r.code, r.stderr, tc.wantCode, tc.wantErr)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing on error", r.stdout)
			}
		})
	}
}

// TestBenchStoreFlag checks that a benchmark writes to the store named by
// --store and refuses to write over a run that already holds data.
func TestBenchStoreFlag(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	res := benchLine(t, mustRun(t, "--store", dir, "bench", "train", "--iterations", "10", "--every", "5"))
	if res.Bytes != nil {
		t.Errorf("bytes = %d, want null for a store named by --store", *res.Bytes)
	}
	if st, err := openBenchStore(t, dir).RetrieveTrainingStats(context.Background(), "bench_train"); err != nil || st.Len() != 10 {
		t.Fatalf("store holds %v entries (%v), want 10", st, err)
	}
	r := run(t, "--store", dir, "bench", "train", "--iterations", "10", "--every", "5")
	if r.code != exitError || !strings.Contains(r.stderr, `run "bench_train" already holds data`) {
		t.Errorf("second run: exit %d, stderr %q; want exit %d refusing the existing run", r.code, r.stderr, exitError)
	}
	other := benchLine(t, mustRun(t, "--store", dir, "bench", "validation", "--run", "other", "--checkpoints", "2"))
	if other.Calls != 2 {
		t.Errorf("validation into another run: %d calls, want 2", other.Calls)
	}
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(other); err != nil || !strings.Contains(buf.String(), `"bytes":null`) {
		t.Errorf("encoded %s (%v), want bytes null", buf.String(), err)
	}
}

// countingStore counts SubsampleTraining calls and fails the call numbered
// failAt (1-based; 0 never).
type countingStore struct {
	statstore.StatsStore
	calls, failAt int
}

func (c *countingStore) SubsampleTraining(ctx context.Context, run string, opts statstore.SubsampleOptions) ([]statstore.TrainingIterationStats, error) {
	c.calls++
	if c.calls == c.failAt {
		return nil, fmt.Errorf("call %d: %w", c.calls, statstore.ErrNotFound)
	}
	return c.StatsStore.SubsampleTraining(ctx, run, opts)
}

// TestBenchTrainSubsample checks that the warm figure is timed only after
// the untimed warm-ups (the call that maps the file is not a warm one) and
// that an error in any call is returned.
func TestBenchTrainSubsample(t *testing.T) {
	ctx := context.Background()
	const n = 50
	stats := &statstore.TrainingStats{}
	for i := range n {
		if err := stats.AddIterationStats(statstore.TrainingIterationStats{Iteration: i, Loss: 1, Time: 0.01}); err != nil {
			t.Fatal(err)
		}
	}
	allCalls := 1 + subsampleWarmUps + subsampleWarmRepeats
	tests := []struct {
		name              string
		failAt            int
		wantCalls         int
		wantErr           bool
		wantCold, wantHot bool
	}{
		{"all calls succeed", 0, allCalls, false, true, true},
		{"cold call fails", 1, 1, true, false, false},
		{"warm-up fails", 1 + subsampleWarmUps, 1 + subsampleWarmUps, true, true, false},
		{"last timed call fails", allCalls, allCalls, true, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := memstore.New(nil)
			if err := mem.StoreTrainingStats(ctx, "r", stats); err != nil {
				t.Fatal(err)
			}
			s := &countingStore{StatsStore: mem, failAt: tc.failAt}
			var res benchResult
			err := benchTrainSubsample(ctx, s, "r", n, &res)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want an error: %v", err, tc.wantErr)
			}
			if s.calls != tc.wantCalls {
				t.Errorf("%d subsample calls, want %d", s.calls, tc.wantCalls)
			}
			if (res.SubsampleS != nil) != tc.wantCold || (res.SubsampleWarmS != nil) != tc.wantHot {
				t.Errorf("cold %v, warm %v; want cold set %v, warm set %v", res.SubsampleS, res.SubsampleWarmS, tc.wantCold, tc.wantHot)
			}
		})
	}
	t.Run("wrong last iteration", func(t *testing.T) {
		mem := memstore.New(nil)
		if err := mem.StoreTrainingStats(ctx, "r", stats); err != nil {
			t.Fatal(err)
		}
		var res benchResult
		if err := benchTrainSubsample(ctx, mem, "r", n+1, &res); err == nil || !strings.Contains(err.Error(), "last iteration 50") {
			t.Errorf("error %v, want one naming the last iteration 50", err)
		}
	})
}

// benchSizes are the history lengths of the workload benchmarks.
var benchSizes = []struct {
	name string
	n    int
}{{"n=1e4", 10_000}, {"n=1e5", 100_000}, {"n=3e5", 300_000}, {"n=1e6", 1_000_000}}

// writeBenchStore writes the training workload of n iterations into a new
// file store dir (without fsync).
func writeBenchStore(b *testing.B, dir string, n int) {
	b.Helper()
	s, err := filestore.Open(dir, filestore.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := benchTrainWrite(context.Background(), s, "r", n, 1000, func(int) {}); err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkTrainWorkload runs the paths "statstore bench train" times, on
// a file store, for profiling them (go test -cpuprofile; see
// docs/benchmarks.md): the whole training loop (write, with and without
// fsync), a full retrieval from a freshly opened store (read), and a
// 1,000-point subsample cold (first call on a fresh store) and warm (a
// store that has read the run three times before).
func BenchmarkTrainWorkload(b *testing.B) {
	ctx := context.Background()
	for _, size := range benchSizes {
		for _, sync := range []bool{true, false} {
			b.Run(fmt.Sprintf("write/%s/sync=%v", size.name, sync), func(b *testing.B) {
				for b.Loop() {
					s, err := filestore.Open(filepath.Join(b.TempDir(), "store"), filestore.Options{NoSync: !sync})
					if err != nil {
						b.Fatal(err)
					}
					if _, _, err := benchTrainWrite(ctx, s, "r", size.n, 1000, func(int) {}); err != nil {
						b.Fatal(err)
					}
					if err := s.Close(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
	root := b.TempDir() // outlives the sub-benchmarks
	for _, size := range benchSizes {
		dir := filepath.Join(root, size.name)
		written := false // by the first read benchmark of this size
		// fresh runs f on a freshly opened store; opening and closing it
		// are not timed.
		fresh := func(b *testing.B, f func(s *filestore.Store) error) {
			b.StopTimer()
			if !written {
				writeBenchStore(b, dir, size.n)
				written = true
			}
			s, err := filestore.Open(dir, filestore.Options{ReadOnly: true})
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			err = f(s)
			b.StopTimer()
			if cerr := s.Close(); err == nil {
				err = cerr
			}
			b.StartTimer()
			if err != nil {
				b.Fatal(err)
			}
		}
		sub := func(s *filestore.Store) error {
			_, err := s.SubsampleTraining(ctx, "r", statstore.SubsampleOptions{MaxPoints: statstore.DefaultMaxPoints})
			return err
		}
		b.Run("read/"+size.name, func(b *testing.B) {
			for b.Loop() {
				fresh(b, func(s *filestore.Store) error { _, err := s.RetrieveTrainingStats(ctx, "r"); return err })
			}
		})
		b.Run("subsample-cold/"+size.name, func(b *testing.B) {
			for b.Loop() {
				fresh(b, sub)
			}
		})
		b.Run("subsample-warm/"+size.name, func(b *testing.B) {
			fresh(b, func(s *filestore.Store) error {
				for range 1 + subsampleWarmUps {
					if err := sub(s); err != nil {
						return err
					}
				}
				for b.Loop() {
					if err := sub(s); err != nil {
						return err
					}
				}
				return nil
			})
		})
	}
}
