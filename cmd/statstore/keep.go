package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/dacapo"
	"github.com/statstore/statstore/internal/bytesize"
)

// keepFlags are statstore keep's options.
type keepFlags struct {
	opts    statstore.RetentionOptions
	weights string
	apply   bool
	yes     bool
	out     outputFlags
}

func newKeepCmd(app *App) *cobra.Command {
	var f keepFlags
	cmd := &cobra.Command{
		Use:   "keep [RUN...]",
		Short: "Decide which checkpoints to keep and which can go, with reasons",
		Long: `For each run (every run without arguments), the checkpoints to keep and
the ones that can go, each with its reasons: best for some dataset ×
criterion whose store_best is set (every criterion with --all-criteria, or
when no criterion has store_best), best mean over datasets, in the top N
per criterion (--top N), among the last K (--last K, default 1: training
resumes from the latest), not validated yet, or validated only by
superseded entries (validate them again). NaN is never best; ties keep
every tied checkpoint.

Without --weights the checkpoints are the validated iterations. With
--weights DIR (DaCapo's runs_base_dir: DIR/<run>/checkpoints/iterations/
<iteration>, one file per checkpoint) they are the weights files: keep
adds the bytes each decision frees, and names the weights without
validation and the validations without weights.

--apply (with --weights) writes DaCapo's best pointers for the kept bests
(DIR/<run>/checkpoints/<dataset>/<criterion> symlink and
<criterion>.json, as DaCapo's store_best does, plus
<criterion>/<dataset>.json, which DaCapo's retrieve_best reads), then
deletes the weights files that can go. It asks first on a terminal
(--yes to skip the question; required in scripts), never deletes a kept
checkpoint, and reports what it deleted. Without --apply nothing is
changed. An interrupted --apply leaves every file whole; running it again
completes it.`,
		Example: `  statstore keep my_run
  statstore keep --weights /data/dacapo/runs --top 3
  statstore keep my_run --weights /data/dacapo/runs --apply --yes
  statstore keep --json`,
		ValidArgsFunction: completeRuns(app, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.apply && f.weights == "" {
				return usageError{fmt.Errorf("--apply deletes weights files: it needs --weights DIR")}
			}
			ctx := cmd.Context()
			return app.withStore(ctx, readOnly, func(s statstore.StatsStore) error {
				runs, err := keepRuns(ctx, s, args)
				if err != nil {
					return err
				}
				var plans []keepPlan
				for _, run := range runs {
					p, err := planKeep(ctx, s, run, f)
					if err != nil {
						return err
					}
					plans = append(plans, p)
				}
				if f.out.json && !f.apply {
					return writeJSON(app.Stdout, plans)
				}
				if !f.out.json {
					for _, p := range plans {
						if err := p.print(app.Stdout, f.weights != ""); err != nil {
							return err
						}
					}
				}
				if !f.apply {
					if f.weights != "" && !f.out.json {
						fmt.Fprintln(app.Stdout, "dry run: nothing deleted (--apply deletes the files that can go)")
					}
					return nil
				}
				return app.applyKeep(plans, f)
			})
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.opts.AllCriteria, "all-criteria", false, "keep the best of every criterion, not only those whose store_best is set")
	fl.IntVar(&f.opts.Top, "top", 1, "keep the checkpoints whose value ranks among the N best per dataset × criterion")
	fl.IntVar(&f.opts.Last, "last", 1, "keep the K latest checkpoints (0: none for that reason)")
	fl.BoolVar(&f.opts.IncludeSuperseded, "include-superseded", false, "count superseded validations as current")
	fl.StringVar(&f.weights, "weights", "", "DaCapo weights directory (runs_base_dir): DIR/<run>/checkpoints/iterations/<iteration>")
	fl.BoolVar(&f.apply, "apply", false, "write DaCapo's best pointers and delete the weights that can go (asks first)")
	fl.BoolVarP(&f.yes, "yes", "y", false, "with --apply: delete without asking (required when stdin is not a terminal)")
	_ = cmd.MarkFlagDirname("weights")
	f.out.register(cmd)
	return cmd
}

// keepRuns returns the runs named, each checked to exist, or every run.
func keepRuns(ctx context.Context, s statstore.StatsStore, args []string) ([]string, error) {
	infos, err := s.ListRuns(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(infos))
	for i, r := range infos {
		names[i] = r.Run
	}
	if len(args) == 0 {
		return names, nil
	}
	for _, a := range args {
		if err := statstore.ValidateRunName(a); err != nil {
			return nil, err
		}
		if !slices.Contains(names, a) {
			return nil, withRunSuggestions(ctx, s, &userError{
				msg:  fmt.Sprintf("run %q not found in this store", a),
				hint: "statstore runs lists the runs",
				err:  statstore.ErrNotFound,
			}, []string{a})
		}
	}
	return args, nil
}

// keepPlan is one run's retention plan with what keep adds with
// --weights: names in the iterations directory that are not checkpoints,
// and the best pointers --apply writes.
type keepPlan struct {
	statstore.RetentionPlan
	Foreign []string
	Bests   []keepBest
}

// MarshalJSON writes the plan's JSON (statstore.RetentionPlan) with
// "foreign_files" and "bests" added when there are any.
func (p keepPlan) MarshalJSON() ([]byte, error) {
	data, err := json.Marshal(p.RetentionPlan)
	if err != nil || len(p.Foreign) == 0 && len(p.Bests) == 0 {
		return data, err
	}
	extra, err := json.Marshal(struct {
		Foreign []string   `json:"foreign_files,omitempty"`
		Bests   []keepBest `json:"bests,omitempty"`
	}{p.Foreign, p.Bests})
	if err != nil {
		return nil, err
	}
	return append(append(data[:len(data)-1], ','), extra[1:]...), nil
}

type keepBest struct {
	Dataset   string `json:"dataset"`
	Criterion string `json:"criterion"`
	Iteration int    `json:"iteration"`
}

// planKeep reads run's validation scores (and weights) and plans.
func planKeep(ctx context.Context, s statstore.StatsStore, run string, f keepFlags) (keepPlan, error) {
	vs, err := s.RetrieveValidationScores(ctx, run)
	if err != nil {
		return keepPlan{}, err
	}
	var out keepPlan
	var cps []statstore.Checkpoint
	if f.weights != "" {
		ws, foreign, err := dacapo.ReadCheckpoints(f.weights, run)
		if err != nil {
			return keepPlan{}, err
		}
		cps = []statstore.Checkpoint{}
		for _, w := range ws {
			cps = append(cps, statstore.Checkpoint{Iteration: w.Iteration, Bytes: w.Size})
		}
		out.Foreign = foreign
	}
	if out.RetentionPlan, err = statstore.PlanRetention(vs, cps, f.opts); err != nil {
		return keepPlan{}, fmt.Errorf("run %s: %w", run, err)
	}
	out.Run = run
	if f.weights != "" {
		out.Bests = bestPointers(vs, out.RetentionPlan, f.opts.IncludeSuperseded)
	}
	return out, nil
}

// bestPointers are the best pointers to write: for every dataset ×
// criterion the plan counts, the best checkpoint (the earliest of ties, as
// best reports it) when its weights exist.
func bestPointers(vs *statstore.ValidationScores, p statstore.RetentionPlan, superseded bool) []keepBest {
	size := map[int]int64{}
	for _, d := range p.Checkpoints {
		size[d.Iteration] = d.Bytes
	}
	var out []keepBest
	for _, b := range vs.BestReportIncluding(superseded).PerDataset {
		if !b.Found || !slices.Contains(p.Criteria, b.Criterion) {
			continue
		}
		if _, ok := size[b.Iteration]; ok {
			out = append(out, keepBest{Dataset: b.Dataset, Criterion: b.Criterion, Iteration: b.Iteration})
		}
	}
	return out
}

// print writes the plan as a table.
func (p keepPlan) print(w io.Writer, weights bool) error {
	kept, gone := len(p.Kept()), len(p.Prunable())
	head := fmt.Sprintf("run %s: keep %d of %d checkpoints, %d can go", p.Run, kept, kept+gone, gone)
	if p.FreesBytes >= 0 {
		head += fmt.Sprintf(" (frees %s)", bytesize.Format(p.FreesBytes))
	}
	crit := "criteria with store_best: " + strings.Join(p.Criteria, ", ")
	if p.AllCriteria {
		crit = "every criterion"
	}
	fmt.Fprintf(w, "%s; bests by %s\n", head, crit)
	if p.Superseded > 0 {
		fmt.Fprintf(w, "  left out %d superseded validations (--include-superseded counts them)\n", p.Superseded)
	}
	cols := []string{"ITERATION", "DECISION"}
	if weights {
		cols = append(cols, "SIZE")
	}
	t := newTable(w, append(cols, "REASONS")...)
	for _, c := range p.Checkpoints {
		decision := "can go"
		if c.Keep {
			decision = "keep"
		}
		row := []string{strconv.Itoa(c.Iteration), decision}
		if weights {
			row = append(row, bytesize.Format(max(c.Bytes, 0)))
		}
		texts := make([]string, len(c.Reasons))
		for i, r := range c.Reasons {
			texts[i] = r.String()
		}
		if len(texts) == 0 {
			texts = []string{"-"}
		}
		t.row(append(row, strings.Join(texts, "; "))...)
	}
	if err := t.flush(); err != nil {
		return err
	}
	if len(p.ValidatedWithoutWeights) > 0 {
		fmt.Fprintf(w, "  validated but no weights file: %s\n", joinInts(p.ValidatedWithoutWeights))
	}
	if len(p.Foreign) > 0 {
		fmt.Fprintf(w, "  not checkpoints, left alone: %s\n", strings.Join(p.Foreign, ", "))
	}
	_, err := fmt.Fprintln(w)
	return err
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

// keepApplied is what --apply did to one run (JSON with --json).
type keepApplied struct {
	Run          string     `json:"run"`
	BestsWritten []keepBest `json:"bests_written"`
	Deleted      []int      `json:"deleted"`
	FreedBytes   int64      `json:"freed_bytes"`
}

// applyKeep writes the best pointers, then deletes the prunable weights
// files, after asking.
func (a *App) applyKeep(plans []keepPlan, f keepFlags) error {
	n, bytes := 0, int64(0)
	for _, p := range plans {
		n += len(p.Prunable())
		bytes += max(p.FreesBytes, 0)
	}
	if !f.yes {
		ok, err := a.confirmAction(fmt.Sprintf("delete %d weights files (%s) of %d runs?", n, bytesize.Format(bytes), len(plans)),
			"keep asks before it deletes weights, and stdin is not a terminal to answer on: nothing deleted",
			"pass --yes to delete without asking, or leave out --apply to see the plan")
		if err != nil || !ok {
			if err == nil {
				_, err = fmt.Fprintln(a.Stdout, "nothing deleted")
			}
			return err
		}
	}
	var done []keepApplied
	for _, p := range plans {
		r := keepApplied{Run: p.Run, BestsWritten: []keepBest{}, Deleted: []int{}}
		for _, b := range p.Bests {
			if err := dacapo.WriteBest(f.weights, p.Run, b.Dataset, b.Criterion, b.Iteration); err != nil {
				return fmt.Errorf("run %s: %w (nothing of this run deleted)", p.Run, err)
			}
			r.BestsWritten = append(r.BestsWritten, b)
		}
		for _, c := range p.Checkpoints {
			if c.Keep {
				continue
			}
			if err := dacapo.RemoveCheckpoint(f.weights, p.Run, c.Iteration); err != nil {
				return fmt.Errorf("run %s: %w", p.Run, err)
			}
			r.Deleted = append(r.Deleted, c.Iteration)
			r.FreedBytes += max(c.Bytes, 0)
		}
		if !f.out.json {
			fmt.Fprintf(a.Stdout, "run %s: wrote %d best pointers, deleted %d weights files (%s): %s\n",
				p.Run, len(r.BestsWritten), len(r.Deleted), bytesize.Format(r.FreedBytes), orNone(joinInts(r.Deleted)))
		}
		done = append(done, r)
	}
	if f.out.json {
		return writeJSON(a.Stdout, done)
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
