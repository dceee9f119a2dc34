package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/cliexport"
)

func newExportCmd(app *App) *cobra.Command {
	var format, what, output string
	cmd := &cobra.Command{
		Use:   "export RUN",
		Short: "Write a run's training stats or validation scores as CSV, JSON Lines or Parquet",
		Long: `Write one run's training stats (iteration, loss, time) or validation scores
(long form: iteration, dataset, parameters, criterion, value) as CSV, JSON
Lines or Parquet, to a file (-o) or stdout. JSON Lines are DaCapo's
documents: {"iteration", "loss", "time", "run_name"} and {"iteration",
"scores", "run_name"}. NaN and infinities are kept.

The format defaults to the extension of -o, else csv.

"statstore export dacapo DST" writes DaCapo pickle files instead (see its help).`,
		Example: `  statstore export demo_unet > loss.csv
  statstore export demo_unet --what validation -o scores.parquet
  python3 -c "import pandas; print(pandas.read_parquet('scores.parquet'))"`,
		Args:              usageArgs(cobra.ExactArgs(1)),
		ValidArgsFunction: completeRuns(app, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := exportFormat(format, output)
			if err != nil {
				return err
			}
			if what != "training" && what != "validation" {
				return usageError{fmt.Errorf("--what %q: want training or validation", what)}
			}
			return app.withStore(cmd.Context(), readOnly, func(s statstore.StatsStore) error {
				return writeOutput(app.Stdout, output, func(w io.Writer) error {
					return exportRun(cmd.Context(), s, w, f, what, args[0])
				})
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "csv, jsonl or parquet (default: from the -o extension, else csv)")
	cmd.Flags().StringVar(&what, "what", "training", "training or validation")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to this file instead of stdout")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"csv", "jsonl", "parquet"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("what", cobra.FixedCompletions([]string{"training", "validation"}, cobra.ShellCompDirectiveNoFileComp))
	cmd.AddCommand(newExportDaCapoCmd(app))
	return cmd
}

func exportFormat(format, output string) (cliexport.Format, error) {
	if format != "" {
		f, err := cliexport.ParseFormat(format)
		if err != nil {
			return "", usageError{fmt.Errorf("--format: %w", err)}
		}
		return f, nil
	}
	if f, ok := cliexport.FormatOfPath(output); ok {
		return f, nil
	}
	return cliexport.CSV, nil
}

func exportRun(ctx context.Context, s statstore.StatsStore, w io.Writer, f cliexport.Format, what, run string) error {
	if err := statstore.ValidateRunName(run); err != nil {
		return err
	}
	if what == "validation" {
		vs, err := retrieveValidation(ctx, s, run)
		if err != nil {
			return err
		}
		return cliexport.WriteValidation(w, f, run, vs)
	}
	ts, err := s.RetrieveTrainingStats(ctx, run)
	if err != nil {
		return err
	}
	if ts.Len() == 0 {
		return &userError{
			msg:  fmt.Sprintf("run %q has no training stats in this store", run),
			hint: "list the runs with statstore runs; export validation scores with --what validation",
			err:  statstore.ErrNotFound,
		}
	}
	return cliexport.WriteTraining(w, f, run, ts.IterationStats)
}

// writeOutput runs write on stdout, or on a file that appears only when
// write succeeds (written next to it and renamed).
func writeOutput(stdout io.Writer, path string, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		bw := bufio.NewWriter(stdout)
		if err := write(bw); err != nil {
			return err
		}
		return bw.Flush()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return &userError{msg: fmt.Sprintf("cannot write %s: %v", path, err), hint: "check that the directory exists and is writable", err: err}
	}
	defer os.Remove(tmp.Name())              // fails harmlessly after the rename
	if err := tmp.Chmod(0o644); err != nil { // CreateTemp makes 0600
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	bw := bufio.NewWriter(tmp)
	if err := write(bw); err != nil {
		tmp.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
