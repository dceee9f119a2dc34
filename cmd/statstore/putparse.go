package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/jsonnan"
)

// maxInputLine bounds one JSON Lines document read by put.
const maxInputLine = 64 << 20

// maxReportedInputErrors is how many bad lines one error message lists.
const maxReportedInputErrors = 10

// docHeader holds the fields every DaCapo document has; run_name is
// optional.
type docHeader struct {
	Iteration *json.Number `json:"iteration"`
	RunName   *string      `json:"run_name"`
}

func (h *docHeader) header() *docHeader { return h }

// trainingDoc is DaCapo's training document.
type trainingDoc struct {
	docHeader
	Loss *jsonnan.Float `json:"loss"`
	Time *jsonnan.Float `json:"time"`
}

// validationDoc is DaCapo's validation document.
type validationDoc struct {
	docHeader
	Scores *[][][]jsonnan.Float `json:"scores"`
}

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

// decodeDoc decodes one JSON document strictly: Python's NaN and Infinity
// tokens are accepted, unknown keys and trailing data are not.
func decodeDoc(line []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(jsonnan.Sanitize(line)))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return cleanJSONError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON document (want one document per line)")
	}
	return nil
}

// cleanJSONError rewords encoding/json's errors for users.
func cleanJSONError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return fmt.Errorf("%q has a JSON %s, want a %s", typeErr.Field, typeErr.Value, typeErr.Type)
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	return errors.New(msg)
}

// parseIteration reads a non-negative integer iteration.
func parseIteration(n *json.Number) (int, error) {
	if n == nil {
		return 0, errors.New(`"iteration" is missing`)
	}
	i, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil || i > math.MaxInt {
		return 0, fmt.Errorf(`"iteration" is %s, want a non-negative integer`, n.String())
	}
	if i < 0 {
		return 0, fmt.Errorf(`"iteration" is %d, want >= 0`, i)
	}
	return int(i), nil
}

func checkRunName(name *string, run string) error {
	if name != nil && *name != run {
		return fmt.Errorf(`"run_name" is %q but the run being written is %q (drop run_name or make it match)`, *name, run)
	}
	return nil
}

// readDocs decodes every non-blank line of r as a document D and reads its
// iteration; add checks the rest of a document and keeps it, or says what
// is wrong with it. Every bad line is reported, with its number and want
// as the hint.
func readDocs[D any, P interface {
	*D
	header() *docHeader
}](r io.Reader, source, want string, add func(it int, doc *D) error) error {
	bad := &inputErrors{source: source}
	err := eachLine(r, source, func(n int, line []byte) {
		var doc D
		if err := decodeDoc(line, &doc); err != nil {
			bad.add(n, "%v", err)
			return
		}
		it, err := parseIteration(P(&doc).header().Iteration)
		if err != nil {
			bad.add(n, "%v", err)
			return
		}
		if err := add(it, &doc); err != nil {
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
	err := readDocs(r, source, want, func(it int, doc *trainingDoc) error {
		if doc.Loss == nil {
			return errors.New(`"loss" is missing`)
		}
		if doc.Time == nil {
			return errors.New(`"time" is missing (seconds the step took; NaN when unknown)`)
		}
		if err := checkRunName(doc.RunName, run); err != nil {
			return err
		}
		if err := stats.AddIterationStats(statstore.TrainingIterationStats{Iteration: it, Loss: float64(*doc.Loss), Time: float64(*doc.Time)}); err != nil {
			return fmt.Errorf("iteration %d follows iteration %d, want strictly increasing iterations", it, stats.IterationStats[len(stats.IterationStats)-1].Iteration)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return stats, nil
}

// parseValidationInput reads DaCapo validation documents, one per line,
// into ValidationScores described by meta. Every bad line is reported.
func parseValidationInput(r io.Reader, source, run string, meta statstore.Metadata) (*statstore.ValidationScores, error) {
	vs, err := statstore.NewValidationScores(meta)
	if err != nil {
		return nil, err
	}
	sh := meta.Shape()
	want := `want one JSON document per line: {"iteration": 1000, "scores": [[[...criteria...], ...parameter sets...], ...datasets...], "run_name": "` + run + `"} (run_name optional; NaN allowed)`
	err = readDocs(r, source, want, func(it int, doc *validationDoc) error {
		if doc.Scores == nil {
			return errors.New(`"scores" is missing`)
		}
		if err := checkRunName(doc.RunName, run); err != nil {
			return err
		}
		scores := make([][][]float64, len(*doc.Scores))
		for d, ds := range *doc.Scores {
			scores[d] = make([][]float64, len(ds))
			for p, ps := range ds {
				scores[d][p] = make([]float64, len(ps))
				for c, v := range ps {
					scores[d][p][c] = float64(v)
				}
			}
		}
		e := statstore.ValidationIterationScores{Iteration: it, Scores: scores}
		if got, ok := e.Shape(); !ok || got != sh {
			return fmt.Errorf("scores of iteration %d have shape %s, want %d×%d×%d (datasets × parameter sets × criteria of the metadata)", it, shapeString(e), sh[0], sh[1], sh[2])
		}
		if err := vs.AddIterationScores(e); err != nil {
			return fmt.Errorf("iteration %d appears twice", it)
		}
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
