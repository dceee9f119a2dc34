package dacapo

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/statstore/statstore"
)

func TestParseParameters(t *testing.T) {
	tests := []struct {
		spec    string
		want    []string // display names
		wantErr bool
	}{
		{spec: "threshold=0.3,0.5,0.7", want: []string{"threshold_0.3", "threshold_0.5", "threshold_0.7"}},
		{spec: "threshold=1.0, 2", want: []string{"threshold_1.0", "threshold_2"}},
		{spec: "bias=0.1,0.2;context=8,16", want: []string{"bias_0.1_context_8", "bias_0.1_context_16", "bias_0.2_context_8", "bias_0.2_context_16"}},
		{spec: "mode=fast", want: []string{"mode_fast"}},
		{spec: "", wantErr: true},
		{spec: "threshold", wantErr: true},
		{spec: "=0.5", wantErr: true},
		{spec: "threshold=0.5,", wantErr: true},
		{spec: "threshold=0.5,0.5", wantErr: true},
		{spec: "a=1;a=2", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := ParseParameters(tt.spec)
			if tt.wantErr {
				if !errors.Is(err, statstore.ErrInvalidArgument) {
					t.Fatalf("got %v, %v, want ErrInvalidArgument", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			names := statstore.Metadata{Parameters: got}.ParameterDisplayNames()
			if strings.Join(names, " ") != strings.Join(tt.want, " ") {
				t.Errorf("got %v, want %v", names, tt.want)
			}
			for i, p := range got {
				if p.ID != i {
					t.Errorf("set %d has id %d", i, p.ID)
				}
			}
		})
	}
}

// TestMetadataOptions names the axes of plain_run (2 datasets × 2 parameter
// sets × 3 criteria) in every way Options allow.
func TestMetadataOptions(t *testing.T) {
	ctx := context.Background()
	two := statstore.ThresholdParameters(0.3, 0.5)
	custom := statstore.Metadata{Datasets: []string{"a", "b"}, Parameters: two, EvaluationScores: statstore.InstanceCriteria()}
	tests := []struct {
		name         string
		opts         Options
		wantOpenErr  bool
		wantErr      error
		wantDatasets string
		wantCriteria string
		wantWarning  bool
	}{
		{name: "generic, criteria inferred from their count", opts: Options{}, wantDatasets: "dataset_0,dataset_1", wantCriteria: "voi_split,voi_merge,voi", wantWarning: true},
		{name: "preset only", opts: Options{Preset: "instance"}, wantDatasets: "dataset_0,dataset_1", wantCriteria: "voi_split,voi_merge,voi", wantWarning: true},
		{name: "all named", opts: Options{Preset: "instance", Datasets: []string{"a", "b"}, Parameters: two}, wantDatasets: "a,b", wantCriteria: "voi_split,voi_merge,voi"},
		{name: "metadata", opts: Options{Metadata: &custom}, wantDatasets: "a,b", wantCriteria: "voi_split,voi_merge,voi"},
		{name: "preset with wrong count", opts: Options{Preset: "binary_segmentation"}, wantErr: statstore.ErrShapeMismatch},
		{name: "wrong dataset count", opts: Options{Datasets: []string{"a"}}, wantErr: statstore.ErrShapeMismatch},
		{name: "wrong parameter count", opts: Options{Parameters: statstore.ThresholdParameters(0.1, 0.2, 0.3)}, wantErr: statstore.ErrShapeMismatch},
		{name: "metadata of wrong shape", opts: Options{Metadata: &statstore.Metadata{Datasets: []string{"a"}, Parameters: two, EvaluationScores: statstore.InstanceCriteria()}}, wantErr: statstore.ErrInvalidArgument},
		{name: "metadata and preset", opts: Options{Metadata: &custom, Preset: "instance"}, wantOpenErr: true},
		{name: "unknown preset", opts: Options{Preset: "nope"}, wantOpenErr: true},
		{name: "repeated dataset", opts: Options{Datasets: []string{"a", "a"}}, wantOpenErr: true},
		{name: "negative memory budget", opts: Options{MemoryBudget: -1}, wantOpenErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			tt.opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			s, err := Open("testdata/proto4", tt.opts)
			if tt.wantOpenErr {
				if !errors.Is(err, statstore.ErrInvalidArgument) {
					t.Fatalf("Open: got %v, want ErrInvalidArgument", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			v, err := s.RetrieveValidationScores(ctx, "plain_run")
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), "validation_scores/plain_run") {
					t.Fatalf("got %v, want %v naming the file", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(v.Datasets, ","); got != tt.wantDatasets {
				t.Errorf("datasets: got %s, want %s", got, tt.wantDatasets)
			}
			if got := strings.Join(v.Criteria(), ","); got != tt.wantCriteria {
				t.Errorf("criteria: got %s, want %s", got, tt.wantCriteria)
			}
			if warned := strings.Contains(logs.String(), "generic names"); warned != tt.wantWarning {
				t.Errorf("warning logged: got %v, want %v (log: %s)", warned, tt.wantWarning, logs.String())
			}
		})
	}
}
