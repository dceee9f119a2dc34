package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
)

// putResult is what statstore put reports.
type putResult struct {
	Run    string `json:"run"`
	What   string `json:"what"`
	Action string `json:"action"` // nothing, append or replace (training); nothing or merge (validation)
	// Entries is how many entries were appended, written in place of the
	// stored ones, or (validation) inserted or replaced.
	Entries   int  `json:"entries"`
	Overwrite bool `json:"overwrite"`
	// Merge is what a validation put did, iteration by iteration.
	Merge       *statstore.ValidationMerge `json:"merge,omitempty"`
	UntilBefore int                        `json:"until_before"`
	UntilAfter  int                        `json:"until_after"`
	// ReadBackError is set when the write was committed but reading the
	// run back afterwards failed: UntilAfter is then what the write gives,
	// computed from the plan, not read from the store.
	ReadBackError string `json:"read_back_error,omitempty"`
}

func newPutCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "put",
		Short: "Write training stats or validation scores read from stdin (JSON Lines)",
		Long: `Write stats from any language: read DaCapo-shaped JSON documents, one per
line, from stdin, and store them with exactly one store call, which extends
or overwrites what is stored:

  training:   nothing stored -> store all; ahead of the store -> append the
              iterations >= the stored trained-until; behind or equal
              (resumed from an earlier checkpoint) -> replace, with a warning.
  validation: reaching further than (or as far as) the store -> append the
              new iterations (and checkpoints validated late); stopping
              short of the store -> replace, with a warning.

NaN, Infinity and -Infinity are accepted as Python writes them (bare) and
as strings. Bad input is rejected with the line numbers, and nothing is
stored.

Exit status 0 means the data are stored. If reading the run back for the
report fails after the write was committed, put still exits 0 and prints a
warning (JSON output: read_back_error); the reported trained/validated-until
is then computed from what was written.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageError{fmt.Errorf("put needs a subcommand: training or validation")}
		},
	}
	cmd.AddCommand(newPutTrainingCmd(app), newPutValidationCmd(app))
	return cmd
}

func newPutTrainingCmd(app *App) *cobra.Command {
	var out outputFlags
	cmd := &cobra.Command{
		Use:   "training RUN",
		Short: "Store training stats read from stdin, one JSON document per line",
		Long: `Store training stats read from stdin, one DaCapo training document per line:

  {"iteration": 0, "loss": 0.71, "time": 0.12, "run_name": "my_run"}

run_name is optional and must match RUN when given. Iterations must be
strictly increasing (gaps allowed).`,
		Example: `  python train.py --log-jsonl | statstore put training my_run
  printf '{"iteration": 0, "loss": NaN, "time": 0.1}\n' | statstore put training my_run`,
		Args:              usageArgs(cobra.ExactArgs(1)),
		ValidArgsFunction: completeRuns(app, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			run := args[0]
			if err := statstore.ValidateRunName(run); err != nil {
				return err
			}
			app.log().Debug("reading stdin", "what", "training stats", "run", run)
			stats, err := parseTrainingInput(app.input(cmd.Context()), "stdin", run)
			if err != nil {
				return err
			}
			return storePut(cmd.Context(), app, out, run, stats, putTraining)
		},
	}
	out.register(cmd)
	return cmd
}

func newPutValidationCmd(app *App) *cobra.Command {
	var out outputFlags
	cmd := &cobra.Command{
		Use:   "validation RUN --meta FILE",
		Short: "Store validation scores read from stdin, one JSON document per line",
		Long: `Store validation scores read from stdin, one DaCapo validation document per
line:

  {"iteration": 1000, "scores": [[[0.8, 0.2], [0.85, 0.18]]], "run_name": "my_run"}

scores nests [dataset][parameter set][criterion] with the sizes of the
metadata, given by --meta FILE:

  {"datasets": ["crop_a"],
   "parameters": [{"id": 0, "name": "threshold_0.5", "values": {"threshold": 0.5}}],
   "criteria": "binary_segmentation"}

("criteria" is a preset name or a list of {"name", "higher_is_better",
"bounds": [lo, hi], "store_best"}), or by --preset, --datasets and
--parameters. run_name is optional and must match RUN when given.`,
		Example: `  statstore put validation my_run --meta meta.json < scores.jsonl
  statstore put validation my_run --preset dummy --datasets a --parameters threshold=0.5 < scores.jsonl`,
		Args:              usageArgs(cobra.ExactArgs(1)),
		ValidArgsFunction: completeRuns(app, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			run := args[0]
			if err := statstore.ValidateRunName(run); err != nil {
				return err
			}
			meta, err := app.metadataFromFlags()
			if err != nil {
				return err
			}
			app.log().Debug("reading stdin", "what", "validation scores", "run", run)
			scores, err := parseValidationInput(app.input(cmd.Context()), "stdin", run, meta)
			if err != nil {
				return err
			}
			return storePut(cmd.Context(), app, out, run, scores, putValidation)
		},
	}
	out.register(cmd)
	return cmd
}

// storePut opens the store for writing, stores data with put and prints
// what it did.
func storePut[T any](ctx context.Context, app *App, out outputFlags, run string, data T,
	put func(context.Context, statstore.StatsStore, string, T) (putResult, error)) error {
	return app.withStore(ctx, readWrite, func(s statstore.StatsStore) error {
		res, err := put(ctx, s, run, data)
		if err != nil {
			return err
		}
		return app.printPut(out, res)
	})
}

// putTraining stores stats with one StoreTrainingStats call and reports
// what the extend-or-overwrite rule did.
func putTraining(ctx context.Context, s statstore.StatsStore, run string, stats *statstore.TrainingStats) (putResult, error) {
	before, err := trainedUntil(ctx, s, run)
	if err != nil {
		return putResult{}, err
	}
	plan, err := statstore.PlanTraining(before, stats)
	if err != nil {
		return putResult{}, err
	}
	if err := s.StoreTrainingStats(ctx, run, stats); err != nil {
		return putResult{}, err
	}
	res := putResult{Run: run, What: "training", Action: plan.Action.String(), Entries: len(plan.Entries),
		Overwrite: plan.Overwrite, UntilBefore: before}
	// The write is committed: from here on, a failure is not the
	// command's failure (see readBackFailed).
	after, err := trainedUntil(ctx, s, run)
	if err != nil {
		res.UntilAfter = before
		if n := len(plan.Entries); n > 0 {
			res.UntilAfter = plan.Entries[n-1].Iteration + 1
			if plan.Action == statstore.WriteAppend {
				res.UntilAfter = max(before, res.UntilAfter)
			}
		}
		return readBackFailed(res, err), nil
	}
	res.UntilAfter = after
	return res, nil
}

// readBackFailed records in res that reading the run back after a
// committed write failed. put then still reports the write as done and
// exits 0: the data are stored, and a script that took a failure for
// "nothing stored" and sent them again would make the store log an
// overwrite. The read's error is printed as a warning (and is in the JSON
// output as read_back_error).
func readBackFailed(res putResult, err error) putResult {
	res.ReadBackError = err.Error()
	return res
}

// putValidation merges scores with one MergeValidationScores call and
// reports what the merge did.
func putValidation(ctx context.Context, s statstore.StatsStore, run string, scores *statstore.ValidationScores) (putResult, error) {
	stored, err := s.RetrieveValidationScores(ctx, run)
	if err != nil {
		return putResult{}, err
	}
	merge, err := s.MergeValidationScores(ctx, run, scores)
	if err != nil {
		return putResult{}, err
	}
	res := putResult{Run: run, What: "validation", Action: "nothing", Entries: len(merge.Inserted) + len(merge.Replaced),
		Merge: &merge, UntilBefore: stored.ValidatedUntil()}
	if merge.Changed() {
		res.Action = "merge"
	}
	after, err := s.RetrieveValidationScores(ctx, run)
	if err != nil {
		res.UntilAfter = res.UntilBefore
		for _, it := range merge.Inserted {
			res.UntilAfter = max(res.UntilAfter, it+1)
		}
		return readBackFailed(res, err), nil
	}
	res.UntilAfter = after.ValidatedUntil()
	return res, nil
}

// trainedUntil returns the run's stored trained-until without reading its
// whole history.
func trainedUntil(ctx context.Context, s statstore.StatsStore, run string) (int, error) {
	pts, err := s.SubsampleTraining(ctx, run, statstore.SubsampleOptions{MaxPoints: 2})
	if err != nil || len(pts) == 0 {
		return 0, err
	}
	return pts[len(pts)-1].Iteration + 1, nil
}

func (a *App) printPut(out outputFlags, r putResult) error {
	if r.ReadBackError != "" {
		fmt.Fprintf(a.Stderr, "statstore: warning: the %s entries of %s were stored, but reading the run back afterwards failed: %s\n", r.What, r.Run, r.ReadBackError)
	}
	if out.json {
		return writeJSON(a.Stdout, r)
	}
	until := "trained until"
	if r.What == "validation" {
		until = "validated until"
	}
	var msg string
	switch r.Action {
	case "nothing":
		msg = fmt.Sprintf("%s %s: nothing new to store (%s %d)", r.Run, r.What, until, r.UntilAfter)
	case "append":
		msg = fmt.Sprintf("%s %s: appended %d entries; %s %d (was %d)", r.Run, r.What, r.Entries, until, r.UntilAfter, r.UntilBefore)
	case "merge":
		msg = fmt.Sprintf("%s %s: merged by iteration: %s; %s %d (was %d)", r.Run, r.What, r.Merge, until, r.UntilAfter, r.UntilBefore)
		if len(r.Merge.Replaced) > 0 {
			msg += fmt.Sprintf("; re-validated iterations %v replace their stored scores", r.Merge.Replaced)
		}
	default:
		msg = fmt.Sprintf("%s %s: stored %d entries; %s %d", r.Run, r.What, r.Entries, until, r.UntilAfter)
		if r.Overwrite {
			msg = fmt.Sprintf("%s %s: REPLACED the stored entries (%s %d) with %d entries (resumed from an earlier checkpoint); %s %d",
				r.Run, r.What, until, r.UntilBefore, r.Entries, until, r.UntilAfter)
		}
	}
	if r.ReadBackError != "" {
		msg += " (computed from what was written: reading the run back failed)"
	}
	_, err := io.WriteString(a.Stdout, msg+"\n")
	return err
}
