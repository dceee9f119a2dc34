package httpapi

import (
	"encoding/json"
	"strings"

	"github.com/statstore/statstore"
)

// trimmedPageWire is the answer of GET /api/v1/runs?columns=...: each run
// holds only the requested columns (trimSummary).
type trimmedPageWire struct {
	Runs   []map[string]json.RawMessage `json:"runs"`
	Total  int                          `json:"total"`
	Offset int                          `json:"offset"`
	Limit  int                          `json:"limit"`
}

// parseColumns splits a columns parameter (checked by parseRunQuery).
func parseColumns(c string) []string {
	var out []string
	for n := range strings.SplitSeq(c, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// trimSummary returns the keys of sum's JSON form (RunSummary.MarshalJSON)
// that the columns ask for, and "run" always: a fixed column gives its
// key (min_loss also min_loss_iteration, repetition a number or null),
// tag.<key> the tags object with only the tags asked for, and
// best.<dataset>.<criterion> the best array with only the lines asked for.
func trimSummary(sum statstore.RunSummary, cols []string) (map[string]json.RawMessage, error) {
	data, err := json.Marshal(sum)
	if err != nil {
		return nil, err
	}
	var full map[string]json.RawMessage
	if err := json.Unmarshal(data, &full); err != nil {
		return nil, err
	}
	out := map[string]json.RawMessage{"run": full["run"]}
	tags := map[string]string{}
	var best []statstore.Best
	wantTags, wantBest := false, false
	for _, c := range cols {
		switch {
		case c == "run" || c == "name":
		case c == "repetition":
			out[c] = json.RawMessage("null")
			if _, rep, ok := sum.Repetition(); ok {
				out[c], _ = json.Marshal(rep)
			}
		case strings.HasPrefix(c, "tag."):
			wantTags = true
			k := strings.TrimPrefix(c, "tag.")
			if v, ok := sum.Tags[k]; ok {
				tags[k] = v
			}
		case strings.HasPrefix(c, "best."):
			wantBest = true
			if b, ok := sum.BestOf(c); ok && !containsBest(best, b) {
				best = append(best, b)
			}
		default:
			if v, ok := full[c]; ok {
				out[c] = v
			}
			if c == "min_loss" {
				out["min_loss_iteration"] = full["min_loss_iteration"]
			}
		}
	}
	if wantTags {
		if out["tags"], err = json.Marshal(tags); err != nil {
			return nil, err
		}
	}
	if wantBest {
		if best == nil {
			best = []statstore.Best{}
		}
		if out["best"], err = json.Marshal(best); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// containsBest reports whether lines holds b's dataset × criterion.
func containsBest(lines []statstore.Best, b statstore.Best) bool {
	for _, x := range lines {
		if x.Dataset == b.Dataset && x.Criterion == b.Criterion {
			return true
		}
	}
	return false
}

// trimPage returns page with each run trimmed to cols.
func trimPage(page statstore.RunPage, cols []string) (trimmedPageWire, error) {
	out := trimmedPageWire{Runs: make([]map[string]json.RawMessage, 0, len(page.Runs)), Total: page.Total, Offset: page.Offset, Limit: page.Limit}
	for _, r := range page.Runs {
		m, err := trimSummary(r, cols)
		if err != nil {
			return trimmedPageWire{}, err
		}
		out.Runs = append(out.Runs, m)
	}
	return out, nil
}
