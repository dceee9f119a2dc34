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
	logScale      bool
	// includeSuperseded keeps validations of overwritten checkpoints.
	includeSuperseded bool
}

func newPlotCmd(app *App) *cobra.Command {
	var o plotOptions
	cmd := &cobra.Command{
		Use:   "plot RUN... -o FILE.png|FILE.svg",
		Short: "Plot loss curves and, per dataset, a validation criterion against iteration",
		Long: `Plot the training loss of one or more runs and, with --criterion, one panel
per validation dataset showing that criterion against the iteration: one
line per run and parameter set, or per run the best over parameter sets
(--best-over-parameters).

The loss is read as two subsamples of --points points each (first and last
always included), so a run of millions of iterations plots in one read of
its history: the lowest and highest loss of each stretch (min/max), drawn
faintly so that no spike is hidden and the y axis covers the whole range of
the raw loss, and evenly spaced entries (stride), drawn as a moving average
whose window grows with the number of points as DaCapo's plot does: 1% of
the points (n/100, at least 1; DaCapo's n/2500 is for the whole history,
not a subsample) unless --smooth sets it.

NaN and infinite losses are flagged as the dashboard flags them: NaN (red)
and +Inf (purple) at the top of the panel, -Inf (purple) at the bottom, over
the iterations they cover, every one of the run's, also those between the
plotted points. NaN scores are flagged the same way in criterion panels.
--log-scale draws the loss on a log axis; a run with a loss <= 0 is refused.`,
		Example: `  statstore plot demo_unet -o loss.png
  statstore plot demo_unet other_run --criterion f1_score -o f1.svg
  statstore plot demo_unet --criterion voi --best-over-parameters -o voi.png --width 1600 --height 1200
  statstore plot demo_unet --log-scale -o loss.svg`,
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
	f.IntVar(&o.smooth, "smooth", 0, "moving-average window in points (0 = automatic: 1% of the points, 1 = none)")
	f.BoolVar(&o.logScale, "log-scale", false, "draw the loss on a log axis (every loss must be > 0)")
	registerIncludeSuperseded(cmd, &o.includeSuperseded)
	_ = cmd.MarkFlagFilename("output", "png", "svg")
	return cmd
}

// buildFigure reads what to draw: a loss panel when any run has training
// stats, and with a criterion one panel per dataset.
func buildFigure(ctx context.Context, s statstore.StatsStore, runs []string, o plotOptions) (cliplot.Figure, error) {
	fig := cliplot.Figure{ShareX: true}
	loss := cliplot.Panel{Title: "training loss", XLabel: "iteration", YLabel: "loss", LogY: o.logScale}
	if o.logScale {
		loss.YLabel = "loss (log scale)"
	}
	windows := map[int]bool{}
	for i, run := range runs {
		if err := statstore.ValidateRunName(run); err != nil {
			return fig, err
		}
		c, err := readLossCurve(ctx, s, run, o)
		if err != nil {
			return fig, err
		}
		if c == nil {
			continue
		}
		windows[c.window] = true
		loss.Series = append(loss.Series, cliplot.Series{X: c.envX, Y: c.envY, Color: i, Faint: true})
		loss.Series = append(loss.Series, cliplot.Series{Name: run, X: c.x, Y: c.y, Color: i})
		loss.Flags = append(loss.Flags, c.flags...)
	}
	if len(windows) == 1 {
		for w := range windows {
			if w > 1 {
				loss.Title = fmt.Sprintf("training loss (moving average over %d points; faint: min/max of the raw loss)", w)
			} else {
				loss.Title = "training loss (faint: min/max of the raw loss)"
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
		if o.bestOverParam {
			if err := vs.CheckDirections(crit.Name); err != nil {
				return nil, unknownDirectionError(s, run, vs.Metadata, err)
			}
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
				dir := crit.Direction() + " is better"
				if crit.DirectionUnknown {
					dir = "direction unknown"
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

// lossCurve is what the loss panel draws of one run.
type lossCurve struct {
	envX, envY []float64 // the min/max subsample: the raw loss's range, spikes kept
	x, y       []float64 // the stride subsample, smoothed over window points
	window     int
	flags      []cliplot.Flag // every non-finite loss of the run
}

// readLossCurve reads run's loss for the plot, or nil when it has none: the
// min/max subsample with the run's non-finite losses (one read of the
// history, statstore.SubsampleTrainingReport) and the stride subsample
// (one seek per point), smoothed.
func readLossCurve(ctx context.Context, s statstore.StatsStore, run string, o plotOptions) (*lossCurve, error) {
	rep, err := statstore.SubsampleTrainingReport(ctx, s, run, statstore.SubsampleOptions{MaxPoints: o.points, Mode: statstore.SubsampleMinMax})
	if err != nil {
		return nil, err
	}
	if len(rep.Points) == 0 {
		return nil, nil
	}
	if o.logScale {
		if err := checkLogScale(run, rep.Points); err != nil {
			return nil, err
		}
	}
	stride, err := s.SubsampleTraining(ctx, run, statstore.SubsampleOptions{MaxPoints: o.points})
	if err != nil {
		return nil, err
	}
	c := &lossCurve{window: o.smooth}
	c.envX, c.envY = lossXY(rep.Points)
	c.x, c.y = lossXY(stride)
	if c.window == 0 {
		c.window = cliplot.SmoothingWindow(len(stride))
	}
	if c.window > 1 {
		c.y = statstore.MovingAverage(c.y, c.window)
	}
	for _, f := range rep.NonFinite {
		c.flags = append(c.flags, cliplot.Flag{From: float64(f.From), To: float64(f.To), Value: f.Loss, Count: f.Count})
	}
	return c, nil
}

// checkLogScale refuses a loss <= 0 on a log axis, naming the run's lowest
// loss. pts is the min/max subsample, which holds the run's lowest finite
// loss.
func checkLogScale(run string, pts []statstore.TrainingIterationStats) error {
	low := -1
	for i, p := range pts {
		if !math.IsNaN(p.Loss) && !math.IsInf(p.Loss, 0) && p.Loss <= 0 {
			if low < 0 || p.Loss < pts[low].Loss {
				low = i
			}
		}
	}
	if low < 0 {
		return nil
	}
	return &userError{
		msg:  fmt.Sprintf("--log-scale: run %q has losses <= 0 (the lowest is %g, at iteration %d); a log axis shows only values > 0", run, pts[low].Loss, pts[low].Iteration),
		hint: "plot without --log-scale",
		code: exitUsage,
		err:  statstore.ErrInvalidArgument,
	}
}

// lossXY returns the iterations and losses of pts.
func lossXY(pts []statstore.TrainingIterationStats) (xs, ys []float64) {
	xs, ys = make([]float64, len(pts)), make([]float64, len(pts))
	for i, p := range pts {
		xs[i], ys[i] = float64(p.Iteration), p.Loss
	}
	return xs, ys
}

func criterionIndex(m statstore.Metadata, name string) int {
	for i, c := range m.EvaluationScores {
		if c.Name == name {
			return i
		}
	}
	return -1
}
