// Package scripts holds the tests of the repository's shell scripts.
package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeTools writes stand-ins for the commands scripts/test.sh runs into a
// directory put first on PATH: go (its test fails when goTest is false,
// its build writes the -o file), python3 (fails when python is false),
// and chromium, apt-get and sudo so that nothing is installed. Each
// records its command line in calls.
func fakeTools(t *testing.T, goTest, python bool) (path, calls string) {
	t.Helper()
	dir := t.TempDir()
	calls = filepath.Join(dir, "calls")
	status := func(ok bool) string {
		if ok {
			return "0"
		}
		return "1"
	}
	scripts := map[string]string{
		"go": `echo "go $*" >> "$CALLS"
case "$1" in
test) exit ` + status(goTest) + ` ;;
build) while [ $# -gt 0 ]; do [ "$1" = -o ] && { : > "$2"; chmod +x "$2"; }; shift; done; exit 0 ;;
esac
exit 0`,
		"python3":  `echo "python3 $* STATSTORE_BIN=$STATSTORE_BIN" >> "$CALLS"; exit ` + status(python),
		"chromium": `exit 0`,
		"apt-get":  `echo "apt-get $*" >> "$CALLS"; exit 0`,
		"sudo":     `exec "$@"`,
	}
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir + string(os.PathListSeparator) + "/usr/bin:/bin", calls
}

// TestTestShRunsEverySuite: scripts/test.sh runs the Python tests even when
// the Go tests fail (its set -e used to skip them), and fails at the end
// naming each failed suite.
func TestTestShRunsEverySuite(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash on this machine to run scripts/test.sh with")
	}
	cases := []struct {
		name         string
		goOK, pyOK   bool
		wantOK       bool
		wantFailures []string
	}{
		{"all pass", true, true, true, nil},
		{"go fails", false, true, false, []string{"go test -race"}},
		{"python fails", true, false, false, []string{"python unittest"}},
		{"both fail", false, false, false, []string{"go test -race", "python unittest"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path, calls := fakeTools(t, c.goOK, c.pyOK)
			cmd := exec.Command("bash", "test.sh", "-short")
			cmd.Env = append(os.Environ(), "PATH="+path, "CALLS="+calls)
			out, err := cmd.CombinedOutput()
			if (err == nil) != c.wantOK {
				t.Errorf("test.sh: err %v, want success %t\n%s", err, c.wantOK, out)
			}
			log, _ := os.ReadFile(calls)
			if !strings.Contains(string(log), "go test -race -count=1 -timeout 25m -short ./...") {
				t.Errorf("test.sh did not run the Go tests with -race and the given flags; calls:\n%s", log)
			}
			if !strings.Contains(string(log), "python3 -m unittest -v STATSTORE_BIN=/") {
				t.Errorf("test.sh did not run the Python tests with the built server; calls:\n%s", log)
			}
			for _, f := range c.wantFailures {
				if !strings.Contains(string(out), "FAILED: "+f) {
					t.Errorf("output does not name the failed suite %q:\n%s", f, out)
				}
			}
			if c.wantOK && !strings.Contains(string(out), "every suite passed") {
				t.Errorf("output does not say every suite passed:\n%s", out)
			}
		})
	}
}
