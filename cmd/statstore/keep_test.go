package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// keepFixture writes a store with one run validated at 1000, 2000, 3000,
// 4000 and 6000 (dummy preset: frizz_level higher is better, blipp_score
// lower is better, both store_best; one dataset; two thresholds) and a
// DaCapo weights tree with checkpoints 1000 to 5000 and a foreign file.
// frizz_level is best at 2000, blipp_score at 3000; 5000 is the latest
// and not validated; 6000 has no weights.
func keepFixture(t *testing.T) (store, weights string) {
	t.Helper()
	store = filepath.Join(t.TempDir(), "stats")
	docs := `{"iteration": 1000, "scores": [[[0.5, 0.5], [0.6, 0.4]]]}
{"iteration": 2000, "scores": [[[0.9, 0.3], [0.7, 0.6]]]}
{"iteration": 3000, "scores": [[[0.4, 0.1], [0.2, 0.2]]]}
{"iteration": 4000, "scores": [[[0.3, 0.7], [0.3, 0.8]]]}
{"iteration": 6000, "scores": [[[0.1, 0.9], [0.1, 0.9]]]}`
	mustRunIn(t, docs, "--store", store, "--preset", "dummy", "--datasets", "a", "--parameters", "threshold=0.3,0.5", "put", "validation", "r")
	weights = filepath.Join(t.TempDir(), "runs")
	it := filepath.Join(weights, "r", "checkpoints", "iterations")
	if err := os.MkdirAll(it, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, n := range []int{1000, 2000, 3000, 4000, 5000} {
		if err := os.WriteFile(filepath.Join(it, strconv.Itoa(n)), make([]byte, 100*(i+1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(it, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	return store, weights
}

func weightFiles(t *testing.T, weights string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(weights, "r", "checkpoints", "iterations"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// keepPlanJSON is what keep --json prints for one run.
type keepPlanJSON struct {
	Run                     string     `json:"run"`
	Criteria                []string   `json:"criteria"`
	Kept                    int        `json:"kept"`
	Prunable                int        `json:"prunable"`
	FreesBytes              *int64     `json:"frees_bytes"`
	ValidatedWithoutWeights []int      `json:"validated_without_weights"`
	Foreign                 []string   `json:"foreign_files"`
	Bests                   []keepBest `json:"bests"`
	Checkpoints             []struct {
		Iteration int    `json:"iteration"`
		Keep      bool   `json:"keep"`
		Bytes     *int64 `json:"bytes"`
		Reasons   []struct {
			Kind      string `json:"kind"`
			Criterion string `json:"criterion"`
			Text      string `json:"text"`
		} `json:"reasons"`
	} `json:"checkpoints"`
}

func TestKeepPlan(t *testing.T) {
	store, weights := keepFixture(t)
	var plans []keepPlanJSON
	decodeJSON(t, mustRun(t, "--store", store, "keep", "r", "--weights", weights, "--json"), &plans)
	if len(plans) != 1 {
		t.Fatalf("%d plans, want 1", len(plans))
	}
	p := plans[0]
	var kept, gone []int
	for _, c := range p.Checkpoints {
		if c.Keep {
			kept = append(kept, c.Iteration)
		} else {
			gone = append(gone, c.Iteration)
		}
	}
	if !slices.Equal(kept, []int{2000, 3000, 5000}) || !slices.Equal(gone, []int{1000, 4000}) {
		t.Errorf("kept %v, can go %v; want [2000 3000 5000] and [1000 4000]", kept, gone)
	}
	if p.FreesBytes == nil || *p.FreesBytes != 100+400 {
		t.Errorf("frees %v bytes, want 500", p.FreesBytes)
	}
	if !slices.Equal(p.ValidatedWithoutWeights, []int{6000}) || !slices.Equal(p.Foreign, []string{"notes.txt"}) {
		t.Errorf("validated without weights %v, foreign %v; want [6000] [notes.txt]", p.ValidatedWithoutWeights, p.Foreign)
	}
	if !slices.Equal(p.Bests, []keepBest{{"a", "frizz_level", 2000}, {"a", "blipp_score", 3000}}) || p.Checkpoints[0].Bytes == nil || *p.Checkpoints[0].Bytes != 100 {
		t.Errorf("bests %v, bytes of 1000 %v", p.Bests, p.Checkpoints[0].Bytes)
	}
	kinds := func(it int) []string {
		for _, c := range p.Checkpoints {
			if c.Iteration == it {
				var out []string
				for _, r := range c.Reasons {
					out = append(out, r.Kind+":"+r.Criterion)
				}
				return out
			}
		}
		return nil
	}
	if got := kinds(5000); !slices.Equal(got, []string{"last:", "not_validated:"}) {
		t.Errorf("reasons of 5000: %v", got)
	}
	if got := kinds(2000); !slices.Equal(got, []string{"best:frizz_level"}) {
		t.Errorf("reasons of 2000: %v", got)
	}

	// The table says the same, and a dry run changes nothing.
	out := mustRun(t, "--store", store, "keep", "r", "--weights", weights).stdout
	for _, w := range []string{"keep 3 of 5 checkpoints, 2 can go (frees 500 B)", "best frizz_level on a (0.9 with threshold_0.3)", "validated but no weights file: 6000", "notes.txt", "dry run: nothing deleted"} {
		if !strings.Contains(out, w) {
			t.Errorf("keep output lacks %q:\n%s", w, out)
		}
	}
	if got := weightFiles(t, weights); len(got) != 6 {
		t.Errorf("dry run changed the weights: %v", got)
	}
	// --top 2 also keeps the runner-up of each criterion.
	decodeJSON(t, mustRun(t, "--store", store, "keep", "r", "--weights", weights, "--json", "--top", "2"), &plans)
	// frizz_level: 0.9 at 2000, then 0.6 at 1000; blipp_score: 0.1 at 3000, then 0.3 at 2000.
	if plans[0].Prunable != 1 || plans[0].Checkpoints[3].Iteration != 4000 || plans[0].Checkpoints[3].Keep {
		t.Errorf("--top 2: %d can go, want only 4000: %+v", plans[0].Prunable, plans[0].Checkpoints)
	}
}

func TestKeepApply(t *testing.T) {
	store, weights := keepFixture(t)
	// Without a terminal and without --yes, nothing is deleted.
	if r := run(t, "--store", store, "keep", "r", "--weights", weights, "--apply"); r.code != exitUsage || !strings.Contains(r.stderr, "--yes") {
		t.Errorf("--apply without --yes: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := run(t, "--store", store, "keep", "r", "--apply", "--yes"); r.code != exitUsage || !strings.Contains(r.stderr, "--weights") {
		t.Errorf("--apply without --weights: exit %d, stderr %q", r.code, r.stderr)
	}
	if got := weightFiles(t, weights); len(got) != 6 {
		t.Fatalf("refused --apply changed the weights: %v", got)
	}

	// An interrupted apply: 1000 was deleted, then the process died. The
	// rerun completes the work.
	if err := os.Remove(filepath.Join(weights, "r", "checkpoints", "iterations", "1000")); err != nil {
		t.Fatal(err)
	}
	var applied []keepApplied
	decodeJSON(t, mustRun(t, "--store", store, "keep", "r", "--weights", weights, "--apply", "--yes", "--json"), &applied)
	if len(applied) != 1 || !slices.Equal(applied[0].Deleted, []int{4000}) || applied[0].FreedBytes != 400 {
		t.Errorf("applied %+v, want 4000 deleted (400 bytes)", applied)
	}
	if got := weightFiles(t, weights); !slices.Equal(got, []string{"2000", "3000", "5000", "notes.txt"}) {
		t.Errorf("weights after --apply: %v, want 2000 3000 5000 notes.txt", got)
	}
	// DaCapo's best pointers, as store_best writes them and retrieve_best reads them.
	wdir := filepath.Join(weights, "r", "checkpoints")
	for _, b := range []struct {
		criterion string
		iteration int
	}{{"frizz_level", 2000}, {"blipp_score", 3000}} {
		for _, p := range []string{filepath.Join(wdir, "a", b.criterion+".json"), filepath.Join(wdir, b.criterion, "a.json")} {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]int
			if err := json.Unmarshal(data, &doc); err != nil || len(doc) != 1 || doc["iteration"] != b.iteration {
				t.Errorf("%s: %s (%v), want {\"iteration\": %d}", p, data, err, b.iteration)
			}
		}
		link := filepath.Join(wdir, "a", b.criterion)
		target, err := os.Readlink(link)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := filepath.Abs(filepath.Join(wdir, "iterations", strconv.Itoa(b.iteration)))
		if target != want {
			t.Errorf("%s -> %s, want %s", link, target, want)
		}
		if fi, err := os.Stat(link); err != nil || fi.Size() != int64(100*(b.iteration/1000)) {
			t.Errorf("%s does not resolve to the weights: %v", link, err)
		}
	}
	// Nothing is left to do on a third run; the pointers are rewritten in place.
	decodeJSON(t, mustRun(t, "--store", store, "keep", "r", "--weights", weights, "--apply", "--yes", "--json"), &applied)
	if len(applied[0].Deleted) != 0 || len(applied[0].BestsWritten) != 2 {
		t.Errorf("rerun: %+v, want nothing deleted and 2 pointers", applied[0])
	}
}

func TestKeepUnknownRunAndEveryRun(t *testing.T) {
	dir := demoStore(t)
	if r := run(t, "--store", dir, "keep", "demo_unte"); r.code == 0 || !strings.Contains(r.stderr, `did you mean "demo_unet"`) {
		t.Errorf("keep of a mistyped run: exit %d, stderr %q", r.code, r.stderr)
	}
	var plans []keepPlanJSON
	decodeJSON(t, mustRun(t, "--store", dir, "keep", "--json", "--last", "0"), &plans)
	if len(plans) != 2 || plans[0].Run != "demo_unet" || plans[1].Run != "demo_unet_small" {
		t.Fatalf("keep of every run: %d plans", len(plans))
	}
	for _, p := range plans {
		if p.Kept == 0 || p.Prunable == 0 || p.Kept+p.Prunable != len(p.Checkpoints) {
			t.Errorf("%s: kept %d, can go %d of %d", p.Run, p.Kept, p.Prunable, len(p.Checkpoints))
		}
	}
}
