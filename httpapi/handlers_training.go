package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/statstore/statstore"
)

// responseChunk is the size at which long training answers are written out.
const responseChunk = 64 << 10

// handleGetTraining answers GET /api/v1/runs/{run}/training: the whole
// history, or with from/to a range, or with max_points/mode a subsample.
func (s *Server) handleGetTraining(w http.ResponseWriter, r *http.Request) {
	run, err := runName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	rng, sub, opts, err := parseTrainingQuery(q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var entries []statstore.TrainingIterationStats
	var report *statstore.TrainingSubsample
	switch {
	case sub:
		if report, err = statstore.SubsampleTrainingReport(r.Context(), s.store, run, opts); err == nil {
			entries = report.Points
		}
	case rng:
		var t *statstore.TrainingStats
		if t, err = s.store.RetrieveTrainingRange(r.Context(), run, opts.Range); err == nil {
			entries = t.IterationStats
		}
	default:
		var t *statstore.TrainingStats
		if t, err = s.store.RetrieveTrainingStats(r.Context(), run); err == nil {
			entries = t.IterationStats
		}
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if form := negotiateTraining(r, sub); form != formRows {
		s.writeTrainingCompact(w, form, run, entries, report, wantsExact(r))
		return
	}
	s.writeTraining(w, run, entries, report, wantsExact(r))
}

// parseTrainingQuery reads max_points, mode, from and to. rng reports a range
// and sub a subsample request.
func parseTrainingQuery(q url.Values) (rng, sub bool, opts statstore.SubsampleOptions, err error) {
	intParam := func(name string) (int, bool, error) {
		if !q.Has(name) {
			return 0, false, nil
		}
		v, err := strconv.Atoi(q.Get(name))
		if err != nil || v < 0 {
			return 0, false, fmt.Errorf("query parameter %s=%q: want a non-negative integer: %w", name, q.Get(name), statstore.ErrInvalidArgument)
		}
		return v, true, nil
	}
	var hasFrom, hasTo, hasMax bool
	if opts.Range.From, hasFrom, err = intParam("from"); err != nil {
		return
	}
	if opts.Range.To, hasTo, err = intParam("to"); err != nil {
		return
	}
	if opts.MaxPoints, hasMax, err = intParam("max_points"); err != nil {
		return
	}
	if hasMax && opts.MaxPoints == 0 {
		err = fmt.Errorf("query parameter max_points=0: want at least 2: %w", statstore.ErrInvalidArgument)
		return
	}
	switch m := q.Get("mode"); m {
	case "", "stride":
	case "minmax":
		opts.Mode = statstore.SubsampleMinMax
	default:
		err = fmt.Errorf("query parameter mode=%q: want stride or minmax: %w", m, statstore.ErrInvalidArgument)
		return
	}
	if hasTo && opts.Range.To == 0 {
		err = fmt.Errorf("query parameter to=0 selects nothing: want to > from (omit it for no upper bound): %w", statstore.ErrInvalidArgument)
		return
	}
	if err = opts.Range.Validate(); err != nil {
		return
	}
	return hasFrom || hasTo, hasMax || q.Has("mode"), opts, nil
}

// writeTraining streams {"run", "iteration_stats": [...]} in chunks, with
// "non_finite" after the entries when report is not nil (a subsample).
func (s *Server) writeTraining(w http.ResponseWriter, run string, entries []statstore.TrainingIterationStats, report *statstore.TrainingSubsample, exact bool) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Vary", "Accept")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	name, _ := json.Marshal(run) // strings always marshal
	buf := make([]byte, 0, responseChunk+256)
	buf = append(buf, `{"run":`...)
	buf = append(buf, name...)
	buf = append(buf, `,"iteration_stats":[`...)
	for i, e := range entries {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendTrainingEntry(buf, e, exact)
		if len(buf) >= responseChunk {
			if _, err := w.Write(buf); err != nil {
				return // the client left; nothing more to say
			}
			buf = buf[:0]
		}
	}
	buf = append(buf, ']')
	if report != nil {
		buf = append(buf, `,"non_finite":`...)
		buf = appendNonFinite(buf, report)
	}
	buf = append(buf, "}\n"...)
	w.Write(buf)
}

// handlePostTraining applies the body as one StoreTrainingStats.
func (s *Server) handlePostTraining(w http.ResponseWriter, r *http.Request) {
	s.handleChange(w, r, func(ctx context.Context, run string) error {
		var stats *statstore.TrainingStats
		var err error
		if mediaType(r) == TrainingColumnsMediaType {
			stats, err = decodeTrainingColumnsFrom(r.Body)
		} else {
			stats, err = decodeTrainingBody(r.Body, r.ContentLength)
		}
		if err != nil {
			return err
		}
		if err := s.store.StoreTrainingStats(ctx, run, stats); err != nil {
			return err
		}
		s.metrics.trainingEntries.Add(uint64(len(stats.IterationStats)))
		return nil
	})
}

// handleDeleteTraining removes the run's training stats.
func (s *Server) handleDeleteTraining(w http.ResponseWriter, r *http.Request) {
	s.handleChange(w, r, s.store.DeleteTrainingStats)
}
