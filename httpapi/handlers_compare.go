package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/go-json-experiment/json"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/jsonnan"
)

// MaxCompareRuns bounds the runs of one compare request.
const MaxCompareRuns = 100

// compareParallel bounds the runs a compare request reads at once: enough
// to overlap a file store's seeks or PostgreSQL's round trips, few enough
// that one dashboard does not take every connection of the pool.
const compareParallel = 8

const (
	compareTrainingShape   = `{"runs": ["a", "b", ...], "max_points": 1000, "mode": "stride" or "minmax", "range": {"from": 0, "to": 0}}`
	compareValidationShape = `{"runs": ["a", "b", ...], "criterion": "dice", "dataset": "", "include_superseded": false}`
)

// compareTrainingBody is the body of POST /api/v1/compare/training.
type compareTrainingBody struct {
	Runs      []string `json:"runs"`
	MaxPoints *int     `json:"max_points"`
	Mode      string   `json:"mode"`
	Range     *struct {
		From int `json:"from"`
		To   int `json:"to"`
	} `json:"range"`
}

// compareValidationBody is the body of POST /api/v1/compare/validation.
type compareValidationBody struct {
	Runs              []string `json:"runs"`
	Criterion         string   `json:"criterion"`
	Dataset           string   `json:"dataset"`
	IncludeSuperseded bool     `json:"include_superseded"`
}

// decodeCompareBody reads a compare body into v (strict: unknown and
// duplicate keys are errors) and checks its run list.
func decodeCompareBody(rd io.Reader, v any, runs func() []string, shape string) error {
	data, err := io.ReadAll(rd)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return bodyError(decodeErrorf("the request body is empty"), shape)
	}
	if err := json.Unmarshal(jsonnan.Sanitize(data), v, strict()); err != nil {
		return bodyError(err, shape)
	}
	return checkCompareRuns(runs())
}

// checkCompareRuns requires 1 to MaxCompareRuns valid, distinct run names.
func checkCompareRuns(runs []string) error {
	if len(runs) == 0 {
		return fmt.Errorf("compare: \"runs\" is empty, want 1 to %d run names: %w", MaxCompareRuns, statstore.ErrInvalidArgument)
	}
	if len(runs) > MaxCompareRuns {
		return fmt.Errorf("compare: %d runs, want at most %d per request: %w", len(runs), MaxCompareRuns, statstore.ErrInvalidArgument)
	}
	seen := make(map[string]int, len(runs))
	for i, r := range runs {
		if err := statstore.ValidateRunName(r); err != nil {
			return fmt.Errorf("compare: runs[%d]: %w", i, err)
		}
		if j, ok := seen[r]; ok {
			return fmt.Errorf("compare: runs[%d] %q repeats runs[%d]: %w", i, r, j, statstore.ErrInvalidArgument)
		}
		seen[r] = i
	}
	return nil
}

// subsampleOptions turns the body's max_points, mode and range into
// normalised options.
func (b *compareTrainingBody) subsampleOptions() (statstore.SubsampleOptions, error) {
	var opts statstore.SubsampleOptions
	if b.MaxPoints != nil {
		if *b.MaxPoints == 0 {
			return opts, fmt.Errorf("compare: max_points 0: want at least 2 (omit it for %d): %w", statstore.DefaultMaxPoints, statstore.ErrInvalidArgument)
		}
		opts.MaxPoints = *b.MaxPoints
	}
	switch b.Mode {
	case "", "stride":
	case "minmax":
		opts.Mode = statstore.SubsampleMinMax
	default:
		return opts, fmt.Errorf("compare: mode %q: want stride or minmax: %w", b.Mode, statstore.ErrInvalidArgument)
	}
	if b.Range != nil {
		opts.Range = statstore.IterationRange{From: b.Range.From, To: b.Range.To}
	}
	opts, err := opts.Normalize()
	if err != nil {
		return opts, fmt.Errorf("compare: %w", err)
	}
	return opts, nil
}

// eachRun calls read for every run, at most compareParallel at once; the
// first error cancels the others and is returned, naming its run.
func (s *Server) eachRun(r *http.Request, runs []string, read func(ctx context.Context, i int, run string) error) error {
	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	sem := make(chan struct{}, compareParallel)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for i, run := range runs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := read(ctx, i, run); err != nil {
				once.Do(func() {
					first = s.runFailed(r, run, err)
					cancel(first)
				})
			}
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return context.Cause(ctx) // the client left: nil when it did not
}

// runFailed names the run in err. A server-side failure (corrupt data, an
// unavailable store) is logged in full and answered with the code's public
// message, so the answer names the run without the server's details.
func (s *Server) runFailed(r *http.Request, run string, err error) error {
	c := codeOf(err)
	if c.status < 500 || errors.Is(err, context.Canceled) {
		return fmt.Errorf("run %q: %w", run, err)
	}
	s.logger.Error("compare: reading a run failed", "request_id", requestID(r), "run", run, "err", err)
	return newRequestError(c.code, "run %q: %s", run, publicMessage(c.code))
}

// handleCompareTraining answers POST /api/v1/compare/training: a plot
// subsample (SubsampleTraining) of each run's training history, in the
// columns form, in the order asked.
func (s *Server) handleCompareTraining(w http.ResponseWriter, r *http.Request) {
	var body compareTrainingBody
	if err := decodeCompareBody(r.Body, &body, func() []string { return body.Runs }, compareTrainingShape); err != nil {
		s.writeError(w, r, err)
		return
	}
	opts, err := body.subsampleOptions()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	points := make([][]statstore.TrainingIterationStats, len(body.Runs))
	err = s.eachRun(r, body.Runs, func(ctx context.Context, i int, run string) error {
		p, err := s.store.SubsampleTraining(ctx, run, opts)
		points[i] = p
		return err
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	exact := wantsExact(r)
	n := 0
	for _, p := range points {
		n += len(p)
	}
	buf := make([]byte, 0, 64+len(body.Runs)*64+n*40)
	buf = append(buf, `{"runs":[`...)
	for i, run := range body.Runs {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendTrainingColumns(buf, run, points[i], exact)
		buf = append(buf, '}')
	}
	buf = append(buf, "]}\n"...)
	w.Header().Set("Content-Length", strconv.Itoa(len(buf)))
	s.writeRaw(w, buf)
}

// compareBestWire is a run's best checkpoint for the chosen criterion and
// dataset (or mean over datasets).
type compareBestWire struct {
	Iteration  int       `json:"iteration"`
	Parameters string    `json:"parameters"`
	Value      wireFloat `json:"value"`
}

// compareValidationRun is one run of the validation compare answer.
type compareValidationRun struct {
	Run        string           `json:"run"`
	Iteration  []int            `json:"iteration"`
	Value      []wireFloat      `json:"value"`
	Superseded []bool           `json:"superseded"`
	Count      int              `json:"superseded_count"`
	Best       *compareBestWire `json:"best"`
}

// compareValidationResponse is the answer of POST /api/v1/compare/validation.
type compareValidationResponse struct {
	Criterion         string                 `json:"criterion"`
	Dataset           string                 `json:"dataset"`
	IncludeSuperseded bool                   `json:"include_superseded"`
	Criteria          []criterionWire        `json:"criteria"`
	Datasets          []string               `json:"datasets"`
	Runs              []compareValidationRun `json:"runs"`
}

// handleCompareValidation answers POST /api/v1/compare/validation: for each
// run, the series the compare chart draws for one criterion (at each
// checkpoint, the best parameter set's score on the dataset, or of the mean
// over datasets when dataset is empty, as the best report computes it) and
// the run's best checkpoint for it; with the criteria and datasets of all
// the runs, so a picker can offer them.
func (s *Server) handleCompareValidation(w http.ResponseWriter, r *http.Request) {
	var body compareValidationBody
	if err := decodeCompareBody(r.Body, &body, func() []string { return body.Runs }, compareValidationShape); err != nil {
		s.writeError(w, r, err)
		return
	}
	scores := make([]*statstore.ValidationScores, len(body.Runs))
	err := s.eachRun(r, body.Runs, func(ctx context.Context, i int, run string) error {
		v, err := s.store.RetrieveValidationScores(ctx, run)
		scores[i] = v
		return err
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out, err := compareValidation(body, scores)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, out)
}

// compareValidation computes the validation compare answer from the runs'
// scores (in body.Runs order).
func compareValidation(body compareValidationBody, scores []*statstore.ValidationScores) (*compareValidationResponse, error) {
	out := &compareValidationResponse{IncludeSuperseded: body.IncludeSuperseded, Criteria: []criterionWire{}, Datasets: []string{},
		Runs: make([]compareValidationRun, len(body.Runs))}
	var crits []statstore.Criterion
	seenCrit, seenData := map[string]bool{}, map[string]bool{}
	for _, v := range scores {
		if v == nil || len(v.Scores) == 0 {
			continue
		}
		for _, c := range v.EvaluationScores {
			if !seenCrit[c.Name] {
				seenCrit[c.Name] = true
				crits = append(crits, c)
			}
		}
		for _, d := range v.Datasets {
			if !seenData[d] {
				seenData[d] = true
				out.Datasets = append(out.Datasets, d)
			}
		}
	}
	out.Criteria = append(out.Criteria, toWireCriteria(crits)...)
	out.Criterion, out.Dataset = body.Criterion, body.Dataset
	if len(crits) > 0 {
		if out.Criterion == "" {
			out.Criterion = crits[0].Name
		} else if !seenCrit[out.Criterion] {
			return nil, fmt.Errorf("compare: criterion %q: none of these runs has it (they have %s): %w", out.Criterion, quoteList(names(crits)), statstore.ErrInvalidArgument)
		}
		if out.Dataset != "" && !seenData[out.Dataset] {
			return nil, fmt.Errorf("compare: dataset %q: none of these runs has it (they have %s; \"\" is the mean over datasets): %w", out.Dataset, quoteList(out.Datasets), statstore.ErrInvalidArgument)
		}
	}
	for i, run := range body.Runs {
		out.Runs[i] = compareRun(run, scores[i], out.Criterion, out.Dataset, body.IncludeSuperseded)
	}
	return out, nil
}

// compareRun is one run's series and best for criterion on dataset ("" for
// the mean over datasets); empty when the run has neither.
func compareRun(run string, v *statstore.ValidationScores, criterion, dataset string, include bool) compareValidationRun {
	out := compareValidationRun{Run: run, Iteration: []int{}, Value: []wireFloat{}, Superseded: []bool{}}
	if v == nil {
		return out
	}
	for _, e := range v.Scores {
		if e.Superseded {
			out.Count++
		}
	}
	// pick returns the line of the report for criterion and dataset.
	pick := func(rep statstore.BestReport) (statstore.Best, bool) {
		lines := rep.OverDatasets
		if dataset != "" {
			lines = rep.PerDataset
		}
		for _, b := range lines {
			if b.Criterion == criterion && b.Dataset == dataset {
				return b, true
			}
		}
		return statstore.Best{}, false
	}
	if _, ok := pick(v.BestReportIncluding(true)); !ok {
		return out // the run has not this criterion or dataset
	}
	for _, e := range v.Scores {
		if e.Superseded && !include {
			continue
		}
		// One checkpoint's best report: its best parameter set, by the
		// report's own rule (mean over datasets with NaN skipped).
		one := &statstore.ValidationScores{Metadata: v.Metadata, Scores: []statstore.ValidationIterationScores{e}}
		b, _ := pick(one.BestReportIncluding(true))
		out.Iteration = append(out.Iteration, e.Iteration)
		out.Value = append(out.Value, wireFloat(b.Value))
		out.Superseded = append(out.Superseded, e.Superseded)
	}
	if b, ok := pick(v.BestReportIncluding(include)); ok && b.Found {
		out.Best = &compareBestWire{Iteration: b.Iteration, Parameters: b.Parameters, Value: wireFloat(b.Value)}
	}
	return out
}

// names returns the criteria's names.
func names(cs []statstore.Criterion) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

// quoteList writes names as "a", "b", "c".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}
