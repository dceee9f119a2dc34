package storetest

import (
	"fmt"

	"github.com/statstore/statstore"
)

// closedTests check that every call on a closed store fails with ErrClosed.
func closedTests() []test {
	return []test{
		{"EveryMethodFails", func(e *env) {
			e.storeTraining("run", Training(0, 1))
			e.storeScores("run", Scores(Metadata(), 0))
			e.ok("Close", e.s.Close())
			e.closed = true
			for _, call := range runCalls() {
				for _, run := range []string{"run", "never-stored"} {
					err := call.fn(e, run)
					e.wantErr(fmt.Sprintf("%s(%q) after Close", call.name, run), err, statstore.ErrClosed)
				}
			}
			runs, err := e.s.ListRuns(e.ctx)
			e.wantErr(fmt.Sprintf("ListRuns after Close (got %v)", runs), err, statstore.ErrClosed)
		}},
	}
}
