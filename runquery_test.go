package statstore_test

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/statstore/statstore"
)

// querySummaries are four runs to filter and sort.
func querySummaries() []statstore.RunSummary {
	mk := func(run string, until int, loss, dice float64, tags map[string]string, health ...string) statstore.RunSummary {
		return statstore.RunSummary{
			RunInfo:  statstore.RunInfo{Run: run, TrainedUntil: until, LastWrite: time.Date(2026, 1, until, 0, 0, 0, 0, time.UTC)},
			LastLoss: loss, MinLoss: loss, Tags: tags, Health: health,
			Best: []statstore.Best{{Dataset: "val", Criterion: "dice", HigherIsBetter: true, Found: !math.IsNaN(dice), Value: dice}},
		}
	}
	return []statstore.RunSummary{
		mk("unet_a__1", 3, 0.5, 0.8, map[string]string{"architecture": "unet"}),
		mk("unet_a__2", 5, 0.4, 0.9, map[string]string{"architecture": "unet"}, statstore.FindingPlateau),
		mk("fcn_b__1", 4, math.NaN(), math.NaN(), nil),
		mk("fcn with space", 1, 0.7, 0.2, map[string]string{"architecture": "fcn net"}),
	}
}

func TestRunQuery(t *testing.T) {
	tests := []struct {
		filter, sort  string
		limit, offset int
		want          []string
		total         int
	}{
		{"", "", 0, 0, []string{"fcn with space", "fcn_b__1", "unet_a__1", "unet_a__2"}, 4},
		{"name~unet", "-trained_until", 0, 0, []string{"unet_a__2", "unet_a__1"}, 2},
		{"tag.architecture=unet repetition>=2", "", 0, 0, []string{"unet_a__2"}, 1},
		{"tag.architecture!=unet", "", 0, 0, []string{"fcn with space", "fcn_b__1"}, 2},
		{`tag.architecture="fcn net"`, "", 0, 0, []string{"fcn with space"}, 1},
		{"best.val.dice>0.5", "-best.val.dice", 0, 0, []string{"unet_a__2", "unet_a__1"}, 2},
		{"", "best.val.dice", 0, 0, []string{"fcn with space", "unet_a__1", "unet_a__2", "fcn_b__1"}, 4}, // NaN last
		{"", "-best.val.dice", 0, 0, []string{"unet_a__2", "unet_a__1", "fcn with space", "fcn_b__1"}, 4},
		{"", "min_loss", 2, 1, []string{"unet_a__1", "fcn with space"}, 4},
		{"", "name", 2, 10, nil, 4},
		{"health=plateau", "", 0, 0, []string{"unet_a__2"}, 1},
		{"health!=plateau name!~space", "", 0, 0, []string{"fcn_b__1", "unet_a__1"}, 2},
		{"last_write>=2026-01-04T00:00:00Z", "-last_write", 0, 0, []string{"unet_a__2", "fcn_b__1"}, 2},
		{"last_loss<0.45", "", 0, 0, []string{"unet_a__2"}, 1},
		{"name=fcn_b__1", "", 0, 0, []string{"fcn_b__1"}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.filter+"|"+tc.sort, func(t *testing.T) {
			f, err := statstore.ParseRunFilter(tc.filter)
			if err != nil {
				t.Fatalf("ParseRunFilter(%q): %v", tc.filter, err)
			}
			s, err := statstore.ParseRunSort(tc.sort)
			if err != nil {
				t.Fatalf("ParseRunSort(%q): %v", tc.sort, err)
			}
			page, err := statstore.RunQuery{Filter: f, Sort: s, Limit: tc.limit, Offset: tc.offset}.Apply(querySummaries())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range page.Runs {
				got = append(got, r.Run)
			}
			if !slices.Equal(got, tc.want) || page.Total != tc.total {
				t.Errorf("got %q (total %d), want %q (total %d)", got, page.Total, tc.want, tc.total)
			}
		})
	}
}

func TestRunQueryErrors(t *testing.T) {
	for _, tc := range []struct{ filter, sort, want string }{
		{filter: "name", want: "no operator"},
		{filter: "bogus=1", want: `unknown column "bogus"`},
		{filter: "trained_until=abc", want: "not a number"},
		{filter: "name<3", want: "not numeric"},
		{filter: "min_loss~3", want: "numeric"},
		{filter: `tag.a="open`, want: "not closed"},
		{filter: "=3", want: "no column"},
		{filter: "last_write>yesterday", want: "RFC 3339"},
		{filter: "health~pl", want: "= or !="},
		{sort: "-nope", want: `unknown column "nope"`},
		{sort: "best.x", want: "unknown column"},
	} {
		_, err := statstore.ParseRunFilter(tc.filter)
		if tc.sort != "" {
			_, err = statstore.ParseRunSort(tc.sort)
		}
		if !errors.Is(err, statstore.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("filter %q sort %q: got %v, want ErrInvalidArgument saying %q", tc.filter, tc.sort, err, tc.want)
		}
	}
	if _, err := (statstore.RunQuery{Limit: -1}).Apply(nil); !errors.Is(err, statstore.ErrInvalidArgument) {
		t.Errorf("limit -1: got %v, want ErrInvalidArgument", err)
	}
}

func TestRepetition(t *testing.T) {
	for _, tc := range []struct {
		run  string
		tags map[string]string
		base string
		rep  int
		ok   bool
	}{
		{"task_split_unet_trainer__3", nil, "task_split_unet_trainer", 3, true},
		{"a__b", nil, "a__b", 0, false},
		{"run_7", map[string]string{"repetition": "7"}, "run", 7, true},
		{"plain", map[string]string{"repetition": "x"}, "plain", 0, false},
	} {
		base, rep, ok := statstore.RunSummary{RunInfo: statstore.RunInfo{Run: tc.run}, Tags: tc.tags}.Repetition()
		if base != tc.base || rep != tc.rep || ok != tc.ok {
			t.Errorf("Repetition(%s, %v): got %q %d %v, want %q %d %v", tc.run, tc.tags, base, rep, ok, tc.base, tc.rep, tc.ok)
		}
	}
}
