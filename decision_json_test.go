package statstore_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

func TestDecisionJSON(t *testing.T) {
	e := flat(3000, 0.99, 0.01, 1)
	e.Superseded = true
	p := plan(t, []statstore.ValidationIterationScores{flat(1000, 0.9, 0.5, 9), flat(2000, 0.5, 0.1, 8), e}, []int{1000, 2000, 3000, 4000}, statstore.RetentionOptions{Last: 1})
	p.Run = "r"
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"run":"r"`, `"criteria":["dice","voi"]`, `"superseded_left_out":1`, `"kept":4`, `"prunable":0`,
		`{"iteration":1000,"keep":true,"bytes":1000,"reasons":[{"kind":"best","dataset":"crop_a","criterion":"dice","rank":1,"parameter_id":0,"parameters":"threshold_0.3","value":0.9,"text":"best dice on crop_a (0.9 with threshold_0.3)"}`,
		`{"kind":"last","rank":1,"text":"latest checkpoint (training resumes from it)"}`, `{"kind":"superseded_only","text":`} {
		if !strings.Contains(string(data), w) {
			t.Errorf("retention plan JSON lacks %s:\n%s", w, data)
		}
	}
	if strings.Contains(string(data), "frees_bytes") {
		t.Errorf("nothing prunable, yet frees_bytes: %s", data)
	}

	g, err := sensitivityScores().Grid("crop_a", "dice", statstore.GridOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if data, err = json.Marshal(g); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"axis":"threshold","axis_values":[0.3,0.5,0.7]`, `[0.8,0.795,"NaN"]`, `"best":[1,0,0,-1,1]`, `"regret":[0,`, `"NaN",0]`, `"width":[1,1,2,0,1]`, `"fixed":1`} {
		if !strings.Contains(string(data), w) {
			t.Errorf("grid JSON lacks %s:\n%s", w, data)
		}
	}

	sel, err := selectionScores().Select(statstore.SelectOn{Dataset: "crop_a", Criterion: "dice", HeldOut: []string{"crop_b"}})
	if err != nil {
		t.Fatal(err)
	}
	if data, err = json.Marshal(sel); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"dataset":"crop_a","criterion":"dice","held_out":["crop_b"],"iteration":1000,"parameter_id":1,"parameters":"threshold_0.5","value":0.8`,
		`{"dataset":"crop_b","criterion":"hausdorff","higher_is_better":false,"held_out":true,"value":5,"best":{"dataset":"crop_b","mean_over_datasets":false,"criterion":"hausdorff","higher_is_better":false,"iteration":1000,"parameter_id":0,"parameters":"threshold_0.3","value":2},"gap":3}`} {
		if !strings.Contains(string(data), w) {
			t.Errorf("selection JSON lacks %s:\n%s", w, data)
		}
	}
}
