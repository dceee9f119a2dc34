package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/memstore"
)

// storedTraining returns the iterations and entries stored for run.
func storedTraining(t *testing.T, dir, run string) []statstore.TrainingIterationStats {
	t.Helper()
	ts, err := openFileStore(t, dir).RetrieveTrainingStats(context.Background(), run)
	if err != nil {
		t.Fatalf("RetrieveTrainingStats: %v", err)
	}
	return ts.IterationStats
}

func trainingIterations(entries []statstore.TrainingIterationStats) []int {
	out := make([]int, len(entries))
	for i, e := range entries {
		out[i] = e.Iteration
	}
	return out
}

func withLoss(entries []statstore.TrainingIterationStats, loss float64) []statstore.TrainingIterationStats {
	out := append([]statstore.TrainingIterationStats(nil), entries...)
	for i := range out {
		out[i].Loss = loss
	}
	return out
}

func TestPutTrainingExtendOrOverwrite(t *testing.T) {
	tests := []struct {
		name       string
		stored     []statstore.TrainingIterationStats
		put        []statstore.TrainingIterationStats
		wantAction string
		want       []statstore.TrainingIterationStats
	}{
		{"empty store", nil, iterations(span(0, 10, 1)...), "append", iterations(span(0, 10, 1)...)},
		{"ahead appends only new iterations", iterations(span(0, 10, 1)...), withLoss(iterations(span(0, 15, 1)...), 7),
			"append", append(iterations(span(0, 10, 1)...), withLoss(iterations(span(10, 15, 1)...), 7)...)},
		{"behind replaces", iterations(span(0, 10, 1)...), withLoss(iterations(span(0, 5, 1)...), 3), "replace", withLoss(iterations(span(0, 5, 1)...), 3)},
		{"equal replaces", iterations(span(0, 10, 1)...), withLoss(iterations(span(0, 10, 1)...), 2), "replace", withLoss(iterations(span(0, 10, 1)...), 2)},
		{"empty input changes nothing", iterations(span(0, 10, 1)...), nil, "nothing", iterations(span(0, 10, 1)...)},
		{"gaps append by iteration, not position", iterations(0, 10, 20), withLoss(iterations(5, 25, 35), 9),
			"append", append(iterations(0, 10, 20), withLoss(iterations(25, 35), 9)...)},
		{"gaps every 10th step", iterations(span(0, 100, 10)...), iterations(span(0, 200, 10)...), "append", iterations(span(0, 200, 10)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "stats")
			if len(tt.stored) > 0 {
				mustRunIn(t, trainingDocs(tt.stored...), "--store", dir, "put", "training", "r")
			}
			var res putResult
			decodeJSON(t, mustRunIn(t, trainingDocs(tt.put...), "--store", dir, "put", "training", "r", "--json"), &res)
			if res.Action != tt.wantAction {
				t.Errorf("action %q, want %q", res.Action, tt.wantAction)
			}
			if len(tt.stored) == 0 && len(tt.put) == 0 {
				return
			}
			got := storedTraining(t, dir, "r")
			want := &statstore.TrainingStats{IterationStats: tt.want}
			if !(&statstore.TrainingStats{IterationStats: got}).Equal(want) {
				t.Errorf("stored %v, want %v", got, tt.want)
			}
			if res.UntilAfter != want.TrainedUntil() {
				t.Errorf("reported trained until %d, want %d", res.UntilAfter, want.TrainedUntil())
			}
		})
	}
}

func TestPutTrainingNonFinite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "stats")
	in := `{"iteration": 0, "loss": NaN, "time": Infinity}
{"iteration": 1, "loss": "NaN", "time": "-Infinity", "run_name": "r"}
{"iteration": 2, "loss": -Infinity, "time": "Infinity"}

{"iteration": 3, "loss": 1e-300, "time": 0}
`
	mustRunIn(t, in, "--store", dir, "put", "training", "r")
	got := storedTraining(t, dir, "r")
	want := []struct{ loss, time float64 }{{math.NaN(), math.Inf(1)}, {math.NaN(), math.Inf(-1)}, {math.Inf(-1), math.Inf(1)}, {1e-300, 0}}
	if len(got) != len(want) {
		t.Fatalf("stored %d entries, want %d", len(got), len(want))
	}
	same := func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }
	for i, w := range want {
		if got[i].Iteration != i || !same(got[i].Loss, w.loss) || !same(got[i].Time, w.time) {
			t.Errorf("entry %d = %+v, want iteration %d loss %v time %v", i, got[i], i, w.loss, w.time)
		}
	}
}

func TestPutTrainingRejectsBadInput(t *testing.T) {
	tests := []struct {
		name  string
		stdin string
		want  []string // substrings of stderr
	}{
		{"malformed JSON", "{\"iteration\": 10, \"loss\": 1, \"time\": 1}\n{\"iteration\": 11, \"loss\": \n", []string{"stdin line 2"}},
		{"negative iteration", `{"iteration": -1, "loss": 1, "time": 1}`, []string{"line 1", "want >= 0"}},
		{"out of order", "{\"iteration\": 10, \"loss\": 1, \"time\": 1}\n{\"iteration\": 12, \"loss\": 1, \"time\": 1}\n{\"iteration\": 11, \"loss\": 1, \"time\": 1}\n", []string{"line 3", "iteration 11 follows iteration 12"}},
		{"duplicate iteration", "{\"iteration\": 10, \"loss\": 1, \"time\": 1}\n{\"iteration\": 10, \"loss\": 1, \"time\": 1}\n", []string{"line 2", "strictly increasing"}},
		{"run name mismatch", `{"iteration": 10, "loss": 1, "time": 1, "run_name": "other"}`, []string{"line 1", `"other"`, `"r"`}},
		{"missing loss", `{"iteration": 10, "time": 1}`, []string{"line 1", `"loss" is missing`}},
		{"missing iteration", `{"loss": 1, "time": 1}`, []string{"line 1", `"iteration" is missing`}},
		{"unknown key", `{"iteration": 10, "loss": 1, "time": 1, "los": 2}`, []string{"line 1", "los"}},
		{"fractional iteration", `{"iteration": 1.5, "loss": 1, "time": 1}`, []string{"line 1", "integer"}},
		{"loss is text", `{"iteration": 10, "loss": "low", "time": 1}`, []string{"line 1"}},
		{"trailing data", `{"iteration": 10, "loss": 1, "time": 1} {"iteration": 11}`, []string{"line 1", "after the JSON document"}},
		{"not an object", `[1, 2, 3]`, []string{"line 1"}},
		{"many bad lines are all reported", "x\ny\n{\"iteration\": 10, \"loss\": 1, \"time\": 1}\nz\n", []string{"line 1", "line 2", "line 4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "stats")
			stored := iterations(span(0, 5, 1)...)
			mustRunIn(t, trainingDocs(stored...), "--store", dir, "put", "training", "r")
			r := runIn(t, tt.stdin, "--store", dir, "put", "training", "r")
			if r.code != exitError {
				t.Fatalf("exit %d, want %d; stderr: %s", r.code, exitError, r.stderr)
			}
			for _, w := range append(tt.want, "nothing was stored") {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			got := storedTraining(t, dir, "r")
			if !(&statstore.TrainingStats{IterationStats: got}).Equal(&statstore.TrainingStats{IterationStats: stored}) {
				t.Errorf("store changed to %v, want %v", got, stored)
			}
		})
	}
}

// validationMeta writes the metadata file used by the validation tests:
// one dataset, two thresholds, the dummy criteria (frizz_level higher is
// better, blipp_score lower is better).
func validationMeta(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "meta.json")
	meta := `{"datasets": ["crop_a"],
 "parameters": [{"id": 0, "name": "threshold_0.5", "values": {"threshold": 0.5}}, {"id": 1, "name": "threshold_0.7", "values": {"threshold": 0.7}}],
 "criteria": "dummy"}`
	if err := os.WriteFile(path, []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// validationDocs renders one document per iteration with every score v+it/1000.
func validationDocs(v float64, its ...int) string {
	var b strings.Builder
	for _, it := range its {
		x := v + float64(it)/1000
		fmt.Fprintf(&b, `{"iteration": %d, "scores": [[[%v, %v], [%v, %v]]]}`+"\n", it, x, x, x, x)
	}
	return b.String()
}

// storedValidation returns the stored iterations and the first score of each.
func storedValidation(t *testing.T, dir, run string) map[int]float64 {
	t.Helper()
	entries, err := openFileStore(t, dir).RetrieveValidationIterationScores(context.Background(), run)
	if err != nil {
		t.Fatalf("RetrieveValidationIterationScores: %v", err)
	}
	out := map[int]float64{}
	for _, e := range entries {
		out[e.Iteration] = e.Scores[0][0][0]
	}
	return out
}

func TestPutValidationMerges(t *testing.T) {
	tests := []struct {
		name                          string
		stored                        []int
		put                           []int
		putSame                       bool // put the stored scores (0.1+) instead of 0.5+
		wantAction                    string
		inserted, replaced, unchanged []int
		want                          map[int]float64 // iteration -> first score (stored 0.1+, put 0.5+)
	}{
		{"empty store", nil, []int{100, 200}, false, "merge", []int{100, 200}, nil, nil, map[int]float64{100: 0.6, 200: 0.7}},
		{"re-validated and new: the latest wins", []int{100, 200}, []int{100, 200, 300}, false, "merge", []int{300}, []int{100, 200}, nil,
			map[int]float64{100: 0.6, 200: 0.7, 300: 0.8}},
		{"stored further: nothing lost", []int{100, 200, 300}, []int{100}, false, "merge", nil, []int{100}, nil,
			map[int]float64{100: 0.6, 200: 0.3, 300: 0.4}},
		{"equal changes nothing", []int{100, 200}, []int{100, 200}, true, "nothing", nil, nil, []int{100, 200}, map[int]float64{100: 0.2, 200: 0.3}},
		{"late validation, sent last", []int{100, 300}, []int{100, 300, 200}, true, "merge", []int{200}, nil, []int{100, 300},
			map[int]float64{100: 0.2, 200: 0.3, 300: 0.4}},
		{"repeated: the last wins", []int{100}, []int{100, 100}, true, "nothing", nil, nil, []int{100}, map[int]float64{100: 0.2}},
		{"empty input changes nothing", []int{100}, nil, false, "nothing", nil, nil, nil, map[int]float64{100: 0.2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "stats")
			meta := validationMeta(t)
			if len(tt.stored) > 0 {
				mustRunIn(t, validationDocs(0.1, tt.stored...), "--store", dir, "--meta", meta, "put", "validation", "r")
			}
			var res putResult
			v := 0.5
			if tt.putSame {
				v = 0.1
			}
			decodeJSON(t, mustRunIn(t, validationDocs(v, tt.put...), "--store", dir, "--meta", meta, "put", "validation", "r", "--json"), &res)
			if res.Action != tt.wantAction {
				t.Errorf("action %q, want %q", res.Action, tt.wantAction)
			}
			if res.Merge == nil {
				t.Fatalf("put --json reports no merge: %+v", res)
			}
			for _, c := range []struct {
				what      string
				got, want []int
			}{{"inserted", res.Merge.Inserted, tt.inserted}, {"replaced", res.Merge.Replaced, tt.replaced}, {"unchanged", res.Merge.Unchanged, tt.unchanged}} {
				if !slices.Equal(c.got, c.want) && len(c.got)+len(c.want) > 0 {
					t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
				}
			}
			got := storedValidation(t, dir, "r")
			if len(got) != len(tt.want) {
				t.Fatalf("stored %v, want %v", got, tt.want)
			}
			for it, w := range tt.want {
				if g, ok := got[it]; !ok || math.Abs(g-w) > 1e-12 {
					t.Errorf("iteration %d: stored %v (present %v), want %v", it, g, ok, w)
				}
			}
		})
	}
}

func TestPutValidationRejectsBadInput(t *testing.T) {
	tests := []struct {
		name  string
		args  []string // after the store and before "put validation r"
		stdin string
		code  int
		want  []string
	}{
		{"shape mismatch", nil, `{"iteration": 300, "scores": [[[1, 2, 3], [1, 2, 3]]]}`, exitError, []string{"line 1", "1×2×3", "want 1×2×2"}},
		{"ragged scores", nil, `{"iteration": 300, "scores": [[[1, 2], [1]]]}`, exitError, []string{"line 1", "ragged"}},
		{"negative iteration", nil, validationDocs(0.5, 300, -300), exitError, []string{"line 2", "-300"}},
		{"missing scores", nil, `{"iteration": 300}`, exitError, []string{"line 1", `"scores" is missing`}},
		{"scores not numbers", nil, `{"iteration": 300, "scores": [[["a", 2], [1, 2]]]}`, exitError, []string{"line 1"}},
		{"run name mismatch", nil, `{"iteration": 300, "scores": [[[1, 2], [1, 2]]], "run_name": "x"}`, exitError, []string{"line 1", "run_name"}},
		{"metadata mismatch", []string{"--preset", "dummy", "--datasets", "other", "--parameters", "threshold=0.5,0.7"}, validationDocs(0.5, 300), exitError, []string{"metadata", "delete RUN --validation"}},
		{"no metadata", []string{}, validationDocs(0.5, 300), exitError, []string{"--meta FILE"}},
		{"bad preset", []string{"--preset", "nope", "--datasets", "crop_a", "--parameters", "threshold=0.5,0.7"}, validationDocs(0.5, 300), exitUsage, []string{"nope"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "stats")
			meta := validationMeta(t)
			mustRunIn(t, validationDocs(0.1, 100, 200), "--store", dir, "--meta", meta, "put", "validation", "r")
			args := []string{"--store", dir}
			if tt.args == nil {
				args = append(args, "--meta", meta)
			}
			args = append(append(args, tt.args...), "put", "validation", "r")
			r := runIn(t, tt.stdin, args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d; stderr: %s", r.code, tt.code, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			got := storedValidation(t, dir, "r")
			if len(got) != 2 || math.Abs(got[100]-0.2) > 1e-12 || math.Abs(got[200]-0.3) > 1e-12 {
				t.Errorf("store changed to %v, want iterations 100 and 200 as stored", got)
			}
		})
	}
}

func TestPutToDaCapoDirectoryIsRefused(t *testing.T) {
	dirs := append(dacapoSampleDirs(t), dacapoTestdataDirs(t)...)
	if len(dirs) == 0 {
		t.Fatal("no DaCapo directory found: neither ../shared/dacapo nor dacapo/testdata")
	}
	r := runIn(t, trainingDocs(iterations(0)...), "--store", dirs[0], "put", "training", "r")
	if r.code != exitError || !strings.Contains(r.stderr, "import dacapo") {
		t.Errorf("exit %d, stderr %q: want exit 1 suggesting import dacapo", r.code, r.stderr)
	}
}

// TestPutInputErrorsAreReadable covers issue 10's minor points on put's
// input: a huge invalid value is quoted in part (the whole of it went to
// stderr), messages say what was expected in the user's terms (they
// showed Go types: []jsonnan.Float, main.trainingDoc), and string
// iterations and duplicate keys are refused (both were accepted).
func TestPutInputErrorsAreReadable(t *testing.T) {
	huge := "1" + strings.Repeat("0", 1<<20) // a 1 MB number
	const malformedPrefix = `{"iteration": 1, "loss": 1, "time": 1, "run_name": `
	valid := `{"iteration": 0, "loss": 1, "time": 1}` + "\n"
	goTypes := []string{"jsonnan", "main.", "[]", "float64", "Go value", "json.Number", "*string"}
	tests := []struct {
		name       string
		validation bool
		stdin      string
		want       []string // substrings of stderr
	}{
		{"huge loss", false, valid + `{"iteration": 1, "loss": ` + huge + `, "time": 1}`,
			[]string{"line 2", `"loss"`, "1000000000", "…", "1048577 bytes", "64-bit float"}},
		{"huge iteration", false, `{"iteration": ` + huge + `, "loss": 1, "time": 1}`,
			[]string{"line 1", `"iteration"`, "…", "larger than the maximum 9007199254740991"}},
		{"huge string", false, `{"iteration": 1, "loss": "` + strings.Repeat("x", 1<<20) + `", "time": 1}`,
			[]string{"line 1", `"loss"`, "xxxxxxxx", "…", "want a number"}},
		{"huge unknown key", false, `{"iteration": 1, "loss": 1, "time": 1, "` + strings.Repeat("k", 1<<20) + `": 1}`,
			[]string{"line 1", "unknown key", "kkkkkkk", "…", "iteration, loss, time, run_name"}},
		{"huge malformed token", false, malformedPrefix + strings.Repeat("y", 1<<20) + `}`,
			[]string{"line 1", fmt.Sprintf("malformed JSON at byte offset %d", len(malformedPrefix))}},
		{"malformed after a bare NaN", false, `{"iteration": 1, "loss": NaN, "time": x}`,
			[]string{"line 1", "malformed JSON at byte offset 38"}},
		{"iteration above the maximum", false, `{"iteration": 9007199254740992, "loss": 1, "time": 1}`,
			[]string{"line 1", "9007199254740992", "larger than the maximum 9007199254740991"}},
		{"iteration 2^63-1", false, `{"iteration": 9223372036854775807, "loss": 1, "time": 1}`,
			[]string{"line 1", "larger than the maximum 9007199254740991"}},
		{"string iteration", false, `{"iteration": "3", "loss": 1, "time": 1}`,
			[]string{"line 1", `"iteration" is the string "3"`, "without quotes"}},
		{"string iteration in validation", true, `{"iteration": "3", "scores": [[[1]]]}`,
			[]string{"line 1", `"iteration" is the string "3"`}},
		{"duplicate key", false, `{"iteration": 3, "loss": 1, "loss": 2, "time": 1}`,
			[]string{"line 1", `"loss" appears twice`}},
		{"duplicate iteration key", false, `{"iteration": 3, "loss": 1, "time": 1, "iteration": 4}`,
			[]string{"line 1", `"iteration" appears twice`}},
		{"duplicate key spelled with an escape", false, `{"iteration": 3, "loss": 1, "lo\u0073s": 2, "time": 1}`,
			[]string{"line 1", `"loss" appears twice`}},
		{"duplicate key in validation", true, `{"iteration": 3, "scores": [[[1]]], "scores": [[[2]]]}`,
			[]string{"line 1", `"scores" appears twice`}},
		{"document is an array", false, `[1, 2, 3]`,
			[]string{"line 1", "is an array, want a JSON object", `"iteration"`}},
		{"loss is an array", false, `{"iteration": 1, "loss": [1], "time": 1}`,
			[]string{"line 1", `"loss" is an array, want a number`}},
		{"loss is an object", false, `{"iteration": 1, "loss": {}, "time": 1}`,
			[]string{"line 1", `"loss" is an object, want a number`}},
		{"scores is a number", true, `{"iteration": 1, "scores": 1}`,
			[]string{"line 1", `"scores" is a number, want an array`}},
		{"scores nested too shallow", true, `{"iteration": 1, "scores": [1]}`,
			[]string{"line 1", `"scores"[0] is a number, want an array`}},
		{"score is text", true, `{"iteration": 1, "scores": [[["a"]]]}`,
			[]string{"line 1", `"scores"[0][0][0] is the string "a", want a number`}},
		{"scores empty", true, `{"iteration": 1, "scores": []}`,
			[]string{"line 1", "shape 0×0×0, want 1×1×2"}},
		{"scores null", true, `{"iteration": 1, "scores": null}`,
			[]string{"line 1", `"scores" is null, want an array`}},
		{"scores nested too deep", true, `{"iteration": 1, "scores": [[[[1]]]]}`,
			[]string{"line 1", `"scores"[0][0][0] is an array, want a number`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "stats")
			args := []string{"--store", dir, "put", "training", "r"}
			if tt.validation {
				args = []string{"--store", dir, "--preset", "dummy", "--datasets", "a", "--parameters", "threshold=0.5", "put", "validation", "r"}
			}
			r := runIn(t, tt.stdin, args...)
			if r.code != exitError {
				t.Fatalf("exit %d, want %d; stderr: %.2000s", r.code, exitError, r.stderr)
			}
			if len(r.stderr) > 2000 {
				t.Errorf("stderr is %d bytes, want a short message:\n%.2000s", len(r.stderr), r.stderr)
			}
			for _, w := range append(tt.want, "nothing was stored") {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%.2000s", w, r.stderr)
				}
			}
			msg, _, _ := strings.Cut(r.stderr, "\nhint:")
			for _, g := range goTypes {
				if strings.Contains(msg, g) {
					t.Errorf("stderr shows the Go name %q:\n%.2000s", g, r.stderr)
				}
			}
			if _, err := os.Stat(dir); err == nil {
				if out := run(t, "--store", dir, "runs", "--json").stdout; strings.Contains(out, `"r"`) {
					t.Errorf("rejected input was stored: %s", out)
				}
			}
		})
	}
}

// readBackFails is a store whose reads fail once a write has succeeded: the
// write is committed, the follow-up read is not.
type readBackFails struct {
	*memstore.Store
	wrote bool
}

var errReadBack = errors.New("read after write failed (injected)")

func (s *readBackFails) StoreTrainingStats(ctx context.Context, run string, stats *statstore.TrainingStats) error {
	err := s.Store.StoreTrainingStats(ctx, run, stats)
	s.wrote = s.wrote || err == nil
	return err
}

func (s *readBackFails) StoreValidationIterationScores(ctx context.Context, run string, scores *statstore.ValidationScores) error {
	_, err := s.MergeValidationScores(ctx, run, scores)
	return err
}

func (s *readBackFails) MergeValidationScores(ctx context.Context, run string, scores *statstore.ValidationScores) (statstore.ValidationMerge, error) {
	r, err := s.Store.MergeValidationScores(ctx, run, scores)
	s.wrote = s.wrote || err == nil
	return r, err
}

func (s *readBackFails) SubsampleTraining(ctx context.Context, run string, opts statstore.SubsampleOptions) ([]statstore.TrainingIterationStats, error) {
	if s.wrote {
		return nil, errReadBack
	}
	return s.Store.SubsampleTraining(ctx, run, opts)
}

func (s *readBackFails) RetrieveValidationScores(ctx context.Context, run string) (*statstore.ValidationScores, error) {
	if s.wrote {
		return nil, errReadBack
	}
	return s.Store.RetrieveValidationScores(ctx, run)
}

// TestPutReadBackFailsAfterWrite: when the write is committed but reading
// the run back for the report fails, put reports the write as done (exit
// status 0) with the trained/validated-until the write gives, and warns on
// stderr. Issue 10: put failed as if nothing had been stored.
func TestPutReadBackFailsAfterWrite(t *testing.T) {
	ctx := context.Background()
	meta := statstore.Metadata{Datasets: []string{"a"}, Parameters: statstore.ThresholdParameters(0.5), EvaluationScores: statstore.DummyCriteria()}
	scores := func(its ...int) *statstore.ValidationScores {
		v := &statstore.ValidationScores{Metadata: meta}
		for _, it := range its {
			v.Scores = append(v.Scores, statstore.ValidationIterationScores{Iteration: it, Scores: [][][]float64{{{float64(it), 1}}}})
		}
		return v
	}
	tests := []struct {
		name      string
		put       func(s statstore.StatsStore) (putResult, error)
		wantUntil int
		check     func(t *testing.T, s statstore.StatsStore)
	}{
		{"training first write", func(s statstore.StatsStore) (putResult, error) {
			return putTraining(ctx, s, "r", &statstore.TrainingStats{IterationStats: iterations(0, 1, 2)})
		}, 3, nil},
		{"training append", func(s statstore.StatsStore) (putResult, error) {
			if err := s.StoreTrainingStats(ctx, "r", &statstore.TrainingStats{IterationStats: iterations(0, 1)}); err != nil {
				return putResult{}, err
			}
			s.(*readBackFails).wrote = false
			return putTraining(ctx, s, "r", &statstore.TrainingStats{IterationStats: iterations(0, 1, 5, 9)})
		}, 10, nil},
		{"training replace", func(s statstore.StatsStore) (putResult, error) {
			if err := s.StoreTrainingStats(ctx, "r", &statstore.TrainingStats{IterationStats: iterations(0, 10, 20)}); err != nil {
				return putResult{}, err
			}
			s.(*readBackFails).wrote = false
			return putTraining(ctx, s, "r", &statstore.TrainingStats{IterationStats: iterations(0, 4)})
		}, 5, nil},
		{"validation first write", func(s statstore.StatsStore) (putResult, error) {
			return putValidation(ctx, s, "r", scores(100, 200))
		}, 201, nil},
		{"validation append", func(s statstore.StatsStore) (putResult, error) {
			if err := s.StoreValidationIterationScores(ctx, "r", scores(100)); err != nil {
				return putResult{}, err
			}
			s.(*readBackFails).wrote = false
			return putValidation(ctx, s, "r", scores(100, 300))
		}, 301, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &readBackFails{Store: memstore.New(nil)}
			res, err := tt.put(s)
			if err != nil {
				t.Fatalf("got error %v after a committed write, want the write reported as done", err)
			}
			if !strings.Contains(res.ReadBackError, errReadBack.Error()) {
				t.Errorf("ReadBackError = %q, want the read's error", res.ReadBackError)
			}
			if res.UntilAfter != tt.wantUntil {
				t.Errorf("UntilAfter = %d, want %d (what the write gives)", res.UntilAfter, tt.wantUntil)
			}
			var stdout, stderr bytes.Buffer
			app := &App{Stdout: &stdout, Stderr: &stderr}
			if err := app.printPut(outputFlags{}, res); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(stdout.String(), "r ") || !strings.Contains(stderr.String(), "warning") || !strings.Contains(stderr.String(), errReadBack.Error()) {
				t.Errorf("printed stdout %q, stderr %q; want the result and a warning naming the failed read", stdout.String(), stderr.String())
			}
		})
	}
}
