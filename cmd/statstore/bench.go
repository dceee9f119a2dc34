package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/filestore"
)

// readRepeats is how many times the benchmarks time each read, from a
// freshly opened store each time, keeping the fastest: a shared machine's
// hiccups only ever add time.
const readRepeats = 3

// benchResult is the one JSON line a bench command prints. Times are
// seconds of wall-clock time; write_s is the time spent inside the Store
// calls only (building the stats in memory is not counted).
type benchResult struct {
	Workload    string `json:"workload"`
	Iterations  int    `json:"iterations"`
	Every       int    `json:"every"`
	Checkpoints int    `json:"checkpoints"`
	Calls       int    `json:"calls"` // Store calls made
	Sync        bool   `json:"sync"`
	// WriteS is the total time of the Store calls.
	WriteS float64 `json:"write_s"`
	// ReadS is a full retrieval from a freshly opened store (the fastest
	// of readRepeats).
	ReadS float64 `json:"read_s"`
	// ReadWarmS is a full retrieval on a store that has read the run
	// before, into the slice of the previous read
	// (statstore.AppendTrainingStats): the fastest of readRepeats after one
	// untimed read, as the limit reads (training only).
	ReadWarmS *float64 `json:"read_warm_s,omitempty"`
	// SubsampleS is a 1,000-point stride subsample, the first call on a
	// freshly opened store (cold); SubsampleWarmS the same call in the
	// steady state of that store, after subsampleWarmUps untimed calls
	// (the fastest of subsampleWarmRepeats). Each is the fastest over
	// readRepeats fresh stores (training only; null for validation).
	SubsampleS     *float64 `json:"subsample_s"`
	SubsampleWarmS *float64 `json:"subsample_warm_s,omitempty"`
	// BestS is the fastest of a few best reports over the retrieved scores,
	// BestCPUS their mean CPU time (validation only).
	BestS    *float64 `json:"best_s,omitempty"`
	BestCPUS *float64 `json:"best_cpu_s,omitempty"`
	// Bytes is the size of the store's files on disk; null for a store that
	// is not a directory (PostgreSQL).
	Bytes *int64 `json:"bytes"`
}

// benchTarget says where a bench command writes: a new file store
// directory (--dir) or the store named by --store.
type benchTarget struct {
	dir      string
	sync     bool
	progress bool
	run      string
	// cpuProfile, when set, is where the command writes a CPU profile.
	cpuProfile string
}

func (t *benchTarget) register(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.StringVar(&t.dir, "dir", "", "a new (or empty) directory for the file store the benchmark writes")
	f.BoolVar(&t.sync, "sync", true, "fsync every Store call (file store only; false measures the code without the disk)")
	f.BoolVar(&t.progress, "progress", false, `print "stored <until>" on stderr after every Store call returns`)
	f.StringVar(&t.run, "run", "", "the run to write (default bench_<workload>); it must not exist yet")
	f.StringVar(&t.cpuProfile, "cpuprofile", "", "write a CPU profile of the benchmark to this file (go tool pprof)")
	_ = cmd.MarkPersistentFlagDirname("dir")
}

func newBenchCmd(app *App) *cobra.Command {
	var t benchTarget
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the store on DaCapo's training and validation workloads",
		Long: `Run one of DaCapo's workloads against a store and print one JSON line:
{"workload", "iterations", "every", "checkpoints", "calls", "sync", "write_s",
"read_s", "read_warm_s", "subsample_s", "subsample_warm_s" (train), "best_s" and "best_cpu_s"
(validation), "bytes"}.

train keeps the whole training history in memory, adds one iteration at a
time and every --every iterations (and at the end) stores the whole
history, as DaCapo's trainer does. validation validates a checkpoint every
--every iterations and stores the whole ValidationScores each time. Both
then time a full retrieval from a freshly opened store; train also a
warm one (the fastest of 5 on a store that has read the run before, each
into the slice of the read before it) and a 1,000-point subsample, cold (the first call on a freshly opened store) and
warm (the steady state: the fastest of 5 calls after 2 untimed ones on
that store), validation a best report. buckets times a plot's M4 buckets
of a stored history (see bench buckets --help), dacapo reads a DaCapo
training pickle in place side by side with Python's pickle.load (see bench
dacapo --help), serve a tracking server (see bench serve --help).

The benchmark writes to a new file store in --dir, or to the store named by
--store (a PostgreSQL URL, for example). bench/run.sh compares the results
with DaCapo's algorithm and the disk's limit (docs/benchmarks.md).`,
		Example: `  statstore bench train --dir /tmp/b --iterations 100000 --every 1000
  statstore bench validation --dir /tmp/v --checkpoints 1000 --every 1000
  statstore --store postgres://localhost/stats bench train --iterations 10000 --every 1000
  statstore bench dacapo --entries 300000`,
		Args: usageArgs(cobra.NoArgs),
	}
	t.register(cmd)
	cmd.AddCommand(newBenchTrainCmd(app, &t), newBenchValidationCmd(app, &t), newBenchBucketsCmd(app, &t), newBenchDaCapoCmd(app, &t), newBenchServeCmd(app, &t))
	profileRuns(cmd, &t.cpuProfile)
	return cmd
}

// openBench opens the store a benchmark writes or reads. With --dir the
// directory must be new or empty when writing.
func (a *App) openBench(ctx context.Context, t *benchTarget, acc access) (statstore.StatsStore, error) {
	if t.dir == "" {
		if a.global.store == "" && a.getenv(envStore) == "" {
			return nil, usageError{errors.New("name the store to benchmark: --dir DIR (a new directory) or --store URL")}
		}
		return a.openStore(ctx, a.storeSpec(), acc)
	}
	if acc == readWrite {
		if err := checkEmptyDir(t.dir); err != nil {
			return nil, err
		}
	}
	s, err := filestore.Open(t.dir, filestore.Options{Logger: a.log(), NoSync: !t.sync, ReadOnly: acc == readOnly})
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", t.dir, err)
	}
	return s, nil
}

// checkEmptyDir accepts a directory that does not exist or is empty.
func checkEmptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("bench --dir %s: %w", dir, err)
	case len(entries) > 0:
		return &userError{
			msg:  fmt.Sprintf("bench --dir %s is not empty: the benchmark measures a new store", dir),
			hint: "name a directory that does not exist yet, e.g. --dir $(mktemp -u)",
		}
	}
	return nil
}

// runName returns the run a benchmark writes.
func (t *benchTarget) runName(workload string) string {
	if t.run != "" {
		return t.run
	}
	return "bench_" + workload
}

// checkRunAbsent refuses to benchmark over a run that already holds data.
func checkRunAbsent(ctx context.Context, s statstore.StatsStore, run string) error {
	runs, err := s.ListRuns(ctx)
	if err != nil {
		return err
	}
	for _, r := range runs {
		if r.Run == run {
			return &userError{
				msg:  fmt.Sprintf("run %q already holds data: the benchmark writes a new run", run),
				hint: "name another run with --run, or delete this one first: statstore delete " + run,
			}
		}
	}
	return statstore.ValidateRunName(run)
}

// closeInto closes s, keeping the first error in *err.
func closeInto(s statstore.StatsStore, err *error) {
	if cerr := s.Close(); cerr != nil && *err == nil {
		*err = fmt.Errorf("close store: %w", cerr)
	}
}

// storeSize returns the total size of the files under dir.
func storeSize(dir string) (*int64, error) {
	if dir == "" {
		return nil, nil
	}
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		n += fi.Size()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("size of store %s: %w", dir, err)
	}
	return &n, nil
}

// timed runs f and returns how long it took.
func timed(f func() error) (time.Duration, error) {
	start := time.Now()
	err := f()
	return time.Since(start), err
}

func seconds(d time.Duration) *float64 {
	s := d.Seconds()
	return &s
}

// reportStored prints the progress line a crash harness reads.
func reportStored(w io.Writer, on bool, until int) {
	if on {
		fmt.Fprintf(w, "stored %d\n", until)
	}
}

// withBenchStore opens the benchmark's store, runs f and closes the store.
func (a *App) withBenchStore(ctx context.Context, t *benchTarget, acc access, f func(statstore.StatsStore) error) (err error) {
	s, err := a.openBench(ctx, t, acc)
	if err != nil {
		return err
	}
	defer closeInto(s, &err)
	return f(s)
}

// fastest returns d in seconds if it beats best (0 meaning none yet).
func fastest(best float64, d time.Duration) float64 {
	if best == 0 || d.Seconds() < best {
		return d.Seconds()
	}
	return best
}

func fastestPtr(best *float64, d time.Duration) *float64 {
	if best == nil {
		return seconds(d)
	}
	v := fastest(*best, d)
	return &v
}
