package statstore_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

// unknownDirectionScores returns directionScores with voi's direction
// unknown, as DaCapo scores read without a preset have.
func unknownDirectionScores(tb testing.TB) *statstore.ValidationScores {
	tb.Helper()
	v := directionScores(tb)
	v.EvaluationScores[1] = statstore.Criterion{Name: "voi", DirectionUnknown: true}
	return v
}

// TestBestRefusesUnknownDirection: no best is chosen for a criterion whose
// direction is unknown; GetBest fails with ErrUnknownDirection, the best
// report marks its lines and finds nothing, CheckDirections names it, and
// the criteria whose directions are known keep their answers.
func TestBestRefusesUnknownDirection(t *testing.T) {
	v := unknownDirectionScores(t)
	data, err := v.ToLabeled()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("GetBest", func(t *testing.T) {
		_, _, err := v.GetBest(data, statstore.DimIterations)
		if !errors.Is(err, statstore.ErrUnknownDirection) || !strings.Contains(err.Error(), "voi") {
			t.Errorf("GetBest: %v, want ErrUnknownDirection naming voi", err)
		}
		dice, err := data.Sel(statstore.DimCriteria, "dice")
		if err != nil {
			t.Fatal(err)
		}
		if labels, _, err := v.GetBest(dice, statstore.DimIterations); err != nil || labelAt(labels, 0, 0) != 1000 {
			t.Errorf("GetBest of dice alone: %v, %v, want iteration 1000", labelAt(labels, 0, 0), err)
		}
	})
	t.Run("BestReport", func(t *testing.T) {
		r := v.BestReport()
		for _, b := range append(r.PerDataset, r.OverDatasets...) {
			switch b.Criterion {
			case "voi":
				if !b.DirectionUnknown || b.Found || b.Iteration != -1 {
					t.Errorf("voi line %+v, want direction unknown and nothing found", b)
				}
			case "dice":
				if b.DirectionUnknown || !b.Found || b.Iteration != 1000 {
					t.Errorf("dice line %+v, want iteration 1000", b)
				}
			}
		}
	})
	t.Run("CheckDirections", func(t *testing.T) {
		if err := v.CheckDirections(); !errors.Is(err, statstore.ErrUnknownDirection) || !strings.Contains(err.Error(), "1 of 3 criteria (voi)") {
			t.Errorf("CheckDirections() = %v, want ErrUnknownDirection naming 1 of 3 criteria (voi)", err)
		}
		if err := v.CheckDirections("dice", "loss"); err != nil {
			t.Errorf("CheckDirections(dice, loss) = %v, want nil", err)
		}
		if got := strings.Join(v.UnknownDirections(), ","); got != "voi" {
			t.Errorf("UnknownDirections() = %s, want voi", got)
		}
		many := statstore.Metadata{EvaluationScores: statstore.GenericCriteria(8)}
		if err := many.CheckDirections(); err == nil || !strings.Contains(err.Error(), "criterion_4 and 3 more") {
			t.Errorf("CheckDirections of 8 = %v, want the first five named and 3 more", err)
		}
	})
}

// TestDirectionUnknownJSON: the field is written only when set, so stored
// data and best lines without it read as before; it round-trips, and a
// criterion cannot be both higher-is-better and of unknown direction.
func TestDirectionUnknownJSON(t *testing.T) {
	known, err := json.Marshal(criterion("dice", true))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(known), "direction_unknown") {
		t.Errorf("known criterion JSON %s, want no direction_unknown", known)
	}
	var old statstore.Metadata
	if err := json.Unmarshal([]byte(`{"datasets":["a"],"parameters":[{"id":0}],"criteria":[{"name":"c","higher_is_better":false,"bounds":[null,null],"store_best":false}]}`), &old); err != nil {
		t.Fatal(err)
	}
	if old.EvaluationScores[0].DirectionUnknown || old.EvaluationScores[0].Direction() != "lower" {
		t.Errorf("old criterion read as %+v, want lower is better", old.EvaluationScores[0])
	}
	m := statstore.GenericMetadata(1, 1, 2)
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"direction_unknown":true`) {
		t.Errorf("generic metadata JSON %s, want direction_unknown", data)
	}
	var back statstore.Metadata
	if err := json.Unmarshal(data, &back); err != nil || !back.Equal(m) {
		t.Errorf("round trip: %+v, %v, want %+v", back, err, m)
	}
	known1 := m
	known1.EvaluationScores = []statstore.Criterion{{Name: "criterion_0"}, {Name: "criterion_1"}}
	if m.Equal(known1) {
		t.Errorf("unknown and lower-is-better criteria compare equal")
	}
	bad := statstore.Criterion{Name: "c", HigherIsBetter: true, DirectionUnknown: true}
	if err := bad.Validate(); !errors.Is(err, statstore.ErrInvalidArgument) {
		t.Errorf("Validate(higher and unknown) = %v, want ErrInvalidArgument", err)
	}
	line := statstore.Best{Dataset: "a", Criterion: "c", DirectionUnknown: true, Iteration: -1, ParameterID: -1}
	js, err := json.Marshal(line)
	if err != nil {
		t.Fatal(err)
	}
	var lineBack statstore.Best
	if err := json.Unmarshal(js, &lineBack); err != nil || !lineBack.DirectionUnknown || lineBack.Found {
		t.Errorf("best line %s read back as %+v, %v, want direction unknown, nothing found", js, lineBack, err)
	}
	for c, want := range map[statstore.Criterion]string{criterion("d", true): "higher", criterion("v", false): "lower", {Name: "u", DirectionUnknown: true}: "unknown"} {
		if got := c.Direction(); got != want {
			t.Errorf("%s.Direction() = %s, want %s", c.Name, got, want)
		}
	}
}
