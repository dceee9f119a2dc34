package statstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// LeaderboardOptions select and group a leaderboard. Dataset and
// Criterion, when set, keep only that dataset's or criterion's boards.
// GroupBy groups runs by the value of a tag, or else of a configuration
// key (a dotted path into RunMeta.Config, looked up in Configs by run);
// empty groups runs that differ only in repetition (RunSummary.Repetition).
type LeaderboardOptions struct {
	Dataset   string
	Criterion string
	GroupBy   string
	Configs   map[string]json.RawMessage
}

// Leaderboard ranks runs per dataset × criterion by their best value.
// Datasets and Criteria list every dataset and criterion of the runs
// (sorted), whatever the options kept.
type Leaderboard struct {
	Datasets []string
	Criteria []string
	Boards   []Board
}

// Board is the ranking of one dataset × criterion, best group first (by
// mean, then by the best run's value, then by name). Direction is
// "higher" or "lower".
type Board struct {
	Dataset   string
	Criterion string
	Direction string
	Rows      []LeaderRow
}

// LeaderRow is one group of runs on a board: their names, how many, the
// mean, sample standard deviation (0 for one run), minimum and maximum of
// their best values, and the best of them with its checkpoint and
// parameters. Runs whose best value is NaN (nothing found) are left out.
type LeaderRow struct {
	Group          string
	Runs           []string
	Count          int
	Mean, Std      float64
	Min, Max       float64
	BestRun        string
	BestIteration  int
	BestParameters string
}

// BuildLeaderboard ranks sums (RunSummary.Best of each run) per dataset ×
// criterion. A criterion that some run holds with an unknown direction
// gives an error wrapping ErrUnknownDirection naming it (select other
// criteria with opts.Criterion); one held with both directions wraps
// ErrMetadataMismatch.
func BuildLeaderboard(sums []RunSummary, opts LeaderboardOptions) (Leaderboard, error) {
	type key struct{ dataset, criterion string }
	type entry struct {
		run string
		b   Best
	}
	var lb Leaderboard
	dir := map[string]string{}
	boards := map[key][]entry{}
	datasets, criteria := map[string]bool{}, map[string]bool{}
	for _, s := range sums {
		for _, b := range s.Best {
			datasets[b.Dataset], criteria[b.Criterion] = true, true
			if (opts.Dataset != "" && b.Dataset != opts.Dataset) || (opts.Criterion != "" && b.Criterion != opts.Criterion) {
				continue
			}
			d := Criterion{HigherIsBetter: b.HigherIsBetter, DirectionUnknown: b.DirectionUnknown}.Direction()
			if d == "unknown" {
				return Leaderboard{}, fmt.Errorf("leaderboard: criterion %s of run %s has no known direction: nothing says whether higher or lower values are better; name it with a preset or metadata, or choose other criteria: %w", b.Criterion, s.Run, ErrUnknownDirection)
			}
			if prev, ok := dir[b.Criterion]; ok && prev != d {
				return Leaderboard{}, fmt.Errorf("leaderboard: criterion %s is %s-is-better in some runs and %s-is-better in run %s: %w", b.Criterion, prev, d, s.Run, ErrMetadataMismatch)
			}
			dir[b.Criterion] = d
			if b.Found && !math.IsNaN(b.Value) {
				k := key{b.Dataset, b.Criterion}
				boards[k] = append(boards[k], entry{s.Run, b})
			}
		}
	}
	lb.Datasets = slices.Sorted(maps.Keys(datasets))
	lb.Criteria = slices.Sorted(maps.Keys(criteria))
	if opts.Dataset != "" && !datasets[opts.Dataset] {
		return Leaderboard{}, notFound("leaderboard: no run has dataset %q (datasets: %s)", opts.Dataset, strings.Join(lb.Datasets, ", "))
	}
	if opts.Criterion != "" && !criteria[opts.Criterion] {
		return Leaderboard{}, notFound("leaderboard: no run has criterion %q (criteria: %s)", opts.Criterion, strings.Join(lb.Criteria, ", "))
	}
	groupOfRun := make(map[string]string, len(sums)) // each run's group, found once for all boards
	for _, s := range sums {
		groupOfRun[s.Run] = groupOf(s, opts)
	}
	for _, d := range lb.Datasets {
		for _, c := range lb.Criteria {
			es, ok := boards[key{d, c}]
			if !ok {
				continue
			}
			crit := Criterion{HigherIsBetter: dir[c] == "higher"}
			groups := map[string][]entry{}
			for _, e := range es {
				g := groupOfRun[e.run]
				groups[g] = append(groups[g], e)
			}
			board := Board{Dataset: d, Criterion: c, Direction: dir[c]}
			for g, members := range groups {
				row := LeaderRow{Group: g, Count: len(members), Min: math.Inf(1), Max: math.Inf(-1)}
				slices.SortFunc(members, func(a, b entry) int { return strings.Compare(a.run, b.run) })
				var sum float64
				best := members[0]
				for _, m := range members {
					row.Runs = append(row.Runs, m.run)
					sum += m.b.Value
					row.Min, row.Max = min(row.Min, m.b.Value), max(row.Max, m.b.Value)
					if crit.Better(m.b.Value, best.b.Value) {
						best = m
					}
				}
				row.Mean = sum / float64(len(members))
				if len(members) > 1 {
					var ss float64
					for _, m := range members {
						ss += (m.b.Value - row.Mean) * (m.b.Value - row.Mean)
					}
					row.Std = math.Sqrt(ss / float64(len(members)-1))
				}
				row.BestRun, row.BestIteration, row.BestParameters = best.run, best.b.Iteration, best.b.Parameters
				board.Rows = append(board.Rows, row)
			}
			slices.SortFunc(board.Rows, func(a, b LeaderRow) int {
				if c := rank(crit, a.Mean, b.Mean); c != 0 {
					return c
				}
				bestA, bestB := a.Max, b.Max
				if !crit.HigherIsBetter {
					bestA, bestB = a.Min, b.Min
				}
				if c := rank(crit, bestA, bestB); c != 0 {
					return c
				}
				return strings.Compare(a.Group, b.Group)
			})
			lb.Boards = append(lb.Boards, board)
		}
	}
	return lb, nil
}

// rank orders a before b when a is the better value by crit.
func rank(crit Criterion, a, b float64) int {
	switch {
	case crit.Better(a, b):
		return -1
	case crit.Better(b, a):
		return 1
	}
	return 0
}

// groupOf returns the group of run s: its name without its repetition, or
// with opts.GroupBy its value of that tag or configuration key ("KEY=" +
// value; "KEY unset" when it has none).
func groupOf(s RunSummary, opts LeaderboardOptions) string {
	if opts.GroupBy == "" {
		base, _, _ := s.Repetition()
		return base
	}
	if v, ok := s.Tags[opts.GroupBy]; ok {
		return opts.GroupBy + "=" + v
	}
	if v, ok := ConfigValue(opts.Configs[s.Run], opts.GroupBy); ok {
		return opts.GroupBy + "=" + v
	}
	return opts.GroupBy + " unset"
}

// ConfigValue returns the value at a dotted key path (`trainer.batch_size`,
// or a top-level key that itself holds dots) of a run configuration, as
// text: a string as it is, anything else as compact JSON. ok is false when
// the configuration does not hold the key.
func ConfigValue(config json.RawMessage, key string) (string, bool) {
	if len(config) == 0 {
		return "", false
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(config))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return "", false
	}
	for {
		obj, isObj := v.(map[string]any)
		if !isObj {
			return "", false
		}
		if x, ok := obj[key]; ok {
			return configText(x), true
		}
		head, rest, found := strings.Cut(key, ".")
		if !found {
			return "", false
		}
		if v, found = obj[head]; !found {
			return "", false
		}
		key = rest
	}
}

// configText returns a configuration value as text.
func configText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return "null"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// StoreLeaderboard builds the leaderboard of the runs of s that filter
// selects (ListRunSummaries), with the runs' configurations for a
// GroupBy that is no tag when s implements RunMetaStore.
func StoreLeaderboard(ctx context.Context, s StatsStore, filter []FilterTerm, opts LeaderboardOptions) (Leaderboard, error) {
	page, err := ListRunSummaries(ctx, s, RunQuery{Filter: filter})
	if err != nil {
		return Leaderboard{}, err
	}
	if ms, ok := s.(RunMetaStore); ok && opts.GroupBy != "" && opts.Configs == nil {
		opts.Configs = map[string]json.RawMessage{}
		for _, r := range page.Runs {
			m, err := ms.RetrieveRunMeta(ctx, r.Run)
			if err != nil {
				return Leaderboard{}, err
			}
			opts.Configs[r.Run] = m.Config
		}
	}
	return BuildLeaderboard(page.Runs, opts)
}
