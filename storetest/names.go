package storetest

import (
	"fmt"
	"strings"

	"github.com/statstore/statstore"
)

// validRunNames are names every store must accept and keep apart: unicode,
// spaces and punctuation, names that look like a backend's own files, and
// the longest name allowed.
func validRunNames() []string {
	return []string{
		"run",
		"Run", // case-sensitive: another run than "run"
		"RUN",
		"ünïcödé-训练-🚀",
		"with space",
		" leading and trailing ",
		"a.b",
		"...",
		".hidden",
		"run.tmp",
		"run.lock",
		"~run",
		"-dash",
		"quote'\"`",
		"percent%2Fslash",
		"semi;colon:&?#=",
		"%",
		"null",
		strings.Repeat("a", statstore.MaxRunNameLen),
		strings.Repeat("€", 66) + "ab", // 200 bytes
	}
}

// invalidRunNames are the names SPEC §2 rejects.
func invalidRunNames() []struct{ name, run string } {
	return []struct{ name, run string }{
		{"Empty", ""},
		{"Dot", "."},
		{"DotDot", ".."},
		{"Slash", "/"},
		{"WithSlash", "a/b"},
		{"Traversal", "../escape"},
		{"Backslash", `a\b`},
		{"NUL", "a\x00b"},
		{"Newline", "a\nb"},
		{"Tab", "\t"},
		{"Escape", "a\x1b[31m"},
		{"DEL", "a\x7f"},
		{"C1Control", "a\u0085b"},
		{"TooLong", strings.Repeat("a", statstore.MaxRunNameLen+1)},
		{"TooLongMultibyte", strings.Repeat("€", 67)}, // 67 runes, 201 bytes
		{"InvalidUTF8", "a\xffb"},
		{"TruncatedUTF8", "a\xc3"},
	}
}

// nameTests check that valid names work and are distinct and that every
// invalid name is rejected by every method with ErrInvalidRunName.
func nameTests() []test {
	var out []test
	out = append(out, test{"Valid", func(e *env) {
		names := validRunNames()
		m := Metadata()
		for i, run := range names {
			e.storeTraining(run, TrainingVersion(i, 0, 1, i+2))
			e.storeScores(run, ScoresVersion(m, i, i))
		}
		var want []statstore.RunInfo
		for i, run := range names {
			e.wantTraining(run, Entries(i, 0, 1, i+2))
			e.wantScores(run, m, entries(m, i, i))
			want = append(want, statstore.RunInfo{Run: run, TrainedUntil: i + 3, TrainingIterations: 3, ValidatedUntil: i + 1, ValidationIterations: 1})
		}
		sortRuns(want)
		e.wantRuns(want...)
		for _, run := range names {
			e.ok(fmt.Sprintf("DeleteRun(%q)", run), e.s.DeleteRun(e.ctx, run))
		}
		e.wantRuns()
	}})
	for _, c := range invalidRunNames() {
		out = append(out, test{"Invalid/" + c.name, func(e *env) {
			e.storeTraining("run", Training(0, 1))
			before := e.snapshot("run")
			for _, call := range runCalls() {
				err := call.fn(e, c.run)
				e.wantErr(fmt.Sprintf("%s(%q)", call.name, c.run), err, statstore.ErrInvalidRunName)
			}
			e.wantUnchanged("run", before, "calls with an invalid run name")
			e.wantRuns(statstore.RunInfo{Run: "run", TrainedUntil: 2, TrainingIterations: 2})
		}})
	}
	return out
}

// runCall is one store method called with valid arguments for a run.
type runCall struct {
	name string
	fn   func(e *env, run string) error
}

// runCalls lists every method that takes a run name.
func runCalls() []runCall {
	return []runCall{
		{"StoreTrainingStats", func(e *env, run string) error {
			return e.s.StoreTrainingStats(e.ctx, run, Training(0, 1, 2))
		}},
		{"RetrieveTrainingStats", func(e *env, run string) error {
			_, err := e.s.RetrieveTrainingStats(e.ctx, run)
			return err
		}},
		{"AppendTrainingStats", func(e *env, run string) error {
			_, err := statstore.AppendTrainingStats(e.ctx, e.s, run, nil)
			return err
		}},
		{"StoreValidationIterationScores", func(e *env, run string) error {
			return e.s.StoreValidationIterationScores(e.ctx, run, Scores(Metadata(), 0))
		}},
		{"RetrieveValidationIterationScores", func(e *env, run string) error {
			_, err := e.s.RetrieveValidationIterationScores(e.ctx, run)
			return err
		}},
		{"DeleteTrainingStats", func(e *env, run string) error {
			return e.s.DeleteTrainingStats(e.ctx, run)
		}},
		{"RetrieveValidationScores", func(e *env, run string) error {
			_, err := e.s.RetrieveValidationScores(e.ctx, run)
			return err
		}},
		{"DeleteValidationScores", func(e *env, run string) error {
			return e.s.DeleteValidationScores(e.ctx, run)
		}},
		{"DeleteRun", func(e *env, run string) error {
			return e.s.DeleteRun(e.ctx, run)
		}},
		{"RetrieveTrainingRange", func(e *env, run string) error {
			_, err := e.s.RetrieveTrainingRange(e.ctx, run, statstore.IterationRange{From: 0, To: 10})
			return err
		}},
		{"SubsampleTraining", func(e *env, run string) error {
			_, err := e.s.SubsampleTraining(e.ctx, run, statstore.SubsampleOptions{})
			return err
		}},
	}
}
