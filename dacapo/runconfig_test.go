package dacapo

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/memstore"
)

// runsBase lays out a DaCapo runs_base_dir: stats/ (a copy of testdata
// proto4) and configs/runs/<run> for each config file given (run name ->
// testdata/runconfig file).
func runsBase(t *testing.T, configs map[string]string) string {
	t.Helper()
	base := t.TempDir()
	for _, sub := range []string{"training_stats", "validation_scores"} {
		from := filepath.Join("testdata", "proto4", sub)
		entries, err := os.ReadDir(from)
		if err != nil {
			t.Fatal(err)
		}
		to := filepath.Join(base, "stats", sub)
		if err := os.MkdirAll(to, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(from, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(to, e.Name()), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	runs := filepath.Join(base, "configs", "runs")
	if err := os.MkdirAll(runs, 0o755); err != nil {
		t.Fatal(err)
	}
	for run, file := range configs {
		data, err := os.ReadFile(filepath.Join("testdata", "runconfig", file))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(runs, run), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return base
}

const plainRunConfig = `{"architecture_config":{"__type__":"CNNectomeUNetConfig","downsample_factors":[[2,2,2],[2,2,2]],"fmaps_in":1,"fmaps_out":12,"kernel_size_up":null,"name":"unet"},` +
	`"big":1180591620717411303424,"datasplit_config":{"__type__":"TrainValidateDataSplitConfig","name":"jrc_mus-liver"},"flag":true,"name":"plain_run","num_iterations":100000,"repetition":0,"start_config":null,` +
	`"task_config":{"__type__":"DistanceTaskConfig","channels":["mito"],"name":"mito_distances","scale_factor":50.0},` +
	`"trainer_config":{"__type__":"GunpowderTrainerConfig","augments":[],"batch_size":2,"learning_rate":0.0001,"name":"default"},"validation_interval":1000}`

// TestRunConfig: the pickled RunConfig DaCapo's FileConfigStore keeps
// beside the stats directory reads as the run's configuration (pickle
// protocols 2 and 4), a run without one reads as none, and a config that
// JSON cannot hold or that is not a dict is a CorruptError naming the file.
func TestRunConfig(t *testing.T) {
	ctx := t.Context()
	for _, file := range []string{"plain_run.p2", "plain_run.p4"} {
		base := runsBase(t, map[string]string{"plain_run": file})
		s, err := Open(filepath.Join(base, "stats"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		m, err := s.RetrieveRunMeta(ctx, "plain_run")
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if string(m.Config) != plainRunConfig {
			t.Errorf("%s: configuration\ngot  %s\nwant %s", file, m.Config, plainRunConfig)
		}
		if m, err := s.RetrieveRunMeta(ctx, "numpy_v1_run"); err != nil || !m.IsZero() {
			t.Errorf("run without a configuration: %+v, %v", m, err)
		}
		if err := s.SetRunTags(ctx, "plain_run", map[string]string{"k": "v"}, nil); !errors.Is(err, statstore.ErrReadOnly) {
			t.Errorf("SetRunTags: got %v, want ErrReadOnly", err)
		}
		s.Close()
	}
	base := runsBase(t, map[string]string{"plain_run": "nan_run.p4", "numpy_v1_run": "list_run.p4"})
	s, err := Open(filepath.Join(base, "stats"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for run, want := range map[string]string{"plain_run": "config.lr is NaN", "numpy_v1_run": "want dict"} {
		_, err := s.RetrieveRunMeta(ctx, run)
		var ce *statstore.CorruptError
		if !errors.As(err, &ce) || ce.Path != filepath.Join(base, "configs", "runs", run) || !strings.Contains(err.Error(), want) {
			t.Errorf("RetrieveRunMeta(%s): got %v, want a CorruptError naming the file and %q", run, err, want)
		}
	}
}

// TestImportRunConfig: import dacapo stores each run's configuration
// with its statistics.
func TestImportRunConfig(t *testing.T) {
	ctx := t.Context()
	base := runsBase(t, map[string]string{"plain_run": "plain_run.p4"})
	src, err := Open(filepath.Join(base, "stats"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst := memstore.New(nil)
	if err := Import(ctx, src, dst, []string{"plain_run", "numpy_v1_run"}); err != nil {
		t.Fatal(err)
	}
	m, err := dst.RetrieveRunMeta(ctx, "plain_run")
	if err != nil || string(m.Config) != plainRunConfig {
		t.Fatalf("imported configuration: %s, %v", m.Config, err)
	}
	if m, _ := dst.RetrieveRunMeta(ctx, "numpy_v1_run"); !m.IsZero() {
		t.Errorf("a run without a configuration was given one: %+v", m)
	}
}

// FuzzDecodeRunConfig: no pickle panics the configuration decoder, and
// what it accepts is a valid configuration.
func FuzzDecodeRunConfig(f *testing.F) {
	for _, file := range []string{"plain_run.p2", "plain_run.p4", "nan_run.p4", "list_run.p4"} {
		data, err := os.ReadFile(filepath.Join("testdata", "runconfig", file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := decodeRunConfig(t.Context(), data, newLimit(len(data), DefaultMemoryBudget))
		if err != nil {
			return
		}
		if err := statstore.ValidateRunConfig(c); err != nil {
			t.Fatalf("accepted %q: %v", c, err)
		}
	})
}
