package httpapi

import (
	"context"
	"fmt"

	"github.com/go-json-experiment/json"
	"github.com/statstore/statstore"
)

// TrainingSeries is one run's plot subsample, as CompareTraining returns it.
type TrainingSeries struct {
	Run    string
	Points []statstore.TrainingIterationStats
}

// CompareTraining asks the server for a plot subsample of each run's
// training history in one request (POST /api/v1/compare/training): at most
// MaxCompareRuns distinct runs, each subsampled as SubsampleTraining does
// with opts. The series come in the order of runs; an unknown run has no
// points. An error names the run that caused it.
func (c *Client) CompareTraining(ctx context.Context, runs []string, opts statstore.SubsampleOptions) ([]TrainingSeries, error) {
	opts, err := opts.Normalize()
	if err != nil {
		return nil, fmt.Errorf("httpapi: %w", err)
	}
	if err := checkCompareRuns(runs); err != nil {
		return nil, fmt.Errorf("httpapi: %w", err)
	}
	req := map[string]any{"runs": runs, "max_points": opts.MaxPoints, "mode": opts.Mode.String(),
		"range": map[string]int{"from": opts.Range.From, "to": opts.Range.To}}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("httpapi: compare training: %w", err)
	}
	data, err := c.do(ctx, "POST", c.url("/api/v1/compare/training", nil), body)
	if err != nil {
		return nil, err
	}
	var answer struct {
		Runs []struct {
			Run       string      `json:"run"`
			Iteration []int       `json:"iteration"`
			Loss      []wireFloat `json:"loss"`
			Time      []wireFloat `json:"time"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(data, &answer); err != nil {
		return nil, fmt.Errorf("httpapi: compare training: decoding the answer: %w", err)
	}
	if len(answer.Runs) != len(runs) {
		return nil, fmt.Errorf("httpapi: compare training: the answer holds %d runs, want %d", len(answer.Runs), len(runs))
	}
	out := make([]TrainingSeries, len(runs))
	for i, r := range answer.Runs {
		if r.Run != runs[i] || len(r.Loss) != len(r.Iteration) || len(r.Time) != len(r.Iteration) {
			return nil, fmt.Errorf("httpapi: compare training: answer %d is run %q with %d iterations, %d losses, %d times; want run %q and lists of one length",
				i, r.Run, len(r.Iteration), len(r.Loss), len(r.Time), runs[i])
		}
		pts := make([]statstore.TrainingIterationStats, len(r.Iteration))
		for k, it := range r.Iteration {
			pts[k] = statstore.TrainingIterationStats{Iteration: it, Loss: float64(r.Loss[k]), Time: float64(r.Time[k])}
		}
		out[i] = TrainingSeries{Run: r.Run, Points: pts}
	}
	return out, nil
}

// ValidationCompare is the answer of CompareValidation: the criterion and
// dataset compared ("" for the mean over datasets), every criterion and
// dataset of the runs, and one series per run.
type ValidationCompare struct {
	Criterion string
	Dataset   string
	Criteria  []statstore.Criterion
	Datasets  []string
	Runs      []ValidationSeries
}

// ValidationSeries is one run's series in a ValidationCompare: at each
// checkpoint, the best parameter set's score (Value) for the criterion on
// the dataset, and the run's best checkpoint (Best.Found false when it has
// none). SupersededCount counts the run's superseded checkpoints, whether
// included or not.
type ValidationSeries struct {
	Run             string
	Iteration       []int
	Value           []float64
	Superseded      []bool
	SupersededCount int
	Best            statstore.Best
}

// CompareValidation asks the server for the validation series of each run
// for one criterion in one request (POST /api/v1/compare/validation).
// criterion "" picks the runs' first; dataset "" is the mean over datasets.
func (c *Client) CompareValidation(ctx context.Context, runs []string, criterion, dataset string, includeSuperseded bool) (*ValidationCompare, error) {
	if err := checkCompareRuns(runs); err != nil {
		return nil, fmt.Errorf("httpapi: %w", err)
	}
	body, err := json.Marshal(compareValidationBody{Runs: runs, Criterion: criterion, Dataset: dataset, IncludeSuperseded: includeSuperseded})
	if err != nil {
		return nil, fmt.Errorf("httpapi: compare validation: %w", err)
	}
	data, err := c.do(ctx, "POST", c.url("/api/v1/compare/validation", nil), body)
	if err != nil {
		return nil, err
	}
	var answer compareValidationResponse
	if err := json.Unmarshal(data, &answer); err != nil {
		return nil, fmt.Errorf("httpapi: compare validation: decoding the answer: %w", err)
	}
	if len(answer.Runs) != len(runs) {
		return nil, fmt.Errorf("httpapi: compare validation: the answer holds %d runs, want %d", len(answer.Runs), len(runs))
	}
	out := &ValidationCompare{Criterion: answer.Criterion, Dataset: answer.Dataset, Datasets: answer.Datasets, Runs: make([]ValidationSeries, len(runs))}
	for _, cw := range answer.Criteria {
		out.Criteria = append(out.Criteria, statstore.Criterion{Name: cw.Name, HigherIsBetter: cw.HigherIsBetter, DirectionUnknown: cw.DirectionUnknown, StoreBest: cw.StoreBest})
	}
	for i, r := range answer.Runs {
		if r.Run != runs[i] || len(r.Value) != len(r.Iteration) || len(r.Superseded) != len(r.Iteration) {
			return nil, fmt.Errorf("httpapi: compare validation: answer %d is run %q with %d iterations, %d values, %d superseded marks; want run %q and lists of one length",
				i, r.Run, len(r.Iteration), len(r.Value), len(r.Superseded), runs[i])
		}
		s := ValidationSeries{Run: r.Run, Iteration: r.Iteration, Value: make([]float64, len(r.Value)), Superseded: r.Superseded, SupersededCount: r.Count,
			Best: statstore.Best{Dataset: answer.Dataset, Criterion: answer.Criterion, Iteration: -1, ParameterID: -1}}
		for k, v := range r.Value {
			s.Value[k] = float64(v)
		}
		if r.Best != nil {
			s.Best.Found, s.Best.Iteration, s.Best.Parameters, s.Best.Value = true, r.Best.Iteration, r.Best.Parameters, float64(r.Best.Value)
		}
		out.Runs[i] = s
	}
	return out, nil
}
