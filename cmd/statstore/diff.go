package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/jsonnan"
)

// diffBestSide is one run's best for a dataset and criterion.
type diffBestSide struct {
	Value      *jsonnan.Float `json:"value"`
	Iteration  int            `json:"iteration"`
	Parameters string         `json:"parameters"`
}

// diffBest is one line of the best-score comparison: Dataset "" is the
// mean over datasets. A or B is nil where that run has no such line or
// nothing was found.
type diffBest struct {
	Dataset        string        `json:"dataset"`
	Criterion      string        `json:"criterion"`
	HigherIsBetter *bool         `json:"higher_is_better"`
	A              *diffBestSide `json:"a"`
	B              *diffBestSide `json:"b"`
	// Delta is B's value minus A's; nil unless both were found.
	Delta *jsonnan.Float `json:"delta"`
}

// runDiff is what statstore diff reports.
type runDiff struct {
	RunA   string                   `json:"run_a"`
	RunB   string                   `json:"run_b"`
	Config []statstore.ConfigChange `json:"config"`
	Tags   []statstore.TagChange    `json:"tags"`
	Best   []diffBest               `json:"best"`
}

func newDiffCmd(app *App) *cobra.Command {
	var out outputFlags
	cmd := &cobra.Command{
		Use:   "diff RUN_A RUN_B",
		Short: "Compare two runs: configuration, tags and best scores",
		Long: `Compare two runs side by side: what differs in their configurations, by
nested key path (trainer.lr, architecture.fmaps[2], a["odd key"]) as
added (only in RUN_B), removed (only in RUN_A) or changed; what differs in
their tags; and, per dataset and criterion, each run's best value with
the checkpoint and post-processing parameters that reach it, and the
difference B - A (mean over datasets as dataset "(mean)"). Superseded
validations are left out as statstore best leaves them out.`,
		Example: `  statstore diff unet_run__1 unet_run__2
  statstore diff unet_run__1 resnet_run__1 --json`,
		Args:              usageArgs(cobra.ExactArgs(2)),
		ValidArgsFunction: completeRuns(app, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, run := range args {
				if err := statstore.ValidateRunName(run); err != nil {
					return err
				}
			}
			ctx := cmd.Context()
			return app.withStore(ctx, readOnly, func(s statstore.StatsStore) error {
				d, err := diffRuns(ctx, s, args[0], args[1])
				if err != nil {
					return err
				}
				if out.json {
					return writeJSON(app.Stdout, d)
				}
				return printDiff(app.Stdout, d)
			})
		},
	}
	out.register(cmd)
	return cmd
}

// diffRuns compares runs a and b of s. A store without metadata (a DaCapo
// directory) compares best scores only.
func diffRuns(ctx context.Context, s statstore.StatsStore, a, b string) (*runDiff, error) {
	d := &runDiff{RunA: a, RunB: b, Config: []statstore.ConfigChange{}, Tags: []statstore.TagChange{}, Best: []diffBest{}}
	if ms, ok := s.(statstore.RunMetaStore); ok {
		ma, err := ms.RetrieveRunMeta(ctx, a)
		if err != nil {
			return nil, err
		}
		mb, err := ms.RetrieveRunMeta(ctx, b)
		if err != nil {
			return nil, err
		}
		cfg, err := statstore.DiffRunConfig(ma.Config, mb.Config)
		if err != nil {
			return nil, err
		}
		d.Config = append(d.Config, cfg...)
		d.Tags = append(d.Tags, statstore.DiffTags(ma.Tags, mb.Tags)...)
	}
	ba, err := bestLines(ctx, s, a)
	if err != nil {
		return nil, err
	}
	bb, err := bestLines(ctx, s, b)
	if err != nil {
		return nil, err
	}
	type key struct{ dataset, criterion string }
	index := map[key]int{}
	add := func(l statstore.Best, side func(*diffBest) **diffBestSide) {
		k := key{l.Dataset, l.Criterion}
		i, ok := index[k]
		if !ok {
			i = len(d.Best)
			index[k] = i
			d.Best = append(d.Best, diffBest{Dataset: l.Dataset, Criterion: l.Criterion})
		}
		line := &d.Best[i]
		if !l.DirectionUnknown {
			hib := l.HigherIsBetter
			line.HigherIsBetter = &hib
		}
		if l.Found {
			*side(line) = &diffBestSide{Value: optFloat(l.Value), Iteration: l.Iteration, Parameters: l.Parameters}
		}
	}
	for _, l := range ba {
		add(l, func(x *diffBest) **diffBestSide { return &x.A })
	}
	for _, l := range bb {
		add(l, func(x *diffBest) **diffBestSide { return &x.B })
	}
	for i := range d.Best {
		if l := &d.Best[i]; l.A != nil && l.B != nil {
			l.Delta = optFloat(float64(*l.B.Value) - float64(*l.A.Value))
		}
	}
	return d, nil
}

// bestLines returns the run's best report lines, per dataset then the
// means over datasets; none for a run without validation scores.
func bestLines(ctx context.Context, s statstore.StatsStore, run string) ([]statstore.Best, error) {
	vs, err := s.RetrieveValidationScores(ctx, run)
	if err != nil {
		return nil, err
	}
	if vs == nil || vs.Len() == 0 {
		return nil, nil
	}
	rep := vs.BestReport()
	return append(rep.PerDataset, rep.OverDatasets...), nil
}

// printDiff prints d for people.
func printDiff(w io.Writer, d *runDiff) error {
	ew := &errWriter{w: w}
	ew.printf("A = %s\nB = %s\n\n", d.RunA, d.RunB)
	if len(d.Config) == 0 {
		ew.printf("configuration: no difference\n")
	} else {
		ew.printf("configuration (%s):\n", plural(len(d.Config), "difference", "differences"))
		t := newTable(ew, "  PATH", "CHANGE", "A", "B")
		for _, c := range d.Config {
			t.row("  "+c.Path, c.Kind, orDash(string(c.A)), orDash(string(c.B)))
		}
		ew.err = firstErr(ew.err, t.flush())
	}
	ew.printf("\n")
	if len(d.Tags) == 0 {
		ew.printf("tags: no difference\n")
	} else {
		ew.printf("tags (%s):\n", plural(len(d.Tags), "difference", "differences"))
		t := newTable(ew, "  KEY", "CHANGE", "A", "B")
		for _, c := range d.Tags {
			t.row("  "+c.Key, c.Kind, optString(c.A), optString(c.B))
		}
		ew.err = firstErr(ew.err, t.flush())
	}
	ew.printf("\n")
	if len(d.Best) == 0 {
		ew.printf("best scores: neither run has validation scores\n")
		return ew.err
	}
	ew.printf("best scores (B - A; the better run marked *):\n")
	t := newTable(ew, "  DATASET", "CRITERION", "A", "A AT", "B", "B AT", "B - A")
	for _, l := range d.Best {
		dataset := l.Dataset
		if dataset == "" {
			dataset = "(mean)"
		}
		a, b := sideCells(l.A), sideCells(l.B)
		if l.A != nil && l.B != nil && l.HigherIsBetter != nil {
			va, vb := float64(*l.A.Value), float64(*l.B.Value)
			if better(vb, va, *l.HigherIsBetter) {
				b[0] += " *"
			} else if better(va, vb, *l.HigherIsBetter) {
				a[0] += " *"
			}
		}
		t.row("  "+dataset, l.Criterion, a[0], a[1], b[0], b[1], optNum(l.Delta))
	}
	ew.err = firstErr(ew.err, t.flush())
	return ew.err
}

// better reports whether x is strictly better than y.
func better(x, y float64, higher bool) bool {
	if math.IsNaN(x) || math.IsNaN(y) {
		return false
	}
	if higher {
		return x > y
	}
	return x < y
}

// sideCells are a run's value and "iteration / parameters" cells.
func sideCells(s *diffBestSide) [2]string {
	if s == nil {
		return [2]string{"-", "-"}
	}
	return [2]string{optNum(s.Value), strconv.Itoa(s.Iteration) + " " + s.Parameters}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func optString(s *string) string {
	if s == nil {
		return "-"
	}
	return strconv.Quote(*s)
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// errWriter keeps the first write error, so that printing code can write
// on and check once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
