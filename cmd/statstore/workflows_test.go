package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

// workflowWant is one directory of testdata/workflows/expected.json: what
// the store must read from the DaCapo directory make_workflows.py wrote.
type workflowWant struct {
	TrainedUntil int `json:"trained_until"`
	Validation   []struct {
		Iteration  int           `json:"iteration"`
		Scores     [][][]float64 `json:"scores"`
		Superseded bool          `json:"superseded"`
	} `json:"validation"`
}

// TestDaCapoWorkflows reads the DaCapo directories of issue 11's workflows
// (re-validation, late validation of an old checkpoint, resume from an
// earlier checkpoint; written by testdata/workflows/make_workflows.py as
// DaCapo's FileStatsStore writes them) in place and after `import dacapo`,
// with show, export, best and runs alike: validations merged by iteration
// (the last entry wins, sorted), and after a resume the validations past
// the training's end superseded, so that best never names weights the
// resumed training overwrote.
func TestDaCapoWorkflows(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "workflows", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var expected map[string]workflowWant
	if err := json.Unmarshal(data, &expected); err != nil {
		t.Fatal(err)
	}
	if len(expected) < 4 {
		t.Fatalf("expected.json holds %d workflows, want 4", len(expected))
	}
	const run = "workflow_run"
	for name, want := range expected {
		t.Run(name, func(t *testing.T) {
			src := filepath.Join("testdata", "workflows", name)
			imported := filepath.Join(t.TempDir(), "stats")
			mustRun(t, "--store", imported, "import", "dacapo", src)
			var validated, superseded []int
			for _, v := range want.Validation {
				validated = append(validated, v.Iteration)
				if v.Superseded {
					superseded = append(superseded, v.Iteration)
				}
			}
			for _, store := range []string{src, imported} {
				t.Run(filepath.Base(store), func(t *testing.T) {
					var d struct {
						TrainedUntil int   `json:"trained_until"`
						Validated    []int `json:"validated_iterations"`
						Superseded   []int `json:"superseded_iterations"`
					}
					r := mustRun(t, "--store", store, "show", run, "--json")
					decodeJSON(t, r, &d)
					if d.TrainedUntil != want.TrainedUntil || !slices.Equal(d.Validated, validated) || !slices.Equal(d.Superseded, superseded) {
						t.Errorf("show: trained until %d, validated %v, superseded %v; want %d, %v, %v",
							d.TrainedUntil, d.Validated, d.Superseded, want.TrainedUntil, validated, superseded)
					}
					if store == src && name == "revalidate" && !strings.Contains(r.stderr, "last entry wins") {
						t.Errorf("show of a validation file holding 800 twice warns nothing; stderr %q", r.stderr)
					}

					r = mustRun(t, "--store", store, "export", run, "--what", "validation", "--format", "jsonl")
					lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
					if len(lines) != len(want.Validation) {
						t.Fatalf("export: %d documents, want %d:\n%s", len(lines), len(want.Validation), r.stdout)
					}
					for i, line := range lines {
						var doc struct {
							Iteration  int           `json:"iteration"`
							Scores     [][][]float64 `json:"scores"`
							Superseded bool          `json:"superseded"`
						}
						if err := json.Unmarshal([]byte(line), &doc); err != nil {
							t.Fatalf("export line %d: %v: %s", i, err, line)
						}
						w := want.Validation[i]
						if doc.Iteration != w.Iteration || doc.Superseded != w.Superseded || !equalScores(doc.Scores, w.Scores) {
							t.Errorf("export document %d: %s; want iteration %d superseded %v scores %v", i, line, w.Iteration, w.Superseded, w.Scores)
						}
					}

					// best: two unnamed criteria are DaCapo's dummy
					// evaluator's (inferred from their count), each best in
					// its direction over the entries that are not
					// superseded; with --include-superseded over all.
					crit := statstore.DummyCriteria()
					for _, include := range []bool{false, true} {
						args := []string{"--store", store, "best", run, "--json"}
						if include {
							args = append(args, "--include-superseded")
						}
						var lines []struct {
							Dataset   string  `json:"dataset"`
							Criterion string  `json:"criterion"`
							Mean      bool    `json:"mean_over_datasets"`
							Iteration int     `json:"iteration"`
							Value     float64 `json:"value"`
						}
						r := mustRun(t, args...)
						decodeJSON(t, r, &lines)
						if len(lines) == 0 {
							t.Fatalf("best %v: no lines", args)
						}
						for _, l := range lines {
							if l.Mean {
								continue
							}
							di := axisIndex(t, l.Dataset, "dataset_")
							ci := slices.IndexFunc(crit, func(c statstore.Criterion) bool { return c.Name == l.Criterion })
							if ci < 0 {
								t.Fatalf("best: criterion %q, want one of the dummy evaluator's", l.Criterion)
							}
							bestIt, best := -1, math.NaN()
							for _, v := range want.Validation {
								if v.Superseded && !include {
									continue
								}
								for _, ps := range v.Scores[di] {
									if crit[ci].Better(ps[ci], best) {
										bestIt, best = v.Iteration, ps[ci]
									}
								}
							}
							if l.Iteration != bestIt || l.Value != best {
								t.Errorf("best (include superseded %v) %s/%s: iteration %d value %v, want %d %v",
									include, l.Dataset, l.Criterion, l.Iteration, l.Value, bestIt, best)
							}
						}
						if len(superseded) > 0 && !include && !strings.Contains(r.stderr, "superseded") {
							t.Errorf("best says nothing of the superseded entries it left out; stderr %q", r.stderr)
						}
					}

					var runs []struct {
						Run         string `json:"run"`
						Validations int    `json:"validation_iterations"`
					}
					decodeJSON(t, mustRun(t, "--store", store, "runs", "--json"), &runs)
					if len(runs) != 1 || runs[0].Run != run || runs[0].Validations != len(want.Validation) {
						t.Errorf("runs: %+v; want %s with %d validations", runs, run, len(want.Validation))
					}
				})
			}
		})
	}
}

// axisIndex parses the index of a generic axis name such as "dataset_1".
func axisIndex(t *testing.T, name, prefix string) int {
	t.Helper()
	var i int
	if _, err := fmt.Sscanf(strings.TrimPrefix(name, prefix), "%d", &i); err != nil || !strings.HasPrefix(name, prefix) {
		t.Fatalf("axis name %q: want %s<index>", name, prefix)
	}
	return i
}

// equalScores reports whether two score grids hold the same values.
func equalScores(a, b [][][]float64) bool {
	return slices.EqualFunc(a, b, func(x, y [][]float64) bool {
		return slices.EqualFunc(x, y, func(p, q []float64) bool { return slices.Equal(p, q) })
	})
}
