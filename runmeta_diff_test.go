package statstore_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	statstore "github.com/statstore/statstore"
)

func TestDiffRunConfig(t *testing.T) {
	a := `{"task":"mito","trainer":{"lr":0.001,"batch":2},"arch":{"fmaps":[12,24,48]},"same":{"x":[1,{"y":2}]},"x.y":1,"gone":true}`
	b := `{"task":"mito","trainer":{"lr":0.0001,"batch":2,"aug":["flip"]},"arch":{"fmaps":[12,36]},"same":{"x":[1,{"y":2}]},"x.y":2,"new":null}`
	got, err := statstore.DiffRunConfig(json.RawMessage(a), json.RawMessage(b))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`arch.fmaps[1] changed 24 -> 36`,
		`arch.fmaps[2] removed 48 -> `,
		`gone removed true -> `,
		`new added  -> null`,
		`trainer.aug added  -> ["flip"]`,
		`trainer.lr changed 0.001 -> 0.0001`,
		`["x.y"] changed 1 -> 2`,
	}
	if len(got) != len(want) {
		t.Fatalf("got %d changes %+v, want %d", len(got), got, len(want))
	}
	for i, c := range got {
		if s := fmt.Sprintf("%s %s %s -> %s", c.Path, c.Kind, c.A, c.B); s != want[i] {
			t.Errorf("change %d: got %s, want %s", i, s, want[i])
		}
	}
	if got, err := statstore.DiffRunConfig(nil, json.RawMessage(`{"a":{"b":1}}`)); err != nil || len(got) != 1 || got[0].Path != "a" || got[0].Kind != statstore.ChangeAdded {
		t.Errorf("diff against no configuration: got %+v, %v", got, err)
	}
	if got, _ := statstore.DiffRunConfig(json.RawMessage(`{"a":{"b":1}}`), json.RawMessage(`{"a":[1]}`)); len(got) != 1 || got[0].Kind != statstore.ChangeChanged {
		t.Errorf("object replaced by a list: got %+v, want one change at a", got)
	}
	if _, err := statstore.DiffRunConfig(json.RawMessage(`[1]`), nil); !errors.Is(err, statstore.ErrInvalidArgument) {
		t.Errorf("invalid configuration: got %v, want ErrInvalidArgument", err)
	}
}

func TestDiffTags(t *testing.T) {
	got := statstore.DiffTags(map[string]string{"a": "1", "b": "2", "c": "3"}, map[string]string{"a": "1", "b": "x", "d": "4"})
	var s []string
	for _, c := range got {
		var a, b string
		if c.A != nil {
			a = *c.A
		}
		if c.B != nil {
			b = *c.B
		}
		s = append(s, c.Key+" "+c.Kind+" "+a+"/"+b)
	}
	if want := fmt.Sprint([]string{"b changed 2/x", "c removed 3/", "d added /4"}); fmt.Sprint(s) != want {
		t.Errorf("DiffTags: got %v, want %v", s, want)
	}
}

// Two runs' configurations differ in their learning rate and in the
// feature maps of their U-Net.
func ExampleDiffRunConfig() {
	a := json.RawMessage(`{"architecture": {"fmaps": [12, 24]}, "trainer": {"lr": 0.001}}`)
	b := json.RawMessage(`{"architecture": {"fmaps": [12, 36]}, "trainer": {"lr": 0.0001, "clip": 1}}`)
	changes, _ := statstore.DiffRunConfig(a, b)
	for _, c := range changes {
		fmt.Printf("%-22s %-8s %s -> %s\n", c.Path, c.Kind, c.A, c.B)
	}
	// Output:
	// architecture.fmaps[1]  changed  24 -> 36
	// trainer.clip           added     -> 1
	// trainer.lr             changed  0.001 -> 0.0001
}

// Tags set from the command line are checked and applied in one step.
func ExampleApplyTags() {
	k, v, _ := statstore.ParseTag("architecture=unet")
	tags, err := statstore.ApplyTags(map[string]string{"seed": "1", "old": "x"}, map[string]string{k: v}, []string{"old"})
	fmt.Println(tags, err)
	// Output:
	// map[architecture:unet seed:1] <nil>
}
