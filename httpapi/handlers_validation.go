package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/statstore/statstore"
)

// runValidation returns the run the request's path names and its
// validation scores (empty for an unknown run).
func (s *Server) runValidation(r *http.Request) (string, *statstore.ValidationScores, error) {
	run, err := runName(r)
	if err != nil {
		return "", nil, err
	}
	v, err := s.store.RetrieveValidationScores(r.Context(), run)
	if err != nil {
		return "", nil, err
	}
	if v == nil {
		v = &statstore.ValidationScores{}
	}
	return run, v, nil
}

// handleGetValidation answers the run's validation scores with their
// metadata (empty lists for an unknown run).
func (s *Server) handleGetValidation(w http.ResponseWriter, r *http.Request) {
	run, v, err := s.runValidation(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, toWireValidation(run, v, wantsExact(r)))
}

// handlePostValidation merges the body into the run's validation scores
// (MergeValidationScores) and answers what it did:
// {"inserted": [...], "replaced": [...], "unchanged": [...]}.
func (s *Server) handlePostValidation(w http.ResponseWriter, r *http.Request) {
	run, err := runName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if mediaType(r) == TrainingColumnsMediaType {
		s.writeError(w, r, newRequestError(codeUnsupportedMediaType, "%s %s has Content-Type %s, which only the training POST takes: want application/json", r.Method, r.URL.Path, TrainingColumnsMediaType))
		return
	}
	scores, err := decodeValidationFrom(r.Body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	result, err := s.store.MergeValidationScores(context.WithoutCancel(r.Context()), run, scores)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.metrics.validationEntries.Add(uint64(len(result.Inserted) + len(result.Replaced)))
	s.writeJSON(w, r, result)
}

// handleDeleteValidation removes the run's validation scores and metadata,
// or with ?from=N only the entries with iteration >= N
// (DeleteValidationAfter).
func (s *Server) handleDeleteValidation(w http.ResponseWriter, r *http.Request) {
	from := r.URL.Query().Get("from")
	if from == "" {
		s.handleChange(w, r, s.store.DeleteValidationScores)
		return
	}
	n, err := strconv.Atoi(from)
	if err != nil || n < 0 {
		s.writeError(w, r, fmt.Errorf("query parameter from=%q: want an iteration, a non-negative integer: %w", from, statstore.ErrInvalidArgument))
		return
	}
	s.handleChange(w, r, func(ctx context.Context, run string) error {
		return s.store.DeleteValidationAfter(ctx, run, n)
	})
}

// handleBest answers the run's best report, per-dataset lines first, each
// line in statstore.Best's JSON form, optionally restricted with ?criterion=
// and ?dataset= (which leaves out the mean over datasets); a run without
// validation scores is 404. Superseded entries are left out unless
// ?include_superseded=true; the header Statstore-Superseded-Left-Out says
// how many were. A report that would hold a criterion whose direction is
// unknown is refused with 409 unknown_direction, whose message says how to
// name the criteria: no line is a guess.
func (s *Server) handleBest(w http.ResponseWriter, r *http.Request) {
	run, v, err := s.runValidation(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(v.Scores) == 0 {
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
	include, err := boolQuery(r, "include_superseded")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var only []string
	if crit != "" {
		only = []string{crit}
	}
	if err := v.CheckDirections(only...); err != nil {
		s.writeError(w, r, fmt.Errorf("run %q: %w; %s", run, err, directionFix))
		return
	}
	report := v.BestReportIncluding(include)
	w.Header().Set("Statstore-Superseded-Left-Out", strconv.Itoa(report.Superseded))
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

// directionFix tells how to give criteria their directions, in the
// message of a refused best report.
const directionFix = "name the criteria: serve with --preset NAME (binary_segmentation, instance, dummy, multi_channel_binary_segmentation:<ch1>,<ch2>) or --meta FILE, or describe the DaCapo directory once with statstore dacapo describe DIR --preset NAME (a run imported without them: import it again with --preset or --meta)"

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
