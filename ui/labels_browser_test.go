package ui

import (
	"context"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/httpapi"
)

// TestLongParameterNamesInBrowser: a parameter set named by a long class
// repr shows its values in the best table (the threshold is never clipped
// away), with the full name in the cell's title.
func TestLongParameterNamesInBrowser(t *testing.T) {
	d := startDashboard(t, httpapi.ServerOptions{})
	long := "WatershedPostProcessorParameters(id=1, bias=0.75, context=(32, 32, 32))"
	v := &statstore.ValidationScores{Metadata: statstore.Metadata{
		Datasets: []string{"a"}, EvaluationScores: statstore.DummyCriteria(),
		Parameters: []statstore.ParameterSet{
			{ID: 0, Name: "bias_0.25", Values: statstore.ParameterValues{{Name: "bias", Value: 0.25}}},
			{ID: 1, Name: long, Values: statstore.ParameterValues{{Name: "bias", Value: 0.75}}},
		},
	}, Scores: []statstore.ValidationIterationScores{{Iteration: 100, Scores: [][][]float64{{{0.1, 0.9}, {0.8, 0.2}}}}}}
	if err := d.store.StoreValidationIterationScores(context.Background(), "watershed", v); err != nil {
		t.Fatal(err)
	}
	d.open("#/run/watershed")
	d.waitFor(`document.querySelector('#best[data-state="ready"]') !== null`)
	var cells []map[string]string
	eval(d, `[...document.querySelectorAll('#best-table td.best-cell .where')].map(w => ({text: w.textContent, title: w.title}))`, &cells)
	if len(cells) != 2 {
		t.Fatalf("best table: %d cells, want 2 (one per criterion): %v", len(cells), cells)
	}
	for _, c := range cells { // both criteria are best with the long-named set
		if c["text"] != "100 · bias=0.75" || !strings.Contains(c["title"], long) {
			t.Errorf("best cell %v, want the values shown and the name in the title", c)
		}
	}
}
