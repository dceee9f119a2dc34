package httpapi

import (
	"context"
	"net/http"
)

// handleListRuns answers every stored run, sorted by name.
func (s *Server) handleListRuns(w http.ResponseWriter, r *http.Request) {
	if wantsSummaries(r.URL.Query()) {
		s.handleRunSummaries(w, r)
		return
	}
	runs, err := s.store.ListRuns(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := runsResponse{Runs: make([]runWire, len(runs))}
	for i, ri := range runs {
		out.Runs[i] = runWire{Run: ri.Run, TrainedUntil: ri.TrainedUntil, TrainingIterations: ri.TrainingIterations,
			ValidatedUntil: ri.ValidatedUntil, ValidationIterations: ri.ValidationIterations}
		if !ri.LastWrite.IsZero() {
			t := ri.LastWrite.UTC()
			out.Runs[i].LastWrite = &t
		}
	}
	s.writeJSON(w, r, out)
}

// handleChange answers a write to the run the path names: it applies change
// with a context that is not canceled when the client leaves (a store
// write, once begun, is finished), then answers 204, or the error.
func (s *Server) handleChange(w http.ResponseWriter, r *http.Request, change func(ctx context.Context, run string) error) {
	run, err := runName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := change(context.WithoutCancel(r.Context()), run); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleMetrics answers the metrics in the Prometheus text format.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	if err := s.metrics.write(w); err != nil {
		s.logger.Debug("writing metrics", "err", err)
	}
}
