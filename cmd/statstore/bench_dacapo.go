package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore/dacapo"
)

// dacapoBenchResult is the JSON line of statstore bench dacapo. Times are
// the fastest of readRepeats, in seconds of wall-clock time.
type dacapoBenchResult struct {
	Workload string `json:"workload"`
	Entries  int    `json:"entries"`
	Bytes    int64  `json:"bytes"`
	// Writer is who wrote the pickle: "python3" or "statstore" (the same
	// bytes, when python3 is not there); Numpy the numpy Python loaded it
	// with, "stand-in" when numpy is not installed (see dacapoBenchScript).
	Writer string  `json:"writer"`
	Numpy  *string `json:"numpy"`
	// GoS is a full read of the run in place (the training stats, as show
	// and plot get them); PythonS pickle.load of the same file in python3;
	// Ratio PythonS / GoS. PythonS and Ratio are null without python3.
	GoS     float64  `json:"go_s"`
	PythonS *float64 `json:"python_s"`
	Ratio   *float64 `json:"ratio"`
	// ShowS is `statstore show` of the run, in process, output discarded.
	ShowS float64 `json:"show_s"`
	// RunsS is `statstore runs` over the directory (one decode per file);
	// RunsGenericS the same summary as any store gives it (the listing,
	// then a min/max subsample: two decodes), as runs did before.
	RunsS        float64 `json:"runs_s"`
	RunsGenericS float64 `json:"runs_generic_s"`
}

// dacapoBenchScript writes the benchmark's pickle as DaCapo does (Python's
// pickle.dumps of a list of {"iteration", "loss" (numpy.float64), "time",
// "run_name"}, protocol 4) and prints the fastest of three pickle.load of
// it. Without numpy, stand-ins write the bytes numpy writes
// (dacapo/testdata/make_pickles.py does the same and checks them against
// numpy's), and C built-ins stand in for numpy's C reconstructors when
// loading, so that Python's time is not inflated by Python-level stand-ins.
const dacapoBenchScript = `
import json, pickle, struct, sys, time, types
path, n, run = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    import numpy
    kind = numpy.__version__
    def np64(x):
        return numpy.float64(x)
except ImportError:
    kind = None
    class dtype:
        def __init__(self, *args):
            self.args, self.state = args, None
        def __reduce__(self):
            return (dtype, self.args, self.state)
        def __setstate__(self, state):
            self.state = state
    class Float64:
        def __init__(self, data):
            self.data = data
        def __reduce__(self):
            return (scalar, (F8, self.data))
    def scalar(dt, data):
        return Float64(data)
    np = types.ModuleType("numpy"); np.dtype = dtype
    dtype.__module__, dtype.__qualname__ = "numpy", "dtype"
    mod = types.ModuleType("numpy.core.multiarray"); mod.scalar = scalar
    scalar.__module__, scalar.__qualname__ = mod.__name__, "scalar"
    sys.modules.update({"numpy": np, "numpy.core": types.ModuleType("numpy.core"), "numpy.core.multiarray": mod})
    F8 = dtype("f8", False, True); F8.state = (3, "<", None, None, None, -1, -1, 0)
    def np64(x):
        return Float64(struct.pack("<d", x))
docs = [{"iteration": i, "loss": np64(1.0 / (i + 1)), "time": i / 4, "run_name": run} for i in range(n)]
with open(path, "wb") as f:
    f.write(pickle.dumps(docs, protocol=4))
del docs
if kind is None:
    class cdtype:
        def __init__(self, *args): pass
        def __setstate__(self, state): pass
    np.dtype, mod.scalar = cdtype, slice
best = None
for _ in range(3):
    t = time.perf_counter()
    with open(path, "rb") as f:
        docs = pickle.load(f)
    d = time.perf_counter() - t
    best = d if best is None else min(best, d)
    del docs
print(json.dumps({"python_s": best, "numpy": kind}))
`

func newBenchDaCapoCmd(app *App, t *benchTarget) *cobra.Command {
	var n int
	cmd := &cobra.Command{
		Use:   "dacapo",
		Short: "Read a DaCapo training pickle in place, side by side with Python's pickle.load",
		Long: `Write a DaCapo training pickle of --entries entries (losses as numpy.float64
scalars, as DaCapo stores them) into --dir (a new or empty directory; a
temporary one by default), with python3 when it is on the PATH, and print one
JSON line: {"workload", "entries", "bytes", "writer", "numpy", "go_s",
"python_s", "ratio", "show_s", "runs_s", "runs_generic_s"}. go_s is statstore's
read of the run in place, python_s python3's pickle.load of the same file,
ratio python_s / go_s; each the fastest of 3. Without python3 statstore
writes the same bytes itself and python_s and ratio are null.`,
		Example: `  statstore bench dacapo --entries 300000
  statstore bench dacapo --entries 1000000 --dir /tmp/dacapo-bench`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n < 1 {
				return usageError{fmt.Errorf("--entries %d: want >= 1", n)}
			}
			res, err := app.benchDaCapo(cmd.Context(), t.dir, n)
			if err != nil {
				return err
			}
			return json.NewEncoder(app.Stdout).Encode(res)
		},
	}
	cmd.Flags().IntVar(&n, "entries", 300_000, "training entries in the pickle")
	return cmd
}

// benchDaCapo writes the pickle into dir (a temporary directory when "")
// and times the reads.
func (a *App) benchDaCapo(ctx context.Context, dir string, n int) (res dacapoBenchResult, err error) {
	res = dacapoBenchResult{Workload: "dacapo", Entries: n}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "statstore-bench-dacapo-"); err != nil {
			return res, err
		}
		defer os.RemoveAll(dir)
	} else if err := checkEmptyDir(dir); err != nil {
		return res, err
	}
	const run = "bench"
	sub := filepath.Join(dir, dacapo.TrainingDir)
	if err := os.MkdirAll(sub, 0o755); err != nil {
		return res, err
	}
	path := filepath.Join(sub, run)
	if python, perr := exec.LookPath("python3"); perr == nil {
		var out bytes.Buffer
		cmd := exec.CommandContext(ctx, python, "-c", dacapoBenchScript, path, fmt.Sprint(n), run)
		cmd.Stdout, cmd.Stderr = &out, a.Stderr
		if err := cmd.Run(); err != nil {
			return res, fmt.Errorf("bench dacapo: python3: %w", err)
		}
		var py struct {
			PythonS float64 `json:"python_s"`
			Numpy   *string `json:"numpy"`
		}
		if err := json.Unmarshal(out.Bytes(), &py); err != nil {
			return res, fmt.Errorf("bench dacapo: python3 printed %q: %w", out.String(), err)
		}
		res.Writer, res.PythonS = "python3", &py.PythonS
		res.Numpy = py.Numpy
		if res.Numpy == nil {
			s := "stand-in"
			res.Numpy = &s
		}
	} else {
		res.Writer = "statstore"
		if err := os.WriteFile(path, dacapo.SyntheticTraining(run, n), 0o644); err != nil {
			return res, err
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		return res, err
	}
	res.Bytes = fi.Size()

	s, err := dacapo.Open(dir, dacapo.Options{Logger: a.log()})
	if err != nil {
		return res, err
	}
	defer s.Close()
	if res.GoS, err = fastestOf(func() error {
		stats, err := s.RetrieveTrainingStats(ctx, run)
		if err == nil && stats.Len() != n {
			err = fmt.Errorf("read %d entries, want %d", stats.Len(), n)
		}
		return err
	}); err != nil {
		return res, fmt.Errorf("bench dacapo: read: %w", err)
	}
	if res.PythonS != nil {
		r := *res.PythonS / res.GoS
		res.Ratio = &r
	}
	quiet := &App{Stdin: a.Stdin, Stdout: io.Discard, Stderr: io.Discard, Getenv: a.Getenv}
	if res.ShowS, err = fastestOf(func() error {
		if code := quiet.Run(ctx, []string{"--store", dir, "show", run}); code != exitOK {
			return fmt.Errorf("show exited with %d", code)
		}
		return nil
	}); err != nil {
		return res, fmt.Errorf("bench dacapo: %w", err)
	}
	if res.RunsS, err = fastestOf(func() error {
		if code := quiet.Run(ctx, []string{"--store", dir, "runs"}); code != exitOK {
			return fmt.Errorf("runs exited with %d", code)
		}
		return nil
	}); err != nil {
		return res, fmt.Errorf("bench dacapo: %w", err)
	}
	if res.RunsGenericS, err = fastestOf(func() error {
		runs, err := summarizeRunsGeneric(ctx, s)
		if err == nil && len(runs) != 1 {
			err = errors.New("the generic summary lists no run")
		}
		return err
	}); err != nil {
		return res, fmt.Errorf("bench dacapo: runs (generic): %w", err)
	}
	return res, nil
}

// fastestOf returns the shortest of readRepeats runs of f.
func fastestOf(f func() error) (float64, error) {
	best := 0.0
	for i := range readRepeats {
		start := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		if d := time.Since(start).Seconds(); i == 0 || d < best {
			best = d
		}
	}
	return best, nil
}
