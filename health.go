package statstore

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"
)

// Severity is how bad a health finding is.
type Severity int

// The severities of health findings, in increasing order.
const (
	SeverityOK Severity = iota
	SeverityWarning
	SeverityFailure
)

// String returns "ok", "warning" or "failure".
func (s Severity) String() string {
	switch s {
	case SeverityOK:
		return "ok"
	case SeverityWarning:
		return "warning"
	case SeverityFailure:
		return "failure"
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// The kinds of health findings.
const (
	FindingNonFiniteLoss = "non_finite_loss"
	FindingDiverging     = "diverging"
	FindingStalled       = "stalled"
	FindingValidationLag = "validation_lag"
	FindingPlateau       = "plateau"
)

// Finding is one health problem of a run: its kind (one of the Finding*
// names), severity, the iteration it starts at (-1 when none applies) and
// a sentence that says what was seen.
type Finding struct {
	Kind      string
	Severity  Severity
	Iteration int
	Message   string
}

// HealthOptions tune CheckHealth. Zero values take the defaults.
type HealthOptions struct {
	// Window is how many of the latest training entries the divergence
	// check takes the median of (default 100).
	Window int
	// Factor: the loss diverges when the latest window's median is above
	// Factor times the lowest median of the windows before it (default 2;
	// only checked when that median is positive).
	Factor float64
	// Stale: a run not written for longer is stalled (0: not checked).
	// Now and LastWrite are the times compared; a zero LastWrite is unknown.
	Stale     time.Duration
	Now       time.Time
	LastWrite time.Time
	// Lag: validation lags when more than Lag checkpoints (Every
	// iterations apart; 0 takes the validated checkpoints' spacing) were
	// trained past the last validated one (default 2).
	Lag   int
	Every int
	// Plateau: no criterion improved its best over the last Plateau
	// validations (default 5; NaN never improves).
	Plateau int
}

func (o HealthOptions) withDefaults() HealthOptions {
	if o.Window <= 0 {
		o.Window = 100
	}
	if o.Factor <= 0 {
		o.Factor = 2
	}
	if o.Lag <= 0 {
		o.Lag = 2
	}
	if o.Plateau <= 0 {
		o.Plateau = 5
	}
	return o
}

// HealthReport is CheckHealth's answer: the findings, worst first, and
// the worst severity (SeverityOK when there are none). Run is the run's
// name, set by the caller, for output.
type HealthReport struct {
	Run      string
	Findings []Finding
	Worst    Severity
}

// CheckHealth looks for what makes a run sick: a NaN or ±Inf loss (its
// onset; a failure when the latest loss is not finite, else a warning), a
// diverging loss (failure), no write for longer than opts.Stale (warning),
// validation lagging training by more than opts.Lag checkpoints (warning),
// and a plateau: no criterion improved over the last opts.Plateau current
// validations (warning). training or v may be nil.
func CheckHealth(training *TrainingStats, v *ValidationScores, opts HealthOptions) HealthReport {
	o := opts.withDefaults()
	var out []Finding
	var entries []TrainingIterationStats
	if training != nil {
		entries = training.IterationStats
	}
	if f, ok := nonFiniteLoss(entries); ok {
		out = append(out, f)
	}
	if f, ok := diverging(entries, o.Window, o.Factor); ok {
		out = append(out, f)
	}
	if o.Stale > 0 && !o.LastWrite.IsZero() && o.Now.Sub(o.LastWrite) > o.Stale {
		out = append(out, Finding{Kind: FindingStalled, Severity: SeverityWarning, Iteration: -1,
			Message: fmt.Sprintf("no write for %s (last at %s), longer than %s", o.Now.Sub(o.LastWrite).Round(time.Second), o.LastWrite.UTC().Format(time.RFC3339), o.Stale)})
	}
	if v != nil {
		cur, _ := v.Current()
		if f, ok := validationLag(entries, cur, o.Lag, o.Every); ok {
			out = append(out, f)
		}
		if f, ok := plateau(cur, o.Plateau); ok {
			out = append(out, f)
		}
	}
	slices.SortStableFunc(out, func(a, b Finding) int { return int(b.Severity) - int(a.Severity) })
	r := HealthReport{Findings: out}
	for _, f := range out {
		r.Worst = max(r.Worst, f.Severity)
	}
	return r
}

func nonFiniteLoss(entries []TrainingIterationStats) (Finding, bool) {
	first, count := -1, 0
	for i, e := range entries {
		if !finite(e.Loss) {
			if first < 0 {
				first = i
			}
			count++
		}
	}
	if first < 0 {
		return Finding{}, false
	}
	f := Finding{Kind: FindingNonFiniteLoss, Iteration: entries[first].Iteration}
	if last := entries[len(entries)-1]; !finite(last.Loss) {
		f.Severity = SeverityFailure
		f.Message = fmt.Sprintf("loss is %v since iteration %d or earlier (%d non-finite losses; the latest, at %d, is %v)",
			entries[first].Loss, entries[first].Iteration, count, last.Iteration, last.Loss)
	} else {
		f.Severity = SeverityWarning
		f.Message = fmt.Sprintf("%d non-finite losses from iteration %d (the first: %v); the latest loss is finite again", count, entries[first].Iteration, entries[first].Loss)
	}
	return f, true
}

// diverging compares the median of the latest window of finite losses
// with the lowest median of the windows before it (windows taken back
// from the end, so a single low loss, noise, does not count as the
// minimum).
func diverging(entries []TrainingIterationStats, window int, factor float64) (Finding, bool) {
	var losses []float64
	var its []int
	for _, e := range entries {
		if finite(e.Loss) {
			losses = append(losses, e.Loss)
			its = append(its, e.Iteration)
		}
	}
	if len(losses) < 2*window {
		return Finding{}, false
	}
	last := len(losses) - window
	latest := median(losses[last:])
	lo, at := math.Inf(1), -1
	for end := last; end >= window; end -= window {
		if m := median(losses[end-window : end]); m < lo {
			lo, at = m, its[end-window]
		}
	}
	if lo <= 0 || latest <= factor*lo {
		return Finding{}, false
	}
	return Finding{Kind: FindingDiverging, Severity: SeverityFailure, Iteration: its[last],
		Message: fmt.Sprintf("median loss of the last %d iterations (from %d) is %.4g, %.1f× the lowest earlier median %.4g (%d iterations from %d)",
			window, its[last], latest, latest/lo, lo, window, at)}, true
}

// median returns the median of xs (which it does not change).
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// validationLag reports when training ran more than lag checkpoints past
// the last current validation.
func validationLag(entries []TrainingIterationStats, cur *ValidationScores, lag, every int) (Finding, bool) {
	if len(entries) == 0 || len(cur.Scores) == 0 {
		return Finding{}, false
	}
	if every <= 0 {
		for _, e := range cur.Scores {
			every = gcd(every, e.Iteration)
		}
		if every <= 0 {
			return Finding{}, false
		}
	}
	last := cur.Scores[len(cur.Scores)-1].Iteration
	trained := entries[len(entries)-1].Iteration
	behind := (trained - last) / every
	if behind <= lag {
		return Finding{}, false
	}
	return Finding{Kind: FindingValidationLag, Severity: SeverityWarning, Iteration: last,
		Message: fmt.Sprintf("last validated checkpoint %d is %d checkpoints (every %d) behind training at %d", last, behind, every, trained)}, true
}

// plateau reports when no criterion's best (over datasets and parameter
// sets) improved in the last k current validations.
func plateau(cur *ValidationScores, k int) (Finding, bool) {
	entries := make([]ValidationIterationScores, 0, len(cur.Scores))
	for _, s := range cur.Scores {
		if cur.checkShape(s) == nil {
			entries = append(entries, s)
		}
	}
	if len(entries) <= k {
		return Finding{}, false
	}
	split := len(entries) - k
	known := 0
	for c, crit := range cur.EvaluationScores {
		if crit.DirectionUnknown {
			continue // nothing says what an improvement is
		}
		known++
		best := func(es []ValidationIterationScores) float64 {
			b := math.NaN()
			for _, s := range es {
				for d := range s.Scores {
					for p := range s.Scores[d] {
						if x := s.Scores[d][p][c]; crit.Better(x, b) {
							b = x
						}
					}
				}
			}
			return b
		}
		if crit.Better(best(entries[split:]), best(entries[:split])) {
			return Finding{}, false
		}
	}
	if known == 0 {
		return Finding{}, false
	}
	return Finding{Kind: FindingPlateau, Severity: SeverityWarning, Iteration: entries[split].Iteration,
		Message: fmt.Sprintf("no criterion improved over the last %d validations (from %d)", k, entries[split].Iteration)}, true
}

// CheckRun reads run's training stats and validation scores from s and
// checks them (CheckHealth); the report names the run. When opts.Stale is
// set and opts.LastWrite is not, the run's LastWrite comes from
// s.ListRuns, and a zero opts.Now is time.Now().
func CheckRun(ctx context.Context, s StatsStore, run string, opts HealthOptions) (HealthReport, error) {
	if opts.Stale > 0 && opts.LastWrite.IsZero() {
		t, err := LastWrite(ctx, s, run)
		if err != nil {
			return HealthReport{}, err
		}
		opts.LastWrite = t
	}
	if opts.Stale > 0 && opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	ts, err := s.RetrieveTrainingStats(ctx, run)
	if err != nil {
		return HealthReport{}, err
	}
	v, err := s.RetrieveValidationScores(ctx, run)
	if err != nil {
		return HealthReport{}, err
	}
	r := CheckHealth(ts, v, opts)
	r.Run = run
	return r, nil
}

// LastWrite returns the run's RunInfo.LastWrite as s.ListRuns reports it:
// the zero time for an unknown run or a store that cannot tell.
func LastWrite(ctx context.Context, s StatsStore, run string) (time.Time, error) {
	info, _, err := FindRun(ctx, s, run)
	return info.LastWrite, err
}

// FindRun returns the run's summary as s.ListRuns reports it; ok is false
// for a run the store does not list.
func FindRun(ctx context.Context, s StatsStore, run string) (info RunInfo, ok bool, err error) {
	runs, err := s.ListRuns(ctx)
	if err != nil {
		return RunInfo{}, false, err
	}
	for _, r := range runs {
		if r.Run == run {
			return r, true, nil
		}
	}
	return RunInfo{}, false, nil
}
