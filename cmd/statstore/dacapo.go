package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/dacapo"
)

func newDaCapoCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dacapo",
		Short: "Work with a DaCapo stats directory in place",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageError{fmt.Errorf("dacapo needs a subcommand: statstore dacapo describe DIR --preset NAME")}
		},
	}
	cmd.AddCommand(newDaCapoDescribeCmd(app))
	return cmd
}

func newDaCapoDescribeCmd(app *App) *cobra.Command {
	var (
		force bool
		runs  []string
	)
	cmd := &cobra.Command{
		Use:   "describe DIR",
		Short: "Name a DaCapo directory's criteria, datasets and parameter sets once",
		Long: `DaCapo stores no names for the axes of its validation scores, nor which
criteria are better higher and which lower. Describe a DaCapo stats
directory once, and every later command reading it (--store DIR, import
dacapo DIR, serve) uses the description without flags:

  DIR/` + dacapo.DescriptionFile + `   {"datasets": [...], "parameters": [...], "criteria": "PRESET" or [...],
                            "runs": {"RUN": {...}}}

the shape of a --meta file. Without --run, the description is the
directory's: --preset (or --meta FILE) is required, --datasets and
--parameters are optional. Runs of one directory often differ (other
validation crops, other thresholds): --run RUN (repeat or comma-separate)
describes those runs only, axis by axis over the directory's description.
The description is checked against the runs' scores first. DaCapo's own
files (training_stats/, validation_scores/) are never written. What the
file already says is replaced only with --force. Flags given to a later
command override the description, with a warning.

Without a description or flags, criteria are inferred from their count
when it is unambiguous (21: binary_segmentation, 3: instance, 2: dummy),
and best reports say so; otherwise best reports are refused.`,
		Example: `  statstore dacapo describe /data/dacapo/stats --preset binary_segmentation \
      --datasets crop_a,crop_b --parameters threshold=0.3,0.5,0.7
  statstore dacapo describe /data/dacapo/stats --run er_run2 --datasets crop_c --parameters threshold=0.3,0.5
  statstore dacapo describe /data/dacapo/stats --meta meta.json --force`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			d, err := app.descriptionFromFlags(len(runs) > 0)
			if err != nil {
				return err
			}
			switch classify(dir) {
			case kindDaCapo:
			case kindMixed:
				return mixedError(dir)
			default:
				return &userError{
					msg:  fmt.Sprintf("%s is not a DaCapo stats directory (want training_stats/ and validation_scores/ holding pickle files)", dir),
					hint: "point at the stats directory DaCapo wrote, e.g. <runs_base_dir>/stats",
					code: exitUsage,
				}
			}
			path, err := dacapo.Describe(cmd.Context(), dir, d, dacapo.DescribeOptions{Runs: runs, Force: force, Logger: app.log()})
			if errors.Is(err, dacapo.ErrExists) {
				return &userError{
					msg:  err.Error(),
					hint: fmt.Sprintf("pass --force to replace it (it is statstore's file, not DaCapo's); see what it says with cat %s", filepath.Join(dir, dacapo.DescriptionFile)),
					err:  err,
				}
			}
			if err != nil {
				return err
			}
			what := dir
			if len(runs) > 0 {
				what = fmt.Sprintf("run(s) %s of %s", strings.Join(runs, ", "), dir)
			}
			fmt.Fprintf(app.Stdout, "described %s in %s: %s\nlater commands read it without flags, e.g. statstore --store %s best RUN\n",
				what, path, describeSummary(d), dir)
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace what the description already says")
	cmd.Flags().StringSliceVar(&runs, "run", nil, "describe only these runs (repeat or comma-separate; default the whole directory)")
	return cmd
}

// descriptionFromFlags returns the description the DaCapo flags give:
// --meta FILE, or --preset with optional --datasets and --parameters; for
// single runs (perRun), any of --preset, --datasets and --parameters.
func (a *App) descriptionFromFlags(perRun bool) (dacapo.Description, error) {
	g := a.global
	if g.meta != "" {
		if g.preset != "" || len(g.datasets) > 0 || g.parameters != "" {
			return dacapo.Description{}, usageError{fmt.Errorf("--meta FILE describes everything: drop --preset, --datasets and --parameters")}
		}
		m, err := readMetadataFile(g.meta)
		if err != nil {
			return dacapo.Description{}, err
		}
		return dacapo.Description{Criteria: m.EvaluationScores, Datasets: m.Datasets, Parameters: m.Parameters}, nil
	}
	switch {
	case perRun && g.preset == "" && len(g.datasets) == 0 && g.parameters == "":
		return dacapo.Description{}, usageError{fmt.Errorf("describe --run needs what to say of the runs: --preset NAME, --datasets A,B, --parameters SPEC or --meta FILE")}
	case !perRun && g.preset == "":
		return dacapo.Description{}, usageError{fmt.Errorf("describe needs the criteria: --preset NAME (%s) or --meta FILE (or --run RUN to describe single runs)", presetList())}
	case g.preset != "":
		if _, err := statstore.Preset(g.preset); err != nil {
			return dacapo.Description{}, usageError{fmt.Errorf("--preset: %w", err)}
		}
	}
	d := dacapo.Description{Preset: g.preset}
	for _, ds := range g.datasets {
		d.Datasets = append(d.Datasets, strings.TrimSpace(ds))
	}
	if g.parameters != "" {
		p, err := dacapo.ParseParameters(g.parameters)
		if err != nil {
			return dacapo.Description{}, usageError{fmt.Errorf("--parameters %q: %w", g.parameters, err)}
		}
		d.Parameters = p
	}
	return d, nil
}

// describeSummary says in a line what d names.
func describeSummary(d dacapo.Description) string {
	var parts []string
	switch {
	case d.Preset != "":
		parts = append(parts, "criteria "+d.Preset)
	case len(d.Criteria) > 0:
		parts = append(parts, fmt.Sprintf("%d criteria", len(d.Criteria)))
	}
	if len(d.Datasets) > 0 {
		parts = append(parts, "datasets "+strings.Join(d.Datasets, ", "))
	}
	if len(d.Parameters) > 0 {
		parts = append(parts, "parameter sets "+strings.Join((statstore.Metadata{Parameters: d.Parameters}).ParameterDisplayNames(), ", "))
	}
	return strings.Join(parts, "; ")
}
