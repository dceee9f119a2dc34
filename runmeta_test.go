package statstore_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	statstore "github.com/statstore/statstore"
)

func TestRunMetaValidate(t *testing.T) {
	bad := []statstore.RunMeta{
		{Config: []byte(`[1]`)},
		{Config: []byte(`{"a":1} {"b":2}`)},
		{Config: []byte(`{"a":`)},
		{Config: []byte(`"x"`)},
		{Tags: map[string]string{"": "x"}},
		{Tags: map[string]string{"a=b": "x"}},
		{Tags: map[string]string{"a b": "x"}},
		{Tags: map[string]string{"a": "x\ny"}},
		{Tags: map[string]string{"a": strings.Repeat("v", statstore.MaxTagValueLen+1)}},
		{Tags: map[string]string{strings.Repeat("k", statstore.MaxTagKeyLen+1): "v"}},
	}
	for i, m := range bad {
		if err := m.Validate(); !errors.Is(err, statstore.ErrInvalidArgument) {
			t.Errorf("case %d (%q %v): Validate() = %v, want ErrInvalidArgument", i, m.Config, m.Tags, err)
		}
	}
	good := statstore.RunMeta{Config: []byte(` {"b": 1, "a": {"x": [1, 2.50]}} `), Tags: map[string]string{"architecture": "unet", "seed": ""}}
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate(good) = %v", err)
	}
}

func TestCompactRunConfigAndEqual(t *testing.T) {
	got, err := statstore.CompactRunConfig([]byte(" {\"b\": 1, \"a\": {\"y\": 2.50, \"x\": null}} "))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":{"x":null,"y":2.50},"b":1}`; string(got) != want {
		t.Fatalf("CompactRunConfig = %s, want %s", got, want)
	}
	a := statstore.RunMeta{Config: []byte(`{"a":1,"b":2}`), Tags: map[string]string{"k": "v"}}
	b := statstore.RunMeta{Config: []byte(`{ "b":2, "a":1 }`), Tags: map[string]string{"k": "v"}}
	if !a.Equal(b) {
		t.Error("configs differing only in order and space are not Equal")
	}
	b.Tags = map[string]string{"k": "w"}
	if a.Equal(b) {
		t.Error("different tags are Equal")
	}
	if a.Equal(statstore.RunMeta{Tags: a.Tags}) {
		t.Error("a configuration equals none")
	}
}

func TestApplyTags(t *testing.T) {
	got, err := statstore.ApplyTags(map[string]string{"a": "1", "b": "2"}, map[string]string{"c": "3", "a": "9"}, []string{"b"})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "map[a:9 c:3]" {
		t.Errorf("ApplyTags = %v", got)
	}
	if _, err := statstore.ApplyTags(nil, map[string]string{"a": "1"}, []string{"a"}); !errors.Is(err, statstore.ErrInvalidArgument) {
		t.Errorf("set and remove one key: %v", err)
	}
	if got, err := statstore.ApplyTags(map[string]string{"a": "1"}, nil, []string{"a"}); err != nil || got != nil {
		t.Errorf("removing the last tag = %v, %v; want nil, nil", got, err)
	}
}

func ExampleParseTag() {
	k, v, err := statstore.ParseTag("architecture=unet")
	fmt.Println(k, v, err)
	_, _, err = statstore.ParseTag("architecture")
	fmt.Println(err)
	// Output:
	// architecture unet <nil>
	// tag "architecture": want key=value: invalid argument
}
