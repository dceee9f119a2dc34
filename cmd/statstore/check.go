package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
)

// check's exit statuses: a warning is exitError; a failure shares its
// number with exitUsage, as cluster scripts expect 0, 1 and 2.
const exitFailing = 2

func newCheckCmd(app *App) *cobra.Command {
	var (
		opts statstore.HealthOptions
		out  outputFlags
	)
	cmd := &cobra.Command{
		Use:   "check [RUN...]",
		Short: "Check runs for NaN losses, divergence, lagging validation and plateaus",
		Long: `Check each run (every run without arguments) for what makes it sick:

  non_finite_loss  a NaN or ±Inf loss: its onset (a failure when the latest
                   loss is not finite, else a warning)
  diverging        the median loss of the last --window iterations is above
                   --factor times the lowest median of the windows before
                   them (failure)
  validation_lag   training ran more than --lag checkpoints (--every
                   iterations apart; default the validated spacing) past
                   the last validated checkpoint (warning)
  plateau          no criterion improved its best over the last --plateau
                   validations (warning)
  stalled          the run was not written for longer than --stale
                   (warning; off by default, as a finished run is never
                   written again: give --stale 2h to find runs that hang)

A run's last write is what "runs --json" shows as last_write: the file
store's file modification times, PostgreSQL's clock, a DaCapo pickle's
modification time. A run whose store cannot tell is never stalled.

Superseded validations do not count. The exit status is for cluster
scripts: 0 when every run is healthy, 1 when the worst finding is a
warning, 2 when it is a failure.`,
		Example: `  statstore check
  statstore check my_run --plateau 3 --json
  statstore check --stale 2h`,
		ValidArgsFunction: completeRuns(app, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var reports []statstore.HealthReport
			err := app.withStore(ctx, readOnly, func(s statstore.StatsStore) error {
				runs, err := keepRuns(ctx, s, args)
				if err != nil {
					return err
				}
				written, err := lastWrites(ctx, s, opts.Stale)
				if err != nil {
					return err
				}
				for _, run := range runs {
					r, err := statstore.CheckRun(ctx, s, run, withLastWrite(opts, written[run]))
					if err != nil {
						return err
					}
					reports = append(reports, r)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if out.json {
				err = writeJSON(app.Stdout, reports)
			} else {
				err = printHealth(app.Stdout, reports)
			}
			if err != nil {
				return err
			}
			return healthStatus(reports)
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.Window, "window", 100, "iterations whose median loss the divergence check takes")
	f.Float64Var(&opts.Factor, "factor", 2, "diverging: the window's median is above this many times the lowest earlier window median")
	f.IntVar(&opts.Lag, "lag", 2, "validation lags when training is more than this many checkpoints past it")
	f.IntVar(&opts.Every, "every", 0, "checkpoint spacing for --lag (0: the validated checkpoints' spacing)")
	f.IntVar(&opts.Plateau, "plateau", 5, "plateau: no criterion improved over this many validations")
	f.DurationVar(&opts.Stale, "stale", 0, "stalled: no write for longer than this (2h, 90m; 0 does not check)")
	out.register(cmd)
	return cmd
}

// lastWrites maps each run to its last write, from one listing, when
// stale is set (nil otherwise: CheckRun would list the runs once per run).
func lastWrites(ctx context.Context, s statstore.StatsStore, stale time.Duration) (map[string]time.Time, error) {
	if stale <= 0 {
		return nil, nil
	}
	infos, err := s.ListRuns(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]time.Time, len(infos))
	for _, i := range infos {
		out[i.Run] = i.LastWrite
	}
	return out, nil
}

// withLastWrite is opts for a run last written at t; a zero t (the store
// cannot tell) turns the stalled check off, so that CheckRun does not list
// the runs again to look for it.
func withLastWrite(opts statstore.HealthOptions, t time.Time) statstore.HealthOptions {
	opts.LastWrite = t
	if t.IsZero() {
		opts.Stale = 0
	}
	return opts
}

// optTime is t in UTC for JSON, nil when zero (unknown).
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func printHealth(w io.Writer, reports []statstore.HealthReport) error {
	t := newTable(w, "RUN", "STATUS", "AT", "FINDING")
	for _, r := range reports {
		if len(r.Findings) == 0 {
			t.row(r.Run, "ok", "-", "-")
			continue
		}
		for _, f := range r.Findings {
			at := "-"
			if f.Iteration >= 0 {
				at = strconv.Itoa(f.Iteration)
			}
			t.row(r.Run, f.Severity.String(), at, f.Kind+": "+f.Message)
		}
	}
	return t.flush()
}

// healthStatus is check's error for its exit status: nil when every run
// is healthy, else one that exits 1 (warnings) or 2 (a failure).
func healthStatus(reports []statstore.HealthReport) error {
	worst, n := statstore.SeverityOK, map[statstore.Severity]int{}
	var sick []string
	for _, r := range reports {
		worst = max(worst, r.Worst)
		for _, f := range r.Findings {
			n[f.Severity]++
		}
		if r.Worst > statstore.SeverityOK {
			sick = append(sick, r.Run)
		}
	}
	if worst == statstore.SeverityOK {
		return nil
	}
	code := exitError
	if worst == statstore.SeverityFailure {
		code = exitFailing
	}
	return &userError{
		msg:  fmt.Sprintf("%d of %d runs need attention (%d failures, %d warnings): %s", len(sick), len(reports), n[statstore.SeverityFailure], n[statstore.SeverityWarning], strings.Join(sick, ", ")),
		code: code,
	}
}
