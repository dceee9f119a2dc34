package statstore_test

import (
	"errors"
	"testing"

	"github.com/statstore/statstore"
)

// TestDecisionsRefuseUnknownDirections: no decision ranks by a criterion
// whose direction is unknown; the health check does not call it a plateau.
func TestDecisionsRefuseUnknownDirections(t *testing.T) {
	v := selectionScores()
	for i := range v.EvaluationScores {
		v.EvaluationScores[i].DirectionUnknown = true
		v.EvaluationScores[i].HigherIsBetter = false
	}
	if _, err := statstore.PlanRetention(v, nil, statstore.RetentionOptions{}); !errors.Is(err, statstore.ErrUnknownDirection) {
		t.Errorf("PlanRetention: %v", err)
	}
	if _, err := v.Select(statstore.SelectOn{Dataset: "crop_a", Criterion: "dice"}); !errors.Is(err, statstore.ErrUnknownDirection) {
		t.Errorf("Select: %v", err)
	}
	if _, err := v.Grid("crop_a", "dice", statstore.GridOptions{}); !errors.Is(err, statstore.ErrUnknownDirection) {
		t.Errorf("Grid: %v", err)
	}
	if _, err := statstore.ProposeValidations(v, nil, statstore.ProposalOptions{Budget: 1}); !errors.Is(err, statstore.ErrUnknownDirection) {
		t.Errorf("ProposeValidations: %v", err)
	}
	if r := statstore.CheckHealth(nil, v, statstore.HealthOptions{Plateau: 1}); len(r.Findings) != 0 {
		t.Errorf("CheckHealth: %+v, want no plateau for criteria of unknown direction", r.Findings)
	}
}
