package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/statstore/statstore"
)

// summaryParams are the query parameters that make GET /api/v1/runs answer
// run summaries instead of its plain list.
func summaryParams() []string {
	return []string{"filter", "sort", "limit", "offset", "columns", "best"}
}

// wantsSummaries reports whether the request names any summary parameter.
func wantsSummaries(q url.Values) bool {
	for _, p := range summaryParams() {
		if q.Has(p) {
			return true
		}
	}
	return false
}

// runPageWire is the answer of GET /api/v1/runs with summary parameters.
type runPageWire struct {
	Runs   []statstore.RunSummary `json:"runs"`
	Total  int                    `json:"total"`
	Offset int                    `json:"offset"`
	Limit  int                    `json:"limit"`
}

// parseRunQuery reads filter, sort, limit, offset and columns (checked;
// handleRunSummaries trims the answer to them) from q.
func parseRunQuery(q url.Values) (statstore.RunQuery, error) {
	var rq statstore.RunQuery
	var err error
	if rq.Filter, err = statstore.ParseRunFilter(q.Get("filter")); err != nil {
		return rq, err
	}
	if rq.Sort, err = statstore.ParseRunSort(q.Get("sort")); err != nil {
		return rq, err
	}
	for name, into := range map[string]*int{"limit": &rq.Limit, "offset": &rq.Offset} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return rq, fmt.Errorf("?%s=%s: want a non-negative integer: %w", name, v, statstore.ErrInvalidArgument)
			}
			*into = n
		}
	}
	if c := q.Get("columns"); c != "" {
		if err := statstore.ValidateColumns(strings.Split(c, ",")); err != nil {
			return rq, fmt.Errorf("?columns=%s: %w", c, err)
		}
	}
	if b := q.Get("best"); b != "" && b != "1" && b != "0" && b != "true" && b != "false" {
		return rq, fmt.Errorf("?best=%s: want 1 or 0: %w", b, statstore.ErrInvalidArgument)
	}
	return rq, nil
}

// handleRunSummaries answers GET /api/v1/runs with summary parameters.
func (s *Server) handleRunSummaries(w http.ResponseWriter, r *http.Request) {
	rq, err := parseRunQuery(r.URL.Query())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := statstore.ListRunSummaries(r.Context(), s.store, rq)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if cols := parseColumns(r.URL.Query().Get("columns")); len(cols) > 0 {
		trimmed, err := trimPage(page, cols)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.writeJSON(w, r, trimmed)
		return
	}
	out := runPageWire{Runs: page.Runs, Total: page.Total, Offset: page.Offset, Limit: page.Limit}
	if out.Runs == nil {
		out.Runs = []statstore.RunSummary{}
	}
	s.writeJSON(w, r, out)
}

// handleLeaderboard answers GET /api/v1/leaderboard?dataset=&criterion=&group_by=&filter=.
func (s *Server) handleLeaderboard(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	filter, err := statstore.ParseRunFilter(q.Get("filter"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	lb, err := statstore.StoreLeaderboard(r.Context(), s.store, filter, statstore.LeaderboardOptions{
		Dataset: q.Get("dataset"), Criterion: q.Get("criterion"), GroupBy: q.Get("group_by")})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, lb)
}

var _ statstore.Summarizer = (*Client)(nil)

// RunSummaries asks the server for the page of run summaries q selects
// (GET /api/v1/runs with summary parameters).
func (c *Client) RunSummaries(ctx context.Context, q statstore.RunQuery) (statstore.RunPage, error) {
	if err := q.Validate(); err != nil {
		return statstore.RunPage{}, fmt.Errorf("httpapi: run summaries: %w", err)
	}
	v := url.Values{"best": {"1"}}
	if len(q.Filter) > 0 {
		v.Set("filter", statstore.FormatRunFilter(q.Filter))
	}
	if len(q.Sort) > 0 {
		v.Set("sort", statstore.FormatRunSort(q.Sort))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Offset > 0 {
		v.Set("offset", strconv.Itoa(q.Offset))
	}
	return getAs(c, ctx, c.url("/api/v1/runs", v), func(data []byte) (statstore.RunPage, error) {
		var resp runPageWire
		if err := json.Unmarshal(data, &resp); err != nil {
			return statstore.RunPage{}, err
		}
		return statstore.RunPage{Runs: resp.Runs, Total: resp.Total, Offset: resp.Offset, Limit: resp.Limit}, nil
	})
}

// Leaderboard asks the server for the leaderboard of the runs filter
// selects (GET /api/v1/leaderboard); opts.Configs is not sent (the server
// reads the runs' configurations itself).
func (c *Client) Leaderboard(ctx context.Context, filter []statstore.FilterTerm, opts statstore.LeaderboardOptions) (statstore.Leaderboard, error) {
	v := url.Values{}
	for k, x := range map[string]string{"dataset": opts.Dataset, "criterion": opts.Criterion, "group_by": opts.GroupBy, "filter": statstore.FormatRunFilter(filter)} {
		if x != "" {
			v.Set(k, x)
		}
	}
	return getAs(c, ctx, c.url("/api/v1/leaderboard", v), func(data []byte) (statstore.Leaderboard, error) {
		var lb statstore.Leaderboard
		err := json.Unmarshal(data, &lb)
		return lb, err
	})
}
