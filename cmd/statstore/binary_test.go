package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

// buildBinary builds the statstore command into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is needed to build the binary: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "statstore")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestBinary builds the statstore binary and runs it as a user would: the
// demo, then best, then errors with their exit statuses.
func TestBinary(t *testing.T) {
	bin := buildBinary(t)
	store := filepath.Join(t.TempDir(), "stats")
	exe := func(env []string, args ...string) (string, string, int) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), env...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			code = exitErr.ExitCode()
		} else if err != nil {
			t.Fatalf("run %v: %v", args, err)
		}
		if strings.Contains(stderr.String(), "goroutine ") {
			t.Errorf("statstore %v printed a stack trace:\n%s", args, stderr.String())
		}
		return stdout.String(), stderr.String(), code
	}

	out, stderr, code := exe(nil, "--store", store, "demo", "--iterations", "1000", "--validate-every", "100")
	if code != 0 || !strings.Contains(out, "Try next") {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, stderr)
	}
	out, stderr, code = exe([]string{"STATSTORE=" + store}, "best", "demo_unet", "--criterion", "f1_score", "--json")
	var lines []statstore.Best
	if code != 0 || json.Unmarshal([]byte(out), &lines) != nil || len(lines) != 2 {
		t.Fatalf("best: exit %d, want 2 JSON lines:\n%s\n%s", code, out, stderr)
	}
	if _, stderr, code = exe(nil, "frobnicate"); code != exitUsage || !strings.HasPrefix(stderr, "statstore: unknown command") {
		t.Errorf("unknown command: exit %d, stderr %q", code, stderr)
	}
	if _, stderr, code = exe(nil, "--store", store, "show", "nope"); code != exitError || !strings.Contains(stderr, "hint:") {
		t.Errorf("unknown run: exit %d, stderr %q", code, stderr)
	}
	cmd := exec.Command(bin, "--store", store, "put", "training", "r")
	cmd.Stdin = strings.NewReader("{\"iteration\": 0, \"loss\": NaN, \"time\": 1}\nnot json\n")
	if err := cmd.Run(); err == nil {
		t.Error("put of bad input exited 0")
	}
}
