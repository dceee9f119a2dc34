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
			checkTimes(t, map[string]*float64{"write_s": &wr, "read_s": &rd, "subsample_s": res.SubsampleS, "subsample_warm_s": res.SubsampleWarmS})
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
