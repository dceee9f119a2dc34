package httpapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/statstore/statstore"
)

// handleGetValidation answers the run's validation scores with their
// metadata (empty lists for an unknown run).
func (s *Server) handleGetValidation(w http.ResponseWriter, r *http.Request) {
	run, err := runName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.store.RetrieveValidationScores(r.Context(), run)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if v == nil {
		v = &statstore.ValidationScores{}
	}
	s.writeJSON(w, r, toWireValidation(run, v, wantsExact(r)))
}

// handlePostValidation applies the body as one StoreValidationIterationScores.
func (s *Server) handlePostValidation(w http.ResponseWriter, r *http.Request) {
	run, err := runName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	data, err := readBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	scores, err := decodeValidation(data)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.store.StoreValidationIterationScores(context.WithoutCancel(r.Context()), run, scores); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.metrics.validationEntries.Add(uint64(len(scores.Scores)))
	w.WriteHeader(http.StatusNoContent)
}

// handleDeleteValidation removes the run's validation scores and metadata.
func (s *Server) handleDeleteValidation(w http.ResponseWriter, r *http.Request) {
	run, err := runName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.store.DeleteValidationScores(context.WithoutCancel(r.Context()), run); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleBest answers the run's best report, per-dataset lines first, each
// line in statstore.Best's JSON form, optionally restricted with ?criterion=
// and ?dataset= (which leaves out the mean over datasets); a run without
// validation scores is 404.
func (s *Server) handleBest(w http.ResponseWriter, r *http.Request) {
	run, err := runName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v, err := s.store.RetrieveValidationScores(r.Context(), run)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if v == nil || len(v.Scores) == 0 {
		s.writeError(w, r, fmt.Errorf("run %q has no validation scores, so no best report: %w", run, statstore.ErrNotFound))
		return
	}
	q := r.URL.Query()
	crit, ds := q.Get("criterion"), q.Get("dataset")
	if _, ok := v.Criterion(crit); crit != "" && !ok {
		s.writeError(w, r, fmt.Errorf("run %q has no criterion %q, want one of %v: %w", run, crit, v.Criteria(), statstore.ErrNotFound))
		return
	}
	if ds != "" && !contains(v.Datasets, ds) {
		s.writeError(w, r, fmt.Errorf("run %q has no dataset %q, want one of %v: %w", run, ds, v.Datasets, statstore.ErrNotFound))
		return
	}
	report := v.BestReport()
	all := report.PerDataset
	if ds == "" {
		all = append(all, report.OverDatasets...)
	}
	lines := []statstore.Best{}
	for _, b := range all {
		if (crit == "" || b.Criterion == crit) && (ds == "" || b.Dataset == ds) {
			lines = append(lines, b)
		}
	}
	s.writeJSON(w, r, lines)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
