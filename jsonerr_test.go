package statstore

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestMetadataErrorsInUserTerms: a metadata document with a value of the
// wrong kind is refused with where it is and what was expected, without Go
// type names.
func TestMetadataErrorsInUserTerms(t *testing.T) {
	tests := []struct {
		doc  string
		want string
	}{
		{`{"datasets": "crop_a", "parameters": [], "criteria": "instance"}`, "datasets is a string, want an array of strings"},
		{`{"datasets": ["a"], "parameters": [], "criteria": [{"name": "x", "higher_is_better": "yes"}]}`, "want true or false"},
	}
	for _, tt := range tests {
		var m Metadata
		err := json.Unmarshal([]byte(tt.doc), &m)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want it to say %q", tt.doc, err, tt.want)
			continue
		}
		for _, goName := range []string{"Go struct", "[]string", "metadataJSON", "statstore."} {
			if strings.Contains(err.Error(), goName) {
				t.Errorf("%s: error %q shows Go names (%s)", tt.doc, err, goName)
			}
		}
	}
}
