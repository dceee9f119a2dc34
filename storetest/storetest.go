package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/statstore/statstore"
)

// Opener returns a fresh, empty store for one subtest. The suite closes it
// in a cleanup registered after open returns, so cleanups that open
// registers itself (removing a temporary directory, verifying files) run
// after the store is closed.
type Opener = func(t *testing.T) statstore.StatsStore

// Run runs the conformance suite against the stores open returns: one
// named subtest per rule of the contract, each on a fresh store. Every
// backend's tests call it:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) statstore.StatsStore {
//			s, err := filestore.Open(t.TempDir(), filestore.Options{})
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
func Run(t *testing.T, open Opener) {
	t.Helper()
	groups := []struct {
		name  string
		tests func() []test
	}{
		{"Training", trainingTests},
		{"Validation", validationTests},
		{"Unknown", unknownTests},
		{"Delete", deleteTests},
		{"ListRuns", listTests},
		{"LastWrite", lastWriteTests},
		{"Range", rangeTests},
		{"Subsample", subsampleTests},
		{"Floats", floatTests},
		{"Isolation", isolationTests},
		{"RunNames", nameTests},
		{"BadInput", badInputTests},
		{"IterationBound", iterationTests},
		{"Aliasing", aliasingTests},
		{"Closed", closedTests},
		{"Concurrent", concurrentTests},
		{"Summaries", summaryTests},
		{"Buckets", bucketTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests() {
				t.Run(tc.name, func(t *testing.T) {
					tc.fn(newEnv(t, open))
				})
			}
		})
	}
}

// test is one subtest of the suite.
type test struct {
	name string
	fn   func(e *env)
}

// env is one subtest's store with assertion helpers bound to its t.
type env struct {
	t      *testing.T
	ctx    context.Context
	s      statstore.StatsStore
	closed bool // the test closed s itself
}

// newEnv opens a fresh store and closes it when the test ends.
func newEnv(t *testing.T, open Opener) *env {
	t.Helper()
	s := open(t)
	if s == nil {
		t.Fatal("open returned a nil store")
	}
	e := &env{t: t, ctx: t.Context(), s: s}
	t.Cleanup(func() {
		err := s.Close()
		switch {
		case e.closed && err != nil && !errors.Is(err, statstore.ErrClosed):
			t.Errorf("second Close: got %v, want nil or an error wrapping ErrClosed", err)
		case !e.closed && err != nil:
			t.Errorf("Close: got %v, want nil", err)
		}
	})
	return e
}
