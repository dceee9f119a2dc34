package httpapi

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/storetest"
)

// TestPostValidationMerges checks the DaCapo lists that the server refused
// before the merge rule ([400, 800, 0] answered 422 out_of_order, [400, 800,
// 1200, 800] 422 duplicate_iteration): they are merged, and the answer says
// what the call did.
func TestPostValidationMerges(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	meta := `"datasets": ["a"], "parameters": [{"id": 0, "values": {"threshold": 0.5}}], "criteria": [{"name": "dice", "higher_is_better": true, "bounds": [0, 1]}]`
	entry := func(it int, v string) string {
		return `{"iteration": ` + strconv.Itoa(it) + `, "scores": [[[` + v + `]]], "run_name": "r"}`
	}
	post := func(entries ...string) (int, statstore.ValidationMerge, string) {
		t.Helper()
		status, body := ts.do(t, ts.request(t, "POST", "/api/v1/runs/r/validation", `{`+meta+`, "scores": [`+strings.Join(entries, ",")+`]}`, ""))
		var m statstore.ValidationMerge
		if status == 200 {
			if err := json.Unmarshal([]byte(body), &m); err != nil {
				t.Fatalf("answer %s: %v", body, err)
			}
		}
		return status, m, body
	}
	steps := []struct {
		name                          string
		entries                       []string
		inserted, replaced, unchanged []int
	}{
		{"first", []string{entry(400, "0.4"), entry(800, "0.8")}, []int{400, 800}, nil, nil},
		{"late, sent last", []string{entry(400, "0.4"), entry(800, "0.8"), entry(0, "0.1")}, []int{0}, nil, []int{400, 800}},
		{"re-validated, equal", []string{entry(400, "0.4"), entry(800, "0.8"), entry(1200, "0.9"), entry(800, "0.8")}, []int{1200}, nil, []int{400, 800}},
		{"re-validated, other scores", []string{entry(800, "0.8"), entry(800, "0.85")}, nil, []int{800}, nil},
	}
	for _, st := range steps {
		status, m, body := post(st.entries...)
		if status != 200 {
			t.Fatalf("%s: POST answered %d %s, want 200", st.name, status, body)
		}
		for _, c := range []struct {
			what      string
			got, want []int
		}{{"inserted", m.Inserted, st.inserted}, {"replaced", m.Replaced, st.replaced}, {"unchanged", m.Unchanged, st.unchanged}} {
			if !slices.Equal(c.got, c.want) && len(c.got)+len(c.want) > 0 {
				t.Errorf("%s: %s = %v, want %v (answer %s)", st.name, c.what, c.got, c.want, body)
			}
		}
		if !strings.Contains(body, `"replaced":[`) {
			t.Errorf("%s: answer %s lists no replaced iterations, want [] when none", st.name, body)
		}
	}
	v, err := ts.store.RetrieveValidationScores(t.Context(), "r")
	if err != nil {
		t.Fatal(err)
	}
	var got []float64
	for _, s := range v.Scores {
		got = append(got, float64(s.Iteration), s.Scores[0][0][0])
	}
	if want := []float64{0, 0.1, 400, 0.4, 800, 0.85, 1200, 0.9}; !slices.Equal(got, want) {
		t.Errorf("stored (iteration, score) = %v, want %v", got, want)
	}
}

// TestSupersededOverHTTP checks that superseded marks reach clients, that
// best leaves them out unless asked, and DELETE ?from=.
func TestSupersededOverHTTP(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	c := ts.client(t, ClientOptions{})
	ctx := t.Context()
	m := storetest.Metadata()
	hist := storetest.Iters(0, 3456, 1)
	if err := c.StoreTrainingStats(ctx, "r", storetest.Training(hist...)); err != nil {
		t.Fatal(err)
	}
	// 3000 is the best checkpoint for every criterion (VOI: lower is better).
	scores := storetest.ScoresVersion(m, 0, 1000, 2000)
	scores.Scores = append(scores.Scores, storetest.ScoresVersion(m, -1, 3000).Scores...)
	if err := c.StoreValidationIterationScores(ctx, "r", scores); err != nil {
		t.Fatal(err)
	}
	resumed := &statstore.TrainingStats{IterationStats: slices.Concat(storetest.Entries(0, hist[:2000]...), storetest.Entries(1, storetest.Iters(2000, 2500, 1)...))}
	if err := c.StoreTrainingStats(ctx, "r", resumed); err != nil {
		t.Fatal(err)
	}
	got, err := c.RetrieveValidationScores(ctx, "r")
	if err != nil {
		t.Fatal(err)
	}
	var marks []bool
	for _, s := range got.Scores {
		marks = append(marks, s.Superseded)
	}
	if !slices.Equal(marks, []bool{false, false, true}) {
		t.Fatalf("superseded marks through the client = %v, want [false false true]", marks)
	}
	for _, q := range []struct {
		query    string
		want3000 bool
		header   string
	}{{"", false, "1"}, {"?include_superseded=true", true, "0"}} {
		req := ts.request(t, "GET", "/api/v1/runs/r/best"+q.query, "", "")
		resp, err := ts.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var lines []statstore.Best
		err = json.NewDecoder(resp.Body).Decode(&lines)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		has3000 := slices.ContainsFunc(lines, func(b statstore.Best) bool { return b.Iteration == 3000 })
		if has3000 != q.want3000 {
			t.Errorf("best%s names 3000: %v, want %v", q.query, has3000, q.want3000)
		}
		if h := resp.Header.Get("Statstore-Superseded-Left-Out"); h != q.header {
			t.Errorf("best%s: Statstore-Superseded-Left-Out = %q, want %q", q.query, h, q.header)
		}
	}
	if status, body := ts.do(t, ts.request(t, "GET", "/api/v1/runs/r/best?include_superseded=maybe", "", "")); status != 400 {
		t.Errorf("include_superseded=maybe: %d %s, want 400", status, body)
	}
	if err := c.DeleteValidationAfter(ctx, "r", 2000); err != nil {
		t.Fatal(err)
	}
	if after, err := c.RetrieveValidationIterationScores(ctx, "r"); err != nil || len(after) != 1 || after[0].Iteration != 1000 {
		t.Errorf("after DeleteValidationAfter(2000): %v, %v; want only 1000", after, err)
	}
	if status, body := ts.do(t, ts.request(t, "DELETE", "/api/v1/runs/r/validation?from=-3", "", "")); status != 400 {
		t.Errorf("DELETE ?from=-3: %d %s, want 400", status, body)
	}
}

// TestMergeEventCarriesMarks checks that a validation event sends each
// entry with the superseded mark the store keeps (a copy of a store sends
// marked entries, and followers must grey them as the store does).
func TestMergeEventCarriesMarks(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	c := ts.client(t, ClientOptions{})
	ctx := context.Background()
	next, _ := follow(t, ts, "r")
	v := validationScores(t, 100, 200)
	v.Scores[1].Superseded = true
	if _, err := c.MergeValidationScores(ctx, "r", v); err != nil {
		t.Fatal(err)
	}
	ev, ok := next()
	if !ok || ev.kind != "validation" {
		t.Fatalf("got event %+v, want a validation event", ev)
	}
	var got struct {
		Scores []struct {
			Iteration  int  `json:"iteration"`
			Superseded bool `json:"superseded"`
		} `json:"scores"`
	}
	if err := json.Unmarshal([]byte(ev.data), &got); err != nil {
		t.Fatal(err)
	}
	want := map[int]bool{100: false, 200: true}
	if len(got.Scores) != len(want) {
		t.Fatalf("event scores %+v, want iterations 100 and 200", got.Scores)
	}
	for _, s := range got.Scores {
		if m, ok := want[s.Iteration]; !ok || m != s.Superseded {
			t.Errorf("event entry %d superseded=%v, want %v", s.Iteration, s.Superseded, m)
		}
	}
	stored, err := c.RetrieveValidationIterationScores(ctx, "r")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stored {
		if s.Superseded != want[s.Iteration] {
			t.Errorf("stored entry %d superseded=%v, want %v", s.Iteration, s.Superseded, want[s.Iteration])
		}
	}
}
