package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/cliplot"
)

// plotOptions are the flags of statstore plot.
type plotOptions struct {
	output        string
	criterion     string
	bestOverParam bool
	width, height int
	points        int
	smooth        int
	// includeSuperseded keeps validations of overwritten checkpoints.
	includeSuperseded bool
}

func newPlotCmd(app *App) *cobra.Command {
	var o plotOptions
	cmd := &cobra.Command{
		Use:   "plot RUN... -o FILE.png|FILE.svg",
		Short: "Plot loss curves and, per dataset, a validation criterion against iteration",
		Long: `Plot the training loss of one or more runs (a moving average, with the raw
curve faint behind it) and, with --criterion, one panel per validation
dataset showing that criterion against the iteration: one line per run and
parameter set, or per run the best over parameter sets
(--best-over-parameters). NaN losses and scores are marked with red crosses.

Long histories are read as a subsample of --points points (first and last
always included), so plotting a run of millions of iterations is fast. The
moving-average window is chosen from the number of points as DaCapo's plot
does (n/2500, at least 1) unless --smooth sets it.`,
		Example: `  statstore plot demo_unet -o loss.png
  statstore plot demo_unet other_run --criterion f1_score -o f1.svg
  statstore plot demo_unet --criterion voi --best-over-parameters -o voi.png --width 1600 --height 1200`,
		Args:              usageArgs(cobra.MinimumNArgs(1)),
		ValidArgsFunction: completeRuns(app, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.output == "" {
				return usageError{errors.New("plot needs an output file: -o FILE.png or -o FILE.svg")}
			}
			format, err := cliplot.FormatOfPath(o.output)
			if err != nil {
				return usageError{err}
			}
			if o.width < cliplot.MinSize || o.width > cliplot.MaxSize || o.height < 0 || (o.height > 0 && o.height < cliplot.MinSize) || o.height > cliplot.MaxSize {
				return usageError{fmt.Errorf("--width %d --height %d: want pixels between %d and %d (height 0 = automatic)", o.width, o.height, cliplot.MinSize, cliplot.MaxSize)}
			}
			if o.points < 2 || o.points > statstore.MaxMaxPoints {
				return usageError{fmt.Errorf("--points %d: want between 2 and %d", o.points, statstore.MaxMaxPoints)}
			}
			if o.smooth < 0 {
				return usageError{fmt.Errorf("--smooth %d: want a window of at least 1 point (0 = automatic)", o.smooth)}
			}
			return app.withStore(cmd.Context(), readOnly, func(s statstore.StatsStore) error {
				fig, err := buildFigure(cmd.Context(), s, args, o)
				if err != nil {
					return err
				}
				h := o.height
				if h == 0 {
					h = 350 * len(fig.Panels)
					h = min(max(h, 400), cliplot.MaxSize)
				}
				if err := writeOutput(app.Stdout, o.output, func(w io.Writer) error {
					return cliplot.Render(w, format, fig, o.width, h)
				}); err != nil {
					return err
				}
				fmt.Fprintf(app.Stdout, "wrote %s (%d×%d pixels, %d panels)\n", o.output, o.width, h, len(fig.Panels))
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "", "image to write: a .png or .svg file (required)")
	f.StringVar(&o.criterion, "criterion", "", "also plot this validation criterion, one panel per dataset")
	f.BoolVar(&o.bestOverParam, "best-over-parameters", false, "with --criterion, plot per run the best over parameter sets instead of every set")
	f.IntVar(&o.width, "width", 1000, "image width in pixels")
	f.IntVar(&o.height, "height", 0, "image height in pixels (0 = 350 per panel, at least 400)")
	f.IntVar(&o.points, "points", 5000, "at most this many loss points per run")
	f.IntVar(&o.smooth, "smooth", 0, "moving-average window in points (0 = automatic, 1 = none)")
	registerIncludeSuperseded(cmd, &o.includeSuperseded)
	_ = cmd.MarkFlagFilename("output", "png", "svg")
	return cmd
}

// buildFigure reads what to draw: a loss panel when any run has training
// stats, and with a criterion one panel per dataset.
func buildFigure(ctx context.Context, s statstore.StatsStore, runs []string, o plotOptions) (cliplot.Figure, error) {
	fig := cliplot.Figure{ShareX: true}
	loss := cliplot.Panel{Title: "training loss", XLabel: "iteration", YLabel: "loss"}
	windows := map[int]bool{}
	for i, run := range runs {
		if err := statstore.ValidateRunName(run); err != nil {
			return fig, err
		}
		pts, err := s.SubsampleTraining(ctx, run, statstore.SubsampleOptions{MaxPoints: o.points})
		if err != nil {
			return fig, err
		}
		if len(pts) == 0 {
			continue
		}
		xs, ys := make([]float64, len(pts)), make([]float64, len(pts))
		for j, p := range pts {
			xs[j], ys[j] = float64(p.Iteration), p.Loss
		}
		window := o.smooth
		if window == 0 {
			window = statstore.SmoothingWindow(len(pts))
		}
		windows[window] = true
		if window > 1 {
			loss.Series = append(loss.Series, cliplot.Series{X: xs, Y: ys, Color: i, Faint: true})
			loss.Series = append(loss.Series, cliplot.Series{Name: run, X: xs, Y: statstore.MovingAverage(ys, window), Color: i})
		} else {
			loss.Series = append(loss.Series, cliplot.Series{Name: run, X: xs, Y: ys, Color: i})
		}
	}
	if len(windows) == 1 {
		for w := range windows {
			if w > 1 {
				loss.Title = fmt.Sprintf("training loss (moving average over %d points)", w)
			}
		}
	}
	if len(loss.Series) > 0 {
		fig.Panels = append(fig.Panels, loss)
	}
	if o.criterion != "" {
		panels, err := criterionPanels(ctx, s, runs, o)
		if err != nil {
			return fig, err
		}
		fig.Panels = append(fig.Panels, panels...)
	}
	if len(fig.Panels) == 0 {
		return fig, &userError{
			msg:  fmt.Sprintf("nothing to plot: %v have no training stats", runs),
			hint: "check the run names with statstore runs, or plot validation scores with --criterion NAME",
			err:  statstore.ErrNotFound,
		}
	}
	return fig, nil
}

// criterionPanels makes one panel per dataset (in order of first
// appearance across runs) of the criterion against the iteration.
func criterionPanels(ctx context.Context, s statstore.StatsStore, runs []string, o plotOptions) ([]cliplot.Panel, error) {
	var panels []cliplot.Panel
	index := map[string]int{}
	color := 0
	for ri, run := range runs {
		vs, err := retrieveValidation(ctx, s, run)
		if err != nil {
			return nil, err
		}
		if !o.includeSuperseded {
			vs, _ = vs.Current()
		}
		crit, ok := vs.Criterion(o.criterion)
		if !ok {
			return nil, notIn("criterion", o.criterion, run, vs.Criteria())
		}
		c := criterionIndex(vs.Metadata, o.criterion)
		xs := make([]float64, vs.Len())
		for i, e := range vs.Scores {
			xs[i] = float64(e.Iteration)
		}
		for d, ds := range vs.Datasets {
			pi, ok := index[ds]
			if !ok {
				pi = len(panels)
				index[ds] = pi
				dir := "lower is better"
				if crit.HigherIsBetter {
					dir = "higher is better"
				}
				panels = append(panels, cliplot.Panel{Title: fmt.Sprintf("%s: %s (%s)", ds, o.criterion, dir), XLabel: "iteration", YLabel: o.criterion,
					LegendBottom: crit.HigherIsBetter})
			}
			name := func(p string) string {
				if len(runs) > 1 {
					return run + " " + p
				}
				return p
			}
			if o.bestOverParam {
				ys := make([]float64, vs.Len())
				for i, e := range vs.Scores {
					ys[i] = math.NaN()
					for p := range e.Scores[d] {
						if v := e.Scores[d][p][c]; crit.Better(v, ys[i]) {
							ys[i] = v
						}
					}
				}
				panels[pi].Series = append(panels[pi].Series, cliplot.Series{Name: name("best over parameters"), X: xs, Y: ys, Color: ri})
				continue
			}
			for p, par := range vs.ParameterDisplayNames() {
				ys := make([]float64, vs.Len())
				for i, e := range vs.Scores {
					ys[i] = e.Scores[d][p][c]
				}
				panels[pi].Series = append(panels[pi].Series, cliplot.Series{Name: name(par), X: xs, Y: ys, Color: color + p, Dash: ri})
			}
		}
		color += len(vs.Parameters)
	}
	return panels, nil
}

func criterionIndex(m statstore.Metadata, name string) int {
	for i, c := range m.EvaluationScores {
		if c.Name == name {
			return i
		}
	}
	return -1
}
