package storetest_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/memstore"
	"github.com/statstore/statstore/storetest"
)

// The child process of TestSuiteCatchesMutants reads which mutant to run,
// and which suite, from these variables.
const (
	envMutant = "STORETEST_TEST_MUTANT"
	envSuite  = "STORETEST_TEST_SUITE"
)

func TestMemstorePasses(t *testing.T) {
	storetest.Run(t, func(t *testing.T) statstore.StatsStore { return memstore.New(nil) })
}

// TestMutantChild runs the suite on one mutant when started by
// TestSuiteCatchesMutants; otherwise it does nothing.
func TestMutantChild(t *testing.T) {
	kind := os.Getenv(envMutant)
	if kind == "" {
		return
	}
	open := func(t *testing.T) statstore.StatsStore { return newMutant(kind) }
	if os.Getenv(envSuite) == "model" {
		storetest.RunModel(t, open, storetest.ModelOptions{Seed: 1, Sequences: 8, Ops: 80})
	} else {
		storetest.Run(t, open)
	}
}

// TestSuiteCatchesMutants checks that the suite fails on stores with known
// bugs: each mutant runs in a child process, which must fail.
func TestSuiteCatchesMutants(t *testing.T) {
	if os.Getenv(envMutant) != "" {
		return
	}
	// The control: the wrapper without a bug passes, so the failures
	// below come from the bugs.
	for _, suite := range []string{"run", "model"} {
		t.Run("control/"+suite, func(t *testing.T) {
			t.Parallel()
			if out, err := runChild("none", suite, ""); err != nil {
				t.Fatalf("suite %s on the unmutated wrapper: got %v, want PASS; output:\n%s", suite, err, out)
			}
		})
	}
	for _, m := range mutants {
		suites := []string{"run"}
		if m.model {
			suites = append(suites, "model")
		}
		for _, suite := range suites {
			t.Run(m.kind+"/"+suite, func(t *testing.T) {
				t.Parallel()
				group := m.group
				if suite == "model" {
					group = ""
				}
				out, err := runChild(m.kind, suite, group)
				if err == nil {
					t.Fatalf("suite %s on mutant %s: got PASS, want FAIL; output:\n%s", suite, m.kind, out)
				}
				if _, ok := err.(*exec.ExitError); !ok || !strings.Contains(string(out), "--- FAIL: TestMutantChild") {
					t.Fatalf("suite %s on mutant %s: got %v, want a failing test; output:\n%s", suite, m.kind, err, out)
				}
				failed := 0
				for _, line := range strings.Split(string(out), "\n") {
					if strings.Contains(line, "--- FAIL") {
						failed++
					}
				}
				t.Logf("%d failing tests and subtests", failed)
			})
		}
	}
}

// runChild runs TestMutantChild in a child process on the given mutant,
// limited to one group of Run's subtests unless group is empty.
func runChild(kind, suite, group string) ([]byte, error) {
	pattern := "^TestMutantChild$"
	if group != "" {
		pattern += "/^" + group + "$"
	}
	cmd := exec.Command(os.Args[0], "-test.run="+pattern, "-test.count=1")
	cmd.Env = append(os.Environ(), envMutant+"="+kind, envSuite+"="+suite)
	return cmd.CombinedOutput()
}
