package statstore_test

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/statstore/statstore"
)

// board returns a summary holding one best line per (criterion, value).
func boardRun(run string, tags map[string]string, lines ...statstore.Best) statstore.RunSummary {
	return statstore.RunSummary{RunInfo: statstore.RunInfo{Run: run}, Tags: tags, Best: lines}
}

func dice(v float64, it int) statstore.Best {
	return statstore.Best{Dataset: "val", Criterion: "dice", HigherIsBetter: true, Found: !math.IsNaN(v), Value: v, Iteration: it, Parameters: "t=0.5"}
}

func voi(v float64) statstore.Best {
	return statstore.Best{Dataset: "val", Criterion: "voi", Found: true, Value: v, Iteration: 1}
}

func TestLeaderboardHandComputed(t *testing.T) {
	sums := []statstore.RunSummary{
		boardRun("unet__1", nil, dice(0.6, 10), voi(2)),
		boardRun("unet__2", nil, dice(0.8, 20), voi(1)),
		boardRun("unet__3", nil, dice(0.7, 30), voi(3)),
		boardRun("fcn__1", nil, dice(0.75, 5), voi(0.5)),
		boardRun("fcn__2", nil, dice(math.NaN(), -1), voi(0.7)), // nothing found: left out of dice
	}
	lb, err := statstore.BuildLeaderboard(sums, statstore.LeaderboardOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(lb.Boards) != 2 || lb.Boards[0].Criterion != "dice" || lb.Boards[0].Direction != "higher" || lb.Boards[1].Direction != "lower" {
		t.Fatalf("boards: got %+v, want dice (higher) then voi (lower)", lb.Boards)
	}
	d := lb.Boards[0].Rows
	// fcn: one run, 0.75; unet: mean 0.7, sample std 0.1, min 0.6, max 0.8.
	if len(d) != 2 || d[0].Group != "fcn" || d[0].Count != 1 || d[0].Mean != 0.75 || d[0].Std != 0 {
		t.Fatalf("dice rows: got %+v, want fcn (0.75, one run) first", d)
	}
	u := d[1]
	if u.Group != "unet" || u.Count != 3 || math.Abs(u.Mean-0.7) > 1e-12 || math.Abs(u.Std-0.1) > 1e-12 || u.Min != 0.6 || u.Max != 0.8 ||
		u.BestRun != "unet__2" || u.BestIteration != 20 || u.BestParameters != "t=0.5" || !slices.Equal(u.Runs, []string{"unet__1", "unet__2", "unet__3"}) {
		t.Errorf("unet row: got %+v, want mean 0.7 std 0.1 min 0.6 max 0.8, best unet__2 at 20", u)
	}
	v := lb.Boards[1].Rows // lower is better: fcn mean 0.6 before unet mean 2
	if v[0].Group != "fcn" || math.Abs(v[0].Mean-0.6) > 1e-12 || v[0].BestRun != "fcn__1" || v[1].Group != "unet" || v[1].Mean != 2 {
		t.Errorf("voi rows: got %+v, want fcn (mean 0.6, best fcn__1) then unet (mean 2)", v)
	}
	b, err := json.Marshal(lb)
	if err != nil {
		t.Fatal(err)
	}
	var back statstore.Leaderboard
	if err := json.Unmarshal(b, &back); err != nil || len(back.Boards) != 2 || back.Boards[0].Rows[1].Std != u.Std {
		t.Errorf("JSON round trip of %s: %v, got %+v", b, err, back)
	}
}

func TestLeaderboardGroupByAndErrors(t *testing.T) {
	sums := []statstore.RunSummary{
		boardRun("a", map[string]string{"arch": "unet"}, dice(0.5, 1)),
		boardRun("b", nil, dice(0.7, 1)),
		boardRun("c", nil, dice(0.9, 1)),
	}
	configs := map[string]json.RawMessage{"b": json.RawMessage(`{"arch": "unet"}`), "c": json.RawMessage(`{"model": {"arch": "fcn"}}`)}
	lb, err := statstore.BuildLeaderboard(sums, statstore.LeaderboardOptions{GroupBy: "arch", Configs: configs, Criterion: "dice"})
	if err != nil {
		t.Fatal(err)
	}
	var groups []string
	for _, r := range lb.Boards[0].Rows {
		groups = append(groups, r.Group)
	}
	if want := []string{"arch unset", "arch=unet"}; !slices.Equal(groups, want) {
		t.Errorf("group by arch: got %q, want %q", groups, want)
	}
	lb, _ = statstore.BuildLeaderboard(sums, statstore.LeaderboardOptions{GroupBy: "model.arch", Configs: configs})
	if got := lb.Boards[0].Rows[0].Group; got != "model.arch=fcn" {
		t.Errorf("group by a nested config key: got %q first, want model.arch=fcn", got)
	}
	unknown := append(sums, boardRun("d", nil, statstore.Best{Dataset: "val", Criterion: "dice", DirectionUnknown: true}))
	if _, err := statstore.BuildLeaderboard(unknown, statstore.LeaderboardOptions{}); !errors.Is(err, statstore.ErrUnknownDirection) {
		t.Errorf("unknown direction: got %v, want ErrUnknownDirection", err)
	}
	mixed := append(sums, boardRun("e", nil, statstore.Best{Dataset: "val", Criterion: "dice", Found: true, Value: 1}))
	if _, err := statstore.BuildLeaderboard(mixed, statstore.LeaderboardOptions{}); !errors.Is(err, statstore.ErrMetadataMismatch) {
		t.Errorf("both directions: got %v, want ErrMetadataMismatch", err)
	}
	if _, err := statstore.BuildLeaderboard(sums, statstore.LeaderboardOptions{Dataset: "nope"}); !errors.Is(err, statstore.ErrNotFound) {
		t.Errorf("unknown dataset: got %v, want ErrNotFound", err)
	}
}
