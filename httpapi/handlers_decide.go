package httpapi

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/statstore/statstore"
)

// intQuery reads the query parameter name as a non-negative integer, def
// when absent; another value wraps statstore.ErrInvalidArgument.
func intQuery(r *http.Request, name string, def int) (int, error) {
	q := r.URL.Query()
	if !q.Has(name) {
		return def, nil
	}
	v, err := strconv.Atoi(q.Get(name))
	if err != nil || v < 0 {
		return 0, fmt.Errorf("query parameter %s=%q: want a non-negative integer: %w", name, q.Get(name), statstore.ErrInvalidArgument)
	}
	return v, nil
}

// epsilonQuery reads ?epsilon, a finite number ≥ 0 (0 when absent).
func epsilonQuery(r *http.Request) (float64, error) {
	e := r.URL.Query().Get("epsilon")
	if e == "" {
		return 0, nil
	}
	v, err := strconv.ParseFloat(e, 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("query parameter epsilon=%q: want a finite number ≥ 0: %w", e, statstore.ErrInvalidArgument)
	}
	return v, nil
}

// handleKeep answers the run's retention plan (statstore.PlanRetention
// over its validated checkpoints): ?all_criteria, ?top (default 1),
// ?last (default 1), ?include_superseded.
func (s *Server) handleKeep(w http.ResponseWriter, r *http.Request) {
	run, v, err := s.runValidation(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var opts statstore.RetentionOptions
	if opts.AllCriteria, err = boolQuery(r, "all_criteria"); err == nil {
		if opts.IncludeSuperseded, err = boolQuery(r, "include_superseded"); err == nil {
			if opts.Top, err = intQuery(r, "top", 1); err == nil {
				opts.Last, err = intQuery(r, "last", 1)
			}
		}
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	plan, err := statstore.PlanRetention(v, nil, opts)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	plan.Run = run
	s.writeJSON(w, r, plan)
}

// handleGrid answers the checkpoint × parameter-set grid of one criterion
// on one dataset with its sensitivity numbers (ValidationScores.Grid):
// ?dataset and ?criterion (each may be left out when the run has one),
// ?epsilon, ?include_superseded.
func (s *Server) handleGrid(w http.ResponseWriter, r *http.Request) {
	run, v, err := s.runValidation(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(v.Scores) == 0 {
		s.writeError(w, r, fmt.Errorf("run %q has no validation scores, so no grid: %w", run, statstore.ErrNotFound))
		return
	}
	q := r.URL.Query()
	var opts statstore.GridOptions
	if opts.Epsilon, err = epsilonQuery(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	if opts.IncludeSuperseded, err = boolQuery(r, "include_superseded"); err != nil {
		s.writeError(w, r, err)
		return
	}
	ds, err := onlyOrQuery(q.Get("dataset"), "dataset", run, v.Datasets)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	crit, err := onlyOrQuery(q.Get("criterion"), "criterion", run, v.Criteria())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	g, err := v.Grid(ds, crit, opts)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, g)
}

// onlyOrQuery returns value, or the only one of have when value is empty.
func onlyOrQuery(value, what, run string, have []string) (string, error) {
	if value == "" {
		if len(have) == 1 {
			return have[0], nil
		}
		return "", fmt.Errorf("run %q has %d %ss: name one with ?%s= (one of %s): %w", run, len(have), what, what, strings.Join(have, ", "), statstore.ErrInvalidArgument)
	}
	return value, nil
}

// handleSelect answers a consistent selection (ValidationScores.Select):
// the (checkpoint, parameter set) best for ?criterion on ?dataset, and
// every dataset × criterion at it with its gap to its own best;
// ?held_out=a,b marks held-out datasets; ?include_superseded.
func (s *Server) handleSelect(w http.ResponseWriter, r *http.Request) {
	_, v, err := s.runValidation(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	on := statstore.SelectOn{Dataset: q.Get("dataset"), Criterion: q.Get("criterion")}
	if h := q.Get("held_out"); h != "" {
		on.HeldOut = strings.Split(h, ",")
	}
	if on.IncludeSuperseded, err = boolQuery(r, "include_superseded"); err != nil {
		s.writeError(w, r, err)
		return
	}
	sel, err := v.Select(on)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, sel)
}

// handlePlanValidation answers which checkpoints to validate next and
// which parameter sets the grid can drop (statstore.ProposeValidations):
// the candidates are every ?every iterations up to the end of training
// (default: the validated checkpoints' spacing); ?budget (default 3),
// ?recent (default 5), ?epsilon, ?all_criteria.
func (s *Server) handlePlanValidation(w http.ResponseWriter, r *http.Request) {
	run, v, err := s.runValidation(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(v.Scores) == 0 {
		s.writeError(w, r, fmt.Errorf("run %q has no validation scores to plan from: %w", run, statstore.ErrNotFound))
		return
	}
	var opts statstore.ProposalOptions
	every := 0
	if opts.Budget, err = intQuery(r, "budget", 3); err == nil {
		if opts.Recent, err = intQuery(r, "recent", 5); err == nil {
			if every, err = intQuery(r, "every", 0); err == nil {
				opts.AllCriteria, err = boolQuery(r, "all_criteria")
			}
		}
	}
	if err == nil {
		opts.Epsilon, err = epsilonQuery(r)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	info, _, err := statstore.FindRun(r.Context(), s.store, run)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cands, _, err := statstore.CheckpointsEvery(v, info.TrainedUntil, every)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := statstore.ProposeValidations(v, cands, opts)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, p)
}

// healthOptions reads check's query parameters: ?window, ?factor, ?lag,
// ?every, ?plateau, ?stale (a Go duration; defaults as
// statstore.HealthOptions).
func healthOptions(r *http.Request) (statstore.HealthOptions, error) {
	var o statstore.HealthOptions
	var err error
	for _, p := range []struct {
		name string
		dst  *int
	}{{"window", &o.Window}, {"lag", &o.Lag}, {"every", &o.Every}, {"plateau", &o.Plateau}} {
		if *p.dst, err = intQuery(r, p.name, 0); err != nil {
			return o, err
		}
	}
	if v := r.URL.Query().Get("stale"); v != "" {
		if o.Stale, err = time.ParseDuration(v); err != nil || o.Stale < 0 {
			return o, fmt.Errorf("query parameter stale=%q: want a duration >= 0 such as 2h: %w", v, statstore.ErrInvalidArgument)
		}
	}
	if f := r.URL.Query().Get("factor"); f != "" {
		if o.Factor, err = strconv.ParseFloat(f, 64); err != nil || !(o.Factor > 0) || math.IsInf(o.Factor, 0) {
			return o, fmt.Errorf("query parameter factor=%q: want a finite number > 0: %w", f, statstore.ErrInvalidArgument)
		}
	}
	return o, nil
}

// handleCheck answers the run's health report (statstore check --json).
func (s *Server) handleCheck(w http.ResponseWriter, r *http.Request) {
	run, err := runName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	o, err := healthOptions(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rep, err := statstore.CheckRun(r.Context(), s.store, run, o)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, rep)
}

// handleCheckAll answers every run's health report, sorted by run name.
func (s *Server) handleCheckAll(w http.ResponseWriter, r *http.Request) {
	o, err := healthOptions(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	infos, err := s.store.ListRuns(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]statstore.HealthReport, 0, len(infos))
	for _, i := range infos {
		ro := o
		if ro.LastWrite = i.LastWrite; ro.LastWrite.IsZero() {
			ro.Stale = 0 // unknown: never stalled, and no listing per run
		}
		rep, err := statstore.CheckRun(r.Context(), s.store, i.Run, ro)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out = append(out, rep)
	}
	s.writeJSON(w, r, out)
}
