package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/memstore"
)

// compareStore returns a memstore with runs r0..r{n-1}: run i trained for
// 1000+37·i iterations, losses with a NaN and an infinity.
func compareStore(t *testing.T, n int) (statstore.StatsStore, []string) {
	t.Helper()
	s := memstore.New(nil)
	ctx := context.Background()
	runs := make([]string, n)
	for i := range runs {
		runs[i] = fmt.Sprintf("r%d", i)
		ts := &statstore.TrainingStats{}
		for it := range 1000 + 37*i {
			loss := 1 / float64(it+1+i)
			switch it {
			case 100:
				loss = math.NaN()
			case 200:
				loss = math.Inf(1)
			}
			ts.IterationStats = append(ts.IterationStats, statstore.TrainingIterationStats{Iteration: it, Loss: loss, Time: float64(i)})
		}
		if err := s.StoreTrainingStats(ctx, runs[i], ts); err != nil {
			t.Fatal(err)
		}
	}
	return s, runs
}

func sameEntries(a, b []statstore.TrainingIterationStats) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Iteration != b[i].Iteration || math.Float64bits(a[i].Loss) != math.Float64bits(b[i].Loss) || a[i].Time != b[i].Time {
			return false
		}
	}
	return true
}

func TestCompareTraining(t *testing.T) {
	store, runs := compareStore(t, MaxCompareRuns)
	ts := startServerOver(t, store, ServerOptions{})
	c := ts.client(t, ClientOptions{})
	ctx := context.Background()
	for _, opts := range []statstore.SubsampleOptions{
		{MaxPoints: 50},
		{MaxPoints: 100, Mode: statstore.SubsampleMinMax},
		{MaxPoints: 30, Range: statstore.IterationRange{From: 90, To: 400}},
		{}, // the default 1000 points
	} {
		t.Run(fmt.Sprintf("%d %v %v", opts.MaxPoints, opts.Mode, opts.Range), func(t *testing.T) {
			ask := append([]string{"unknown"}, runs[:MaxCompareRuns-1]...) // an unknown run and 99 others, in this order
			got, err := c.CompareTraining(ctx, ask, opts)
			if err != nil {
				t.Fatalf("CompareTraining of %d runs: %v", len(ask), err)
			}
			if len(got) != len(ask) {
				t.Fatalf("got %d series, want %d", len(got), len(ask))
			}
			for i, run := range ask {
				want, err := store.SubsampleTraining(ctx, run, opts)
				if err != nil {
					t.Fatal(err)
				}
				if got[i].Run != run || !sameEntries(got[i].Points, want) {
					t.Errorf("series %d: run %q with %d points, want run %q with the store's %d-point subsample", i, got[i].Run, len(got[i].Points), run, len(want))
				}
			}
			if len(got[0].Points) != 0 {
				t.Errorf("unknown run: %d points, want none", len(got[0].Points))
			}
		})
	}
}

func TestCompareTrainingRefuses(t *testing.T) {
	store, runs := compareStore(t, 3)
	ts := startServerOver(t, store, ServerOptions{})
	many := make([]string, MaxCompareRuns+1)
	for i := range many {
		many[i] = fmt.Sprintf(`"x%d"`, i)
	}
	for _, tt := range []struct {
		name, body, code, says string
	}{
		{"empty body", ``, codeMalformedJSON, "empty"},
		{"no runs", `{"runs": []}`, codeInvalidArgument, `"runs" is empty`},
		{"too many runs", `{"runs": [` + strings.Join(many, ",") + `]}`, codeInvalidArgument, "101 runs, want at most 100"},
		{"repeated run", `{"runs": ["r0", "r1", "r0"]}`, codeInvalidArgument, `runs[2] "r0" repeats runs[0]`},
		{"bad run name", `{"runs": ["r0", "a/b"]}`, codeInvalidRunName, "runs[1]"},
		{"unknown key", `{"runs": ["r0"], "points": 5}`, codeMalformedJSON, "points"},
		{"bad mode", `{"runs": ["r0"], "mode": "median"}`, codeInvalidArgument, `mode "median"`},
		{"zero points", `{"runs": ["r0"], "max_points": 0}`, codeInvalidArgument, "max_points 0"},
		{"one point", `{"runs": ["r0"], "max_points": 1}`, codeInvalidArgument, "1 points"},
		{"bad range", `{"runs": ["r0"], "range": {"from": 10, "to": 5}}`, codeInvalidArgument, "10"},
		{"runs not a list", `{"runs": "r0"}`, codeMalformedJSON, "runs"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := ts.request(t, http.MethodPost, "/api/v1/compare/training", tt.body, "")
			req.Header.Set("Content-Type", "application/json")
			status, body := ts.do(t, req)
			var eb errorBody
			_ = json.Unmarshal([]byte(body), &eb)
			if status < 400 || eb.Error.Code != tt.code || !strings.Contains(eb.Error.Message, tt.says) {
				t.Errorf("POST %s: %d %s; want code %s and a message with %q", tt.body[:min(len(tt.body), 60)], status, body, tt.code, tt.says)
			}
		})
	}
	_ = runs
	c := ts.client(t, ClientOptions{})
	if _, err := c.CompareTraining(context.Background(), []string{"r0", "r0"}, statstore.SubsampleOptions{}); !errors.Is(err, statstore.ErrInvalidArgument) {
		t.Errorf("client with a repeated run: %v, want ErrInvalidArgument", err)
	}
}

// corruptRunStore fails every read of one run with a corrupt-data error.
type corruptRunStore struct {
	statstore.StatsStore
	bad string
}

func (s corruptRunStore) SubsampleTraining(ctx context.Context, run string, opts statstore.SubsampleOptions) ([]statstore.TrainingIterationStats, error) {
	if run == s.bad {
		return nil, &statstore.CorruptError{Path: "/srv/secret/training_stats/" + run, Offset: 7, Reason: "bad checksum"}
	}
	return s.StatsStore.SubsampleTraining(ctx, run, opts)
}

func (s corruptRunStore) RetrieveValidationScores(ctx context.Context, run string) (*statstore.ValidationScores, error) {
	if run == s.bad {
		return nil, fmt.Errorf("disk on fire at /srv/secret: %w", statstore.ErrUnavailable)
	}
	return s.StatsStore.RetrieveValidationScores(ctx, run)
}

// TestCompareNamesTheFailedRun checks that a run that cannot be read fails
// the request with an answer that names it, without the server's details.
func TestCompareNamesTheFailedRun(t *testing.T) {
	store, runs := compareStore(t, 20)
	ts := startServerOver(t, corruptRunStore{StatsStore: store, bad: runs[13]}, ServerOptions{})
	c := ts.client(t, ClientOptions{})
	_, err := c.CompareTraining(context.Background(), runs, statstore.SubsampleOptions{MaxPoints: 10})
	if !errors.Is(err, statstore.ErrCorrupt) || !strings.Contains(err.Error(), `run "r13"`) || strings.Contains(err.Error(), "/srv/secret") {
		t.Errorf("compare with a corrupt run: %v; want ErrCorrupt naming run \"r13\", without the server's path", err)
	}
	_, err = c.CompareValidation(context.Background(), runs, "", "", false)
	if !errors.Is(err, statstore.ErrUnavailable) || !strings.Contains(err.Error(), `run "r13"`) || strings.Contains(err.Error(), "/srv/secret") {
		t.Errorf("validation compare with an unreadable run: %v; want ErrUnavailable naming run \"r13\", without the server's path", err)
	}
}

// TestCompareIsARead checks that the compare routes need the token only
// when reads do, as GETs.
func TestCompareIsARead(t *testing.T) {
	const token = "s3cret"
	body := `{"runs": ["x"]}`
	for _, tt := range []struct {
		forReads bool
		token    string
		want     int
	}{
		{false, "", http.StatusOK},
		{true, "", http.StatusUnauthorized},
		{true, token, http.StatusOK},
	} {
		ts := startServer(t, ServerOptions{Token: token, TokenForReads: tt.forReads})
		for _, path := range []string{"/api/v1/compare/training", "/api/v1/compare/validation"} {
			if status, answer := ts.do(t, ts.request(t, http.MethodPost, path, body, tt.token)); status != tt.want {
				t.Errorf("token for reads %t, token %q: POST %s answers %d %s, want %d", tt.forReads, tt.token, path, status, answer, tt.want)
			}
		}
	}
}

// compareValidationStore holds runs a and b (two datasets, three parameter
// sets, dice ↑ and loss ↓) and c (one dataset, dice only); b has superseded
// checkpoints.
func compareValidationStore(t *testing.T) statstore.StatsStore {
	t.Helper()
	s := memstore.New(nil)
	ctx := context.Background()
	meta := statstore.Metadata{
		Datasets:   []string{"d0", "d1"},
		Parameters: statstore.ThresholdParameters(0.3, 0.5, 0.7),
		EvaluationScores: []statstore.Criterion{
			{Name: "dice", HigherIsBetter: true},
			{Name: "loss", HigherIsBetter: false},
		},
	}
	score := func(run, it, d, p, c int) float64 {
		if (it+d+p+c+run)%7 == 0 {
			return math.NaN()
		}
		return float64((it*31+d*17+p*13+c*7+run*5)%100) / 100
	}
	for run, name := range []string{"a", "b"} {
		v, err := statstore.NewValidationScores(meta)
		if err != nil {
			t.Fatal(err)
		}
		for it := 0; it < 3000; it += 250 {
			sc := make([][][]float64, 2)
			for d := range sc {
				sc[d] = make([][]float64, 3)
				for p := range sc[d] {
					sc[d][p] = []float64{score(run, it, d, p, 0), score(run, it, d, p, 1)}
				}
			}
			if err := v.AddIterationScores(statstore.ValidationIterationScores{Iteration: it, Scores: sc}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.StoreTrainingStats(ctx, name, mustTraining(t, seq(3000)...)); err != nil {
			t.Fatal(err)
		}
		if err := s.StoreValidationIterationScores(ctx, name, v); err != nil {
			t.Fatal(err)
		}
	}
	// b resumes from 1600: its checkpoints after that are superseded.
	if err := s.StoreTrainingStats(ctx, "b", mustTraining(t, seq(1700)...)); err != nil {
		t.Fatal(err)
	}
	if err := s.StoreValidationIterationScores(ctx, "c", validationScores(t, 0, 500, 1000)); err != nil {
		t.Fatal(err)
	}
	return s
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// bestAt is the reference of one checkpoint's value: the best parameter
// set's score on dataset d, or (d < 0) of its mean over datasets, NaN
// skipped.
func bestAt(v *statstore.ValidationScores, e statstore.ValidationIterationScores, c, d int) float64 {
	crit := v.EvaluationScores[c]
	best := math.NaN()
	for p := range v.Parameters {
		x := math.NaN()
		if d >= 0 {
			x = e.Scores[d][p][c]
		} else {
			sum, n := 0.0, 0
			for dd := range v.Datasets {
				if y := e.Scores[dd][p][c]; !math.IsNaN(y) {
					sum, n = sum+y, n+1
				}
			}
			if n > 0 {
				x = sum / float64(n)
			}
		}
		if crit.Better(x, best) {
			best = x
		}
	}
	return best
}

func TestCompareValidation(t *testing.T) {
	store := compareValidationStore(t)
	ts := startServerOver(t, store, ServerOptions{})
	c := ts.client(t, ClientOptions{})
	ctx := context.Background()
	runs := []string{"b", "a", "c", "unknown"}
	for _, tt := range []struct {
		criterion, dataset string
		include            bool
	}{
		{"", "", false}, {"loss", "", false}, {"dice", "d1", false}, {"loss", "d0", true}, {"dice", "", true},
	} {
		t.Run(fmt.Sprintf("%s/%s/%t", tt.criterion, tt.dataset, tt.include), func(t *testing.T) {
			got, err := c.CompareValidation(ctx, runs, tt.criterion, tt.dataset, tt.include)
			if err != nil {
				t.Fatal(err)
			}
			wantCrit := tt.criterion
			if wantCrit == "" {
				wantCrit = "dice" // the first criterion of the runs
			}
			if got.Criterion != wantCrit || got.Dataset != tt.dataset || strings.Join(got.Datasets, ",") != "d0,d1,crop" || len(got.Criteria) != 2 {
				t.Errorf("criterion %q, dataset %q, datasets %v, %d criteria; want %q, %q, [d0 d1 crop], 2", got.Criterion, got.Dataset, got.Datasets, len(got.Criteria), wantCrit, tt.dataset)
			}
			for i, run := range runs {
				s := got.Runs[i]
				v, err := store.RetrieveValidationScores(ctx, run)
				if err != nil {
					t.Fatal(err)
				}
				ci := -1
				for k, cr := range v.EvaluationScores {
					if cr.Name == wantCrit {
						ci = k
					}
				}
				di := -1
				for k, d := range v.Datasets {
					if d == tt.dataset {
						di = k
					}
				}
				var its []int
				var vals []float64
				superseded := 0
				for _, e := range v.Scores {
					if e.Superseded {
						superseded++
					}
					if ci < 0 || tt.dataset != "" && di < 0 || e.Superseded && !tt.include {
						continue
					}
					its = append(its, e.Iteration)
					vals = append(vals, bestAt(v, e, ci, di))
				}
				if s.Run != run || fmt.Sprint(s.Iteration) != fmt.Sprint(its) || fmt.Sprint(s.Value) != fmt.Sprint(vals) || s.SupersededCount != superseded {
					t.Errorf("%s: run %q iterations %v values %v superseded %d; want %v, %v, %d", run, s.Run, s.Iteration, s.Value, s.SupersededCount, its, vals, superseded)
				}
				// The best is the best report's line.
				found := false
				rep := v.BestReportIncluding(tt.include)
				lines := rep.OverDatasets
				if tt.dataset != "" {
					lines = rep.PerDataset
				}
				for _, b := range lines {
					if b.Criterion == wantCrit && b.Dataset == tt.dataset && b.Found {
						found = true
						if !s.Best.Found || s.Best.Iteration != b.Iteration || s.Best.Parameters != b.Parameters || s.Best.Value != b.Value {
							t.Errorf("%s best: %+v, want %+v", run, s.Best, b)
						}
					}
				}
				if !found && s.Best.Found {
					t.Errorf("%s best: %+v, want none", run, s.Best)
				}
			}
			if run := got.Runs[0]; run.SupersededCount == 0 {
				t.Errorf("run b has no superseded checkpoints: the fixture did not rewind")
			}
		})
	}
	for _, tt := range []struct{ criterion, dataset, says string }{
		{"iou", "", `criterion "iou"`},
		{"dice", "d9", `dataset "d9"`},
	} {
		if _, err := c.CompareValidation(ctx, runs, tt.criterion, tt.dataset, false); !errors.Is(err, statstore.ErrInvalidArgument) || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("CompareValidation(%q, %q): %v, want ErrInvalidArgument naming %s", tt.criterion, tt.dataset, err, tt.says)
		}
	}
}

// FuzzCompareBodies checks that the compare bodies' decoders never panic,
// and that a body they accept holds 1 to MaxCompareRuns valid, distinct
// runs and valid subsample options; the validation compare of what they
// accept never panics either.
func FuzzCompareBodies(f *testing.F) {
	for _, s := range []string{
		`{"runs": ["a", "b"], "max_points": 1000, "mode": "minmax", "range": {"from": 5, "to": 50}}`,
		`{"runs": ["a"], "criterion": "dice", "dataset": "d0", "include_superseded": true}`,
		`{"runs": []}`, `{"runs": ["a", "a"]}`, `{"runs": ["a/b"]}`, `{"runs": "a"}`, ``, `null`, `{"runs": ["a"], "max_points": -3}`,
	} {
		f.Add([]byte(s))
	}
	v := validationScores(f, 0, 1000)
	f.Fuzz(func(t *testing.T, data []byte) {
		var tb compareTrainingBody
		if err := decodeCompareBody(strings.NewReader(string(data)), &tb, func() []string { return tb.Runs }, compareTrainingShape); err == nil {
			if checkCompareRuns(tb.Runs) != nil {
				t.Fatalf("accepted runs %q", tb.Runs)
			}
			if opts, err := tb.subsampleOptions(); err == nil {
				if _, err := opts.Normalize(); err != nil {
					t.Fatalf("accepted options %+v: %v", opts, err)
				}
			}
		}
		var vb compareValidationBody
		if err := decodeCompareBody(strings.NewReader(string(data)), &vb, func() []string { return vb.Runs }, compareValidationShape); err == nil {
			scores := make([]*statstore.ValidationScores, len(vb.Runs))
			for i := range scores {
				if i%2 == 0 {
					scores[i] = v
				}
			}
			if out, err := compareValidation(vb, scores); err == nil && len(out.Runs) != len(vb.Runs) {
				t.Fatalf("%d runs answered for %d asked", len(out.Runs), len(vb.Runs))
			}
		}
	})
}
