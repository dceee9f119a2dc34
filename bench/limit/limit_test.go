package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		file      string
		want      result
		wantBytes int64
	}{
		{"train", []string{"train", "--iterations", "2500", "--every", "1000", "--sync=false"}, "train",
			result{Workload: "train", Iterations: 2500, Every: 1000, Checkpoints: 3, Calls: 3}, 2500 * entrySize},
		{"train synced", []string{"train", "--iterations", "30", "--every", "10"}, "train",
			result{Workload: "train", Iterations: 30, Every: 10, Checkpoints: 3, Calls: 3, Sync: true}, 30 * entrySize},
		{"validation", []string{"validation", "--checkpoints", "3", "--every", "10", "--datasets", "2", "--parameters", "3", "--criteria", "4", "--sync=false"}, "validation",
			result{Workload: "validation", Iterations: 30, Every: 10, Checkpoints: 3, Calls: 3}, 3 * (8 + 8*2*3*4)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var out bytes.Buffer
			if err := run(append(tc.args, "--dir", dir), &out); err != nil {
				t.Fatal(err)
			}
			if strings.Count(out.String(), "\n") != 1 {
				t.Fatalf("output %q, want one JSON line", out.String())
			}
			var got result
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.WriteS < 0 || got.ReadS < 0 || (tc.want.Workload == "train") != (got.SubsampleS != nil) {
				t.Errorf("times %+v: want non-negative, and a subsample time for train only", got)
			}
			got.WriteS, got.ReadS, got.SubsampleS = 0, 0, nil
			tc.want.Bytes = tc.wantBytes
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			fi, err := os.Stat(filepath.Join(dir, tc.file))
			if err != nil || fi.Size() != tc.wantBytes {
				t.Errorf("file %s: %v (%v), want %d bytes", tc.file, fi, err, tc.wantBytes)
			}
		})
	}
}

func TestReadBack(t *testing.T) {
	dir := t.TempDir()
	if err := run([]string{"train", "--dir", dir, "--iterations", "1234", "--every", "100", "--sync=false"}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	stats, err := readTraining(filepath.Join(dir, "train"))
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range stats {
		if s.Iteration != i || s.Loss != 1/float64(i+1) || s.Time != 0.01 {
			t.Fatalf("entry %d = %+v, want iteration %d, loss 1/%d, time 0.01", i, s, i, i+1)
		}
	}
	pts, err := subsample(filepath.Join(dir, "train"), len(stats))
	if err != nil || len(pts) != 1000 || pts[0].Iteration != 0 || pts[999].Iteration != 1233 {
		t.Errorf("subsample: %d points from %v to %v (%v), want 1,000 from 0 to 1233", len(pts), pts[0], pts[len(pts)-1], err)
	}
}

func TestRunBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"no workload", nil},
		{"unknown workload", []string{"both", "--dir", "D"}},
		{"no dir", []string{"train"}},
		{"zero every", []string{"train", "--dir", "D", "--every", "0"}},
		{"zero iterations", []string{"train", "--dir", "D", "--iterations", "0"}},
		{"zero criteria", []string{"validation", "--dir", "D", "--criteria", "0"}},
		{"unknown flag", []string{"train", "--dir", "D", "--fast"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string(nil), tc.args...)
			for i, a := range args {
				if a == "D" {
					args[i] = t.TempDir()
				}
			}
			var out bytes.Buffer
			if err := run(args, &out); !errors.Is(err, errUsage) || out.Len() > 0 {
				t.Errorf("error %v, output %q; want a usage error and no output", err, out.String())
			}
		})
	}
	t.Run("existing file", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "train"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := run([]string{"train", "--dir", dir}, &bytes.Buffer{}); err == nil || errors.Is(err, errUsage) {
			t.Errorf("error %v, want one saying the file exists", err)
		}
	})
}
