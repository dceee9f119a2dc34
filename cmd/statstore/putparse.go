package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/statstore/statstore"
)

// maxInputLine bounds one JSON Lines document read by put.
const maxInputLine = 64 << 20

// maxReportedInputErrors is how many bad lines one error message lists.
const maxReportedInputErrors = 10

// inputErrors collects the bad lines of an input.
type inputErrors struct {
	source string
	lines  []string
	more   int
}

func (e *inputErrors) add(line int, format string, args ...any) {
	if len(e.lines) == maxReportedInputErrors {
		e.more++
		return
	}
	e.lines = append(e.lines, fmt.Sprintf("%s line %d: %s", e.source, line, fmt.Sprintf(format, args...)))
}

func (e *inputErrors) err(want string) error {
	if len(e.lines) == 0 {
		return nil
	}
	msg := "bad input, nothing was stored:\n  " + strings.Join(e.lines, "\n  ")
	if e.more > 0 {
		msg += fmt.Sprintf("\n  ... and %d more bad lines", e.more)
	}
	return &userError{msg: msg, hint: want, err: statstore.ErrInvalidArgument}
}

// eachLine calls f with every non-blank line of r and its 1-based number.
func eachLine(r io.Reader, source string, f func(n int, line []byte)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxInputLine)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if n == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		}
		if len(line) == 0 {
			continue
		}
		f(n, line)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &userError{
				msg:  fmt.Sprintf("%s line %d is longer than %d bytes, nothing was stored", source, n+1, maxInputLine),
				hint: "write one JSON document per line",
				err:  statstore.ErrInvalidArgument,
			}
		}
		var sig interrupted
		if errors.As(err, &sig) {
			return fmt.Errorf("read %s: %w; nothing was stored", source, err)
		}
		return fmt.Errorf("read %s: %w", source, err)
	}
	return nil
}

func checkRunName(name *string, run string) error {
	if name != nil && *name != run {
		return fmt.Errorf(`"run_name" is %q but the run being written is %q (drop run_name or make it match)`, *name, run)
	}
	return nil
}

// readDocs decodes every non-blank line of r as a document with the given
// keys; add checks the rest of a document and keeps it, or says what is
// wrong with it. Every bad line is reported, with its number and want as
// the hint.
func readDocs(r io.Reader, source, want string, keys []string, add func(d *doc) error) error {
	bad := &inputErrors{source: source}
	err := eachLine(r, source, func(n int, line []byte) {
		d, err := decodeDoc(line, keys)
		if err != nil {
			bad.add(n, "%v", err)
			return
		}
		if d.iteration == nil {
			bad.add(n, "%s", `"iteration" is missing`)
			return
		}
		if err := add(d); err != nil {
			bad.add(n, "%v", err)
		}
	})
	if err != nil {
		return err
	}
	return bad.err(want)
}

// parseTrainingInput reads DaCapo training documents, one per line, into
// TrainingStats. Every bad line is reported with its number.
func parseTrainingInput(r io.Reader, source, run string) (*statstore.TrainingStats, error) {
	stats := &statstore.TrainingStats{}
	want := `want one JSON document per line: {"iteration": 0, "loss": 0.5, "time": 0.1, "run_name": "` + run + `"} (run_name optional; NaN allowed)`
	err := readDocs(r, source, want, []string{keyIteration, keyLoss, keyTime, keyRunName}, func(d *doc) error {
		it := *d.iteration
		if d.loss == nil {
			return errors.New(`"loss" is missing`)
		}
		if d.time == nil {
			return errors.New(`"time" is missing (seconds the step took; NaN when unknown)`)
		}
		if err := checkRunName(d.runName, run); err != nil {
			return err
		}
		if n := len(stats.IterationStats); n > 0 && it <= stats.IterationStats[n-1].Iteration {
			return fmt.Errorf("iteration %d follows iteration %d, want strictly increasing iterations", it, stats.IterationStats[n-1].Iteration)
		}
		return stats.AddIterationStats(statstore.TrainingIterationStats{Iteration: it, Loss: *d.loss, Time: *d.time})
	})
	if err != nil {
		return nil, err
	}
	return stats, nil
}

// parseValidationInput reads DaCapo validation documents, one per line,
// into ValidationScores described by meta, in the order given (unsorted and
// repeated iterations are merged by the store). Every bad line is reported.
func parseValidationInput(r io.Reader, source, run string, meta statstore.Metadata) (*statstore.ValidationScores, error) {
	vs, err := statstore.NewValidationScores(meta)
	if err != nil {
		return nil, err
	}
	sh := meta.Shape()
	want := `want one JSON document per line: {"iteration": 1000, "scores": [[[...criteria...], ...parameter sets...], ...datasets...], "run_name": "` + run + `"} (run_name optional; NaN allowed)`
	err = readDocs(r, source, want, []string{keyIteration, keyScores, keyRunName}, func(d *doc) error {
		it := *d.iteration
		if d.scores == nil {
			return errors.New(`"scores" is missing`)
		}
		if err := checkRunName(d.runName, run); err != nil {
			return err
		}
		e := statstore.ValidationIterationScores{Iteration: it, Scores: d.scores}
		if got, ok := e.Shape(); !ok || got != sh {
			return fmt.Errorf("scores of iteration %d have shape %s, want %d×%d×%d (datasets × parameter sets × criteria of the metadata)", it, shapeString(e), sh[0], sh[1], sh[2])
		}
		if err := e.Validate(); err != nil {
			return err
		}
		// In the order given: the store merges by iteration (a repeated
		// iteration's last line wins) and logs what was irregular.
		vs.Scores = append(vs.Scores, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return vs, nil
}

func shapeString(e statstore.ValidationIterationScores) string {
	sh, ok := e.Shape()
	if !ok {
		return "ragged"
	}
	return fmt.Sprintf("%d×%d×%d", sh[0], sh[1], sh[2])
}
