package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
)

// runsQueryFlags are the flags of statstore runs that list run summaries
// (filtered, sorted, paged) instead of the plain listing.
type runsQueryFlags struct {
	filter, sort, columns string
	limit, offset         int
}

// defaultRunColumns are the columns of statstore runs --filter/--sort/...
// when --columns is not given.
const defaultRunColumns = "run,trained_until,validated_until,last_loss,min_loss,health"

func (f *runsQueryFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.filter, "filter", "", "keep the runs matching every term: name~unet tag.architecture=unet repetition>=2 best.validate.dice>0.8 (see docs/api.md)")
	cmd.Flags().StringVar(&f.sort, "sort", "", "sort by columns, comma-separated, - for decreasing: -best.validate.dice,name")
	cmd.Flags().IntVar(&f.limit, "limit", 0, "list at most this many runs (0: all)")
	cmd.Flags().IntVar(&f.offset, "offset", 0, "skip this many runs first (paging)")
	cmd.Flags().StringVar(&f.columns, "columns", "", "columns to show, comma-separated: "+defaultRunColumns+" by default; also tag.<key>, best.<dataset>.<criterion>, "+strings.Join(statstore.RunColumns(), ", "))
}

// set reports whether any of the flags was given.
func (f *runsQueryFlags) set(cmd *cobra.Command) bool {
	for _, n := range []string{"filter", "sort", "limit", "offset", "columns"} {
		if cmd.Flags().Changed(n) {
			return true
		}
	}
	return false
}

// query parses the flags.
func (f *runsQueryFlags) query() (statstore.RunQuery, []string, error) {
	var q statstore.RunQuery
	var err error
	if q.Filter, err = statstore.ParseRunFilter(f.filter); err != nil {
		return q, nil, fmt.Errorf("--filter: %w", err)
	}
	if q.Sort, err = statstore.ParseRunSort(f.sort); err != nil {
		return q, nil, fmt.Errorf("--sort: %w", err)
	}
	q.Limit, q.Offset = f.limit, f.offset
	if err := q.Validate(); err != nil {
		return q, nil, err
	}
	cols := f.columns
	if cols == "" {
		cols = defaultRunColumns
	}
	names := strings.Split(cols, ",")
	for i := range names {
		names[i] = strings.TrimSpace(names[i])
	}
	if err := statstore.ValidateColumns(names); err != nil {
		return q, nil, fmt.Errorf("--columns: %w", err)
	}
	return q, names, nil
}

// runPageJSON is what statstore runs --json prints with the query flags:
// the API's answer (docs/api.md).
type runPageJSON struct {
	Runs   []statstore.RunSummary `json:"runs"`
	Total  int                    `json:"total"`
	Offset int                    `json:"offset"`
	Limit  int                    `json:"limit"`
}

// listRunPage prints the page of run summaries the flags select.
func (app *App) listRunPage(ctx context.Context, s statstore.StatsStore, f *runsQueryFlags, asJSON bool) error {
	q, cols, err := f.query()
	if err != nil {
		return usageError{err}
	}
	page, err := statstore.ListRunSummaries(ctx, s, q)
	if err != nil {
		return err
	}
	if asJSON {
		out := runPageJSON{Runs: page.Runs, Total: page.Total, Offset: page.Offset, Limit: page.Limit}
		if out.Runs == nil {
			out.Runs = []statstore.RunSummary{}
		}
		return writeJSON(app.Stdout, out)
	}
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = strings.ToUpper(c)
	}
	t := newTable(app.Stdout, header...)
	for _, r := range page.Runs {
		row := make([]string, len(cols))
		for i, c := range cols {
			if row[i] = r.Column(c); row[i] == "" {
				row[i] = "-"
			}
		}
		t.row(row...)
	}
	if err := t.flush(); err != nil {
		return err
	}
	if len(page.Runs) < page.Total {
		fmt.Fprintf(app.Stderr, "%d of %d runs (from %d)\n", len(page.Runs), page.Total, page.Offset)
	}
	return nil
}

func newLeaderboardCmd(app *App) *cobra.Command {
	var out outputFlags
	var opts statstore.LeaderboardOptions
	var filter string
	cmd := &cobra.Command{
		Use:   "leaderboard",
		Short: "Rank runs per dataset × criterion by their best value, repetitions grouped",
		Long: `Rank the runs per dataset × criterion by their best value (superseded
validations left out, each criterion by its own direction). Runs that
differ only in repetition (a __<n> suffix, or a repetition tag) form one
row: mean ± sample standard deviation, min, max and count over the
repetitions, with the best run. --group-by groups by a tag or a
configuration key instead (dotted for nested keys).`,
		Example: `  statstore leaderboard --dataset validate --criterion dice
  statstore leaderboard --group-by architecture --filter 'name~cosem' --json`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			terms, err := statstore.ParseRunFilter(filter)
			if err != nil {
				return usageError{fmt.Errorf("--filter: %w", err)}
			}
			return app.withStore(cmd.Context(), readOnly, func(s statstore.StatsStore) error {
				lb, err := statstore.StoreLeaderboard(cmd.Context(), s, terms, opts)
				if err != nil {
					return err
				}
				if out.json {
					return writeJSON(app.Stdout, lb)
				}
				for i, b := range lb.Boards {
					if i > 0 {
						fmt.Fprintln(app.Stdout)
					}
					fmt.Fprintf(app.Stdout, "%s / %s (%s is better)\n", b.Dataset, b.Criterion, b.Direction)
					t := newTable(app.Stdout, "RANK", "GROUP", "N", "MEAN", "± STD", "MIN", "MAX", "BEST_RUN", "AT", "PARAMETERS")
					for r, row := range b.Rows {
						t.row(strconv.Itoa(r+1), row.Group, strconv.Itoa(row.Count), num(row.Mean), num(row.Std), num(row.Min), num(row.Max),
							row.BestRun, strconv.Itoa(row.BestIteration), row.BestParameters)
					}
					if err := t.flush(); err != nil {
						return err
					}
				}
				if len(lb.Boards) == 0 {
					fmt.Fprintln(app.Stderr, "no run has a best value to rank")
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&opts.Dataset, "dataset", "", "only this dataset's boards")
	cmd.Flags().StringVar(&opts.Criterion, "criterion", "", "only this criterion's boards")
	cmd.Flags().StringVar(&opts.GroupBy, "group-by", "", "group by this tag or configuration key instead of by repetition")
	cmd.Flags().StringVar(&filter, "filter", "", "rank only the runs matching this filter (as statstore runs --filter)")
	out.register(cmd)
	return cmd
}
