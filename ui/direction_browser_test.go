package ui

import (
	"context"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/httpapi"
)

// unnamedRun holds DaCapo scores stored without naming their criteria:
// generic names, directions unknown.
const unnamedRun = "dacapo_unnamed"

// TestDashboardBestRefusesUnknownDirection: for a run whose criteria have
// no known direction, the best table shows the server's refusal with the
// fix (--preset, --meta, statstore dacapo describe) instead of a table of
// guesses; the scores are still plotted, criteria are labelled "direction
// unknown", and the runs list still loads, without a best value for the
// run.
func TestDashboardBestRefusesUnknownDirection(t *testing.T) {
	d := startDashboard(t, httpapi.ServerOptions{})
	ctx := context.Background()
	meta := statstore.GenericMetadata(2, 2, 5)
	v := &statstore.ValidationScores{Metadata: meta}
	for i, it := range []int{1000, 2000, 3000} {
		v.Scores = append(v.Scores, statstore.ValidationIterationScores{Iteration: it, Scores: [][][]float64{
			{{float64(i), 1, 2, 3, 4}, {0.5, 1, 2, 3, 4}},
			{{float64(i), 1, 2, 3, 4}, {0.5, 1, 2, 3, 4}},
		}})
	}
	if err := d.store.StoreValidationIterationScores(ctx, unnamedRun, v); err != nil {
		t.Fatal(err)
	}

	d.open("#/run/" + unnamedRun)
	d.waitFor(`document.querySelector('#best[data-state="refused"]') !== null`)
	refusal := d.text("#best-refused")
	for _, want := range []string{"No best report", "criterion_0", "no known direction", "--preset", "--meta", "statstore dacapo describe"} {
		if !strings.Contains(refusal, want) {
			t.Errorf("best refusal %q does not say %q", refusal, want)
		}
	}
	var tables int
	eval(d, `document.querySelectorAll('#best-table').length`, &tables)
	if tables != 0 {
		t.Errorf("a best table is shown beside the refusal")
	}
	d.waitFor(`document.querySelector('#validation-charts .chart') !== null`)
	if label := d.text("#checkpoints-what"); !strings.Contains(label, "direction unknown") {
		t.Errorf("checkpoints label %q, want the criterion's direction said unknown", label)
	}
	if got := d.text("#last-validated"); got != "3,000" {
		t.Errorf("last validated %q, want 3,000", got)
	}
	d.screenshot("best-refused")

	d.open("#/")
	d.waitFor(`document.querySelector('#runs-table[data-state="ready"]') !== null`)
	var cell string
	eval(d, `document.querySelector('#runs-table tr[data-run="`+unnamedRun+`"] [data-field="best"]').textContent`, &cell)
	if cell != "—" {
		t.Errorf("runs list: best of %s %q, want —", unnamedRun, cell)
	}
}
