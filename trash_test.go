package statstore_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/statstore/statstore"
)

func TestValidateTrashID(t *testing.T) {
	now := time.Date(2026, 12, 5, 7, 51, 0, 0, time.UTC)
	id, err := statstore.NewTrashID(now)
	if err != nil {
		t.Fatal(err)
	}
	if err := statstore.ValidateTrashID(id); err != nil {
		t.Errorf("NewTrashID gave %q, which ValidateTrashID refuses: %v", id, err)
	}
	if got, want := id[:15], "20261205-075100"; got != want {
		t.Errorf("NewTrashID prefix: got %q, want %q", got, want)
	}
	for _, bad := range []string{"", ".", "..", "a/b", "a b", "x\x00", string(make([]byte, 65))} {
		if err := statstore.ValidateTrashID(bad); !errors.Is(err, statstore.ErrInvalidArgument) {
			t.Errorf("ValidateTrashID(%q): got %v, want ErrInvalidArgument", bad, err)
		}
	}
}

func TestPurgeSelection(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	entries := []statstore.TrashEntry{
		{ID: "old", Run: "a", DeletedAt: t0},
		{ID: "new", Run: "a", DeletedAt: t0.Add(time.Hour)},
	}
	ids := func(es []statstore.TrashEntry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	tests := []struct {
		name    string
		sel     statstore.PurgeSelection
		want    []string
		wantErr error
	}{
		{"older than an hour", statstore.PurgeOlderThan(t0.Add(2*time.Hour), time.Hour), []string{"old"}, nil},
		{"cutoff is strict", statstore.PurgeSelection{Before: t0}, nil, nil},
		{"named", statstore.PurgeSelection{IDs: []string{"new"}}, []string{"new"}, nil},
		{"all", statstore.PurgeSelection{All: true}, []string{"old", "new"}, nil},
		{"unknown id", statstore.PurgeSelection{IDs: []string{"new", "gone"}}, nil, statstore.ErrNotFound},
		{"no rule", statstore.PurgeSelection{}, nil, statstore.ErrInvalidArgument},
		{"two rules", statstore.PurgeSelection{All: true, Before: t0}, nil, statstore.ErrInvalidArgument},
		{"bad id", statstore.PurgeSelection{IDs: []string{"../x"}}, nil, statstore.ErrInvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := statstore.SelectTrash(entries, tc.sel)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("SelectTrash: got error %v, want %v", err, tc.wantErr)
			}
			if g, w := ids(got), tc.want; !slices.Equal(g, w) {
				t.Errorf("SelectTrash: got %v, want %v", g, w)
			}
		})
	}
}

func TestTrashEntryValidate(t *testing.T) {
	ok := statstore.TrashEntry{ID: "x", Run: "r", DeletedAt: time.Unix(1, 0), TrainingIterations: -1}
	if err := ok.Validate(); err != nil {
		t.Errorf("Validate(%+v): %v", ok, err)
	}
	for _, bad := range []statstore.TrashEntry{
		{ID: "x", Run: "a/b", DeletedAt: time.Unix(1, 0)},
		{ID: "x/", Run: "r", DeletedAt: time.Unix(1, 0)},
		{ID: "x", Run: "r"},
		{ID: "x", Run: "r", DeletedAt: time.Unix(1, 0), Bytes: -1},
		{ID: "x", Run: "r", DeletedAt: time.Unix(1, 0), ValidationIterations: -2},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("Validate(%+v): got nil, want an error", bad)
		}
	}
}
