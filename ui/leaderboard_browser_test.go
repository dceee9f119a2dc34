// The leaderboard page over the real GET /api/v1/leaderboard.

package ui

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/statstore/statstore/httpapi"
)

// TestLeaderboardGroupsRepetitions checks that the leaderboard page of the
// lab store groups each run's five repetitions (name__0 … name__4) into
// one row with their mean ± standard deviation, min and max.
func TestLeaderboardGroupsRepetitions(t *testing.T) {
	chromiumPath(t)
	store, names, _ := newLabStore(t)
	d := startDashboardOver(t, store, httpapi.ServerOptions{}, nil)

	// The expected groups, from the stored best reports.
	groups := map[string][]float64{}
	for _, run := range names {
		v, err := store.RetrieveValidationScores(context.Background(), run)
		if err != nil {
			t.Fatal(err)
		}
		base, _, _ := strings.Cut(run, "__")
		groups[base] = append(groups[base], v.BestReport().PerDataset[0].Value)
	}
	type group struct {
		name            string
		mean, std, x, n float64
	}
	var want []group
	for name, vals := range groups {
		g := group{name: name, n: float64(len(vals))}
		for _, x := range vals {
			g.mean += x / g.n
		}
		for _, x := range vals {
			g.std += (x - g.mean) * (x - g.mean) / (g.n - 1)
		}
		g.std = math.Sqrt(g.std)
		want = append(want, g)
	}
	sort.Slice(want, func(i, j int) bool {
		if want[i].mean != want[j].mean {
			return want[i].mean > want[j].mean // dice: higher is better
		}
		return want[i].name < want[j].name
	})

	d.open("#/leaderboard?criterion=dice")
	d.waitFor(`document.querySelector('#leaderboard[data-state="ready"]') !== null`)
	var rows []map[string]string
	eval(d, `[...document.querySelectorAll('#leaderboard tr.group-row')].map(tr => ({...tr.dataset}))`, &rows)
	if len(rows) != 50 {
		t.Fatalf("leaderboard shows %d groups, want the first 50 of %d", len(rows), len(want))
	}
	for i, r := range rows {
		mean, _ := strconv.ParseFloat(r["mean"], 64)
		std, _ := strconv.ParseFloat(r["std"], 64)
		if r["count"] != "5" || math.Abs(mean-want[i].mean) > 1e-9 || math.Abs(std-want[i].std) > 1e-9 {
			t.Errorf("row %d: group %s, count %s, mean %s ± %s; want 5 repetitions, mean %v ± %v (group %s)", i, r["group"], r["count"], r["mean"], r["std"], want[i].mean, want[i].std, want[i].name)
		}
	}
	var more string
	eval(d, `document.querySelector('#leaderboard .show-all')?.textContent || ''`, &more)
	if wantMore := fmt.Sprintf("Show all %s groups", fmtThousands(len(want))); more != wantMore {
		t.Errorf("show-all button %q, want %q", more, wantMore)
	}
	d.screenshot("leaderboard")
}
