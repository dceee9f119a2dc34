package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
)

// selectFlags are best's --select-on and --held-out.
type selectFlags struct {
	on      string
	heldOut []string
}

func (f *selectFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.on, "select-on", "", "choose one checkpoint and parameter set by one criterion on one dataset (dataset=D,criterion=C) and report every criterion on every dataset at that choice, with the gap to its own best")
	cmd.Flags().StringSliceVar(&f.heldOut, "held-out", nil, "with --select-on: datasets held out from the choice (marked; their gap is what choosing on the other dataset costs there)")
}

// parseSelectOn reads --select-on's dataset=D,criterion=C.
func parseSelectOn(s string) (dataset, criterion string, err error) {
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		switch {
		case !ok || v == "":
			return "", "", usageError{fmt.Errorf("--select-on %q: want dataset=D,criterion=C", s)}
		case k == "dataset":
			dataset = v
		case k == "criterion":
			criterion = v
		default:
			return "", "", usageError{fmt.Errorf("--select-on %q: unknown key %q, want dataset=D,criterion=C", s, k)}
		}
	}
	if dataset == "" || criterion == "" {
		return "", "", usageError{fmt.Errorf("--select-on %q: want both dataset=D and criterion=C", s)}
	}
	return dataset, criterion, nil
}

// runSelect answers best --select-on.
func (f selectFlags) run(ctx context.Context, app *App, s statstore.StatsStore, run string, includeSuperseded, asJSON bool) error {
	dataset, criterion, err := parseSelectOn(f.on)
	if err != nil {
		return err
	}
	vs, err := retrieveValidation(ctx, s, run)
	if err != nil {
		return err
	}
	sel, err := vs.Select(statstore.SelectOn{Dataset: dataset, Criterion: criterion, HeldOut: f.heldOut, IncludeSuperseded: includeSuperseded})
	if err != nil {
		return err
	}
	supersededNote(app.Stderr, run, sel.Superseded)
	if asJSON {
		return writeJSON(app.Stdout, sel)
	}
	return printSelection(app.Stdout, run, sel)
}

func printSelection(w io.Writer, run string, sel statstore.Selection) error {
	fmt.Fprintf(w, "run %s: chosen on %s of %s: checkpoint %d with %s (%s)\n", run, sel.On.Criterion, sel.On.Dataset, sel.Iteration, sel.Parameters, num(sel.Value))
	t := newTable(w, "DATASET", "CRITERION", "BETTER", "AT_CHOICE", "OWN_BEST", "AT", "GAP")
	for _, l := range sel.Lines {
		ds := l.Dataset
		if l.HeldOut {
			ds += " (held out)"
		}
		at := "-"
		if l.Best.Found {
			at = strconv.Itoa(l.Best.Iteration) + " " + l.Best.Parameters
		}
		t.row(ds, l.Criterion, direction(l.HigherIsBetter), num(l.Value), num(l.Best.Value), at, num(l.Gap))
	}
	return t.flush()
}

// withSelectOn adds --select-on and --held-out to the best command: with
// --select-on, best answers one consistent choice instead of the report.
func withSelectOn(app *App, cmd *cobra.Command, filter *bestFilter, out *outputFlags) {
	var sel selectFlags
	sel.register(cmd)
	report := cmd.RunE
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if sel.on == "" {
			if len(sel.heldOut) > 0 {
				return usageError{fmt.Errorf("--held-out goes with --select-on dataset=D,criterion=C")}
			}
			return report(c, args)
		}
		if len(filter.criteria) > 0 || filter.dataset != "" || filter.parameters != "" {
			return usageError{fmt.Errorf("--select-on reports every dataset and criterion at its choice: drop --criterion, --dataset and --parameter-set")}
		}
		return app.withStore(c.Context(), readOnly, func(s statstore.StatsStore) error {
			return sel.run(c.Context(), app, s, args[0], filter.includeSuperseded, out.json)
		})
	}
	cmd.Example += `
  statstore best demo_unet --select-on dataset=crop_a,criterion=f1_score --held-out crop_b`
}
