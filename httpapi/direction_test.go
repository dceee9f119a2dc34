package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

// TestBestUnknownDirection: a best report that would hold a criterion of
// unknown direction is refused with 409 unknown_direction, naming the
// criteria and the flags that name them; a criterion whose direction is
// known is still answered; the client maps the code back to
// statstore.ErrUnknownDirection; and the metadata round-trips unchanged.
func TestBestUnknownDirection(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	meta := statstore.Metadata{
		Datasets:   []string{"a"},
		Parameters: statstore.ThresholdParameters(0.5),
		EvaluationScores: []statstore.Criterion{
			{Name: "dice", HigherIsBetter: true},
			{Name: "criterion_1", DirectionUnknown: true},
		},
	}
	scores := &statstore.ValidationScores{Metadata: meta, Scores: []statstore.ValidationIterationScores{
		{Iteration: 100, Scores: [][][]float64{{{0.5, 2}}}},
		{Iteration: 200, Scores: [][][]float64{{{0.4, 1}}}},
	}}
	ctx := context.Background()
	if err := ts.store.StoreValidationIterationScores(ctx, "r", scores); err != nil {
		t.Fatal(err)
	}
	status, body := ts.do(t, ts.request(t, "GET", "/api/v1/runs/r/best", "", ""))
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	if status != 409 || e.Error.Code != codeUnknownDirection {
		t.Errorf("best: %d %s, want 409 %s", status, body, codeUnknownDirection)
	}
	for _, want := range []string{"criterion_1", "--preset", "--meta", "statstore dacapo describe"} {
		if !strings.Contains(e.Error.Message, want) {
			t.Errorf("message %q does not name %s", e.Error.Message, want)
		}
	}
	status, body = ts.do(t, ts.request(t, "GET", "/api/v1/runs/r/best?criterion=dice", "", ""))
	if status != 200 || !strings.Contains(body, `"iteration":100`) || strings.Contains(body, "criterion_1") {
		t.Errorf("best?criterion=dice: %d %s, want dice's line at 100 alone", status, body)
	}
	c := ts.client(t, ClientOptions{})
	got, err := c.RetrieveValidationScores(ctx, "r")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Metadata.Equal(meta) {
		t.Errorf("metadata through the API: %+v, want %+v", got.Metadata, meta)
	}
	if code, ok := lookupCode(codeUnknownDirection); !ok || !errors.Is(&requestError{code: code.code, msg: "x"}, statstore.ErrUnknownDirection) {
		t.Errorf("code %s does not map back to ErrUnknownDirection", codeUnknownDirection)
	}
	_, body = ts.do(t, ts.request(t, "GET", "/api/v1/runs/r/validation", "", ""))
	if !strings.Contains(body, `"direction_unknown":true`) || strings.Count(body, "direction_unknown") != 1 {
		t.Errorf("validation answer %s, want direction_unknown once (left out when false)", body)
	}
}
