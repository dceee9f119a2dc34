package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/statstore/statstore/filestore"
	"github.com/statstore/statstore/internal/servebench"
)

// TestBenchServe runs the server workload at a small size against the
// in-process server on --dir and checks the one JSON line and the store
// it leaves.
func TestBenchServe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "s")
	r := invoke(t, invocation{args: []string{"bench", "serve", "--dir", dir, "--run", "bs",
		"--iterations", "2500", "--per-request", "1000", "--writers", "3", "--writer-iterations", "1000", "--reads", "1"}})
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("want one JSON line:\n%s", r.stdout)
	}
	var res servebench.Result
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&res); err != nil {
		t.Fatal(err)
	}
	if res.Workload != "serve" || res.Target != "statstore" || res.Requests != 3 || len(res.Reads) != 3 || res.Writers != 3 || res.WritersRate <= 0 {
		t.Errorf("result %+v", res)
	}
	// The runs are in the store, under the --run prefix, whole.
	s, err := filestore.Open(dir, filestore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	infos, err := s.ListRuns(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, info := range infos {
		got = append(got, fmt.Sprintf("%s:%d", info.Run, info.TrainingIterations))
	}
	if want := "[bs_one:2500 bs_w00:1000 bs_w01:1000 bs_w02:1000]"; fmt.Sprint(got) != want {
		t.Errorf("store holds %v, want %s", got, want)
	}

	// Sizes below one are a usage error.
	if r := invoke(t, invocation{args: []string{"bench", "serve", "--iterations", "0"}}); r.code != exitUsage || !strings.Contains(r.stderr, "positive") {
		t.Errorf("--iterations 0: exit %d %s", r.code, r.stderr)
	}
}

// TestBenchCPUProfile: bench --cpuprofile FILE writes a CPU profile that
// go tool pprof reads (gzipped protocol buffers), and a bad path is an
// error naming the flag.
func TestBenchCPUProfile(t *testing.T) {
	prof := filepath.Join(t.TempDir(), "cpu.prof")
	r := invoke(t, invocation{args: []string{"bench", "train", "--dir", filepath.Join(t.TempDir(), "s"),
		"--iterations", "2000", "--cpuprofile", prof}})
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	data, err := os.ReadFile(prof)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		t.Fatalf("the profile (%d bytes) is not gzipped as pprof writes it", len(data))
	}
	r = invoke(t, invocation{args: []string{"bench", "train", "--dir", filepath.Join(t.TempDir(), "s"),
		"--iterations", "2000", "--cpuprofile", filepath.Join(t.TempDir(), "missing", "cpu.prof")}})
	if r.code == 0 || !strings.Contains(r.stderr, "--cpuprofile") {
		t.Fatalf("a profile in a missing directory: exit %d, stderr %q; want an error naming --cpuprofile", r.code, r.stderr)
	}
}
