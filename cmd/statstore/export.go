package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

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

The format is --format, else the extension of -o: .csv, .jsonl or .ndjson
(JSON Lines), .parquet or .pq; without -o or an extension, csv. Any other
extension is refused, .json too: a .json file promises one JSON document,
and export writes JSON Lines (pass --format jsonl to write them there).

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
	cmd.Flags().StringVar(&format, "format", "", "csv, jsonl or parquet (default: from the -o extension .csv, .jsonl, .ndjson, .parquet or .pq, else csv)")
	cmd.Flags().StringVar(&what, "what", "training", "training or validation")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to this file instead of stdout")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"csv", "jsonl", "parquet"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("what", cobra.FixedCompletions([]string{"training", "validation"}, cobra.ShellCompDirectiveNoFileComp))
	cmd.AddCommand(newExportDaCapoCmd(app))
	return cmd
}

// exportExtension is an -o extension export knows, and its format.
type exportExtension struct {
	ext    string
	format cliexport.Format
}

// exportExtensions returns the -o extensions export knows.
func exportExtensions() []exportExtension {
	return []exportExtension{
		{".csv", cliexport.CSV},
		{".jsonl", cliexport.JSONL},
		{".ndjson", cliexport.JSONL},
		{".parquet", cliexport.Parquet},
		{".pq", cliexport.Parquet},
	}
}

// exportFormat returns the format --format names, else the one the
// extension of output names, else CSV (stdout, or a file without an
// extension). An extension that names no format is a usage error listing
// the known ones: .json among them, since JSON Lines are not the single
// JSON document a .json file promises.
func exportFormat(format, output string) (cliexport.Format, error) {
	if format != "" {
		f, err := cliexport.ParseFormat(format)
		if err != nil {
			return "", usageError{fmt.Errorf("--format: %w", err)}
		}
		return f, nil
	}
	ext := strings.ToLower(filepath.Ext(output))
	if output == "" || output == "-" || ext == "" {
		return cliexport.CSV, nil
	}
	exts := exportExtensions()
	known := make([]string, len(exts))
	for i, e := range exts {
		if e.ext == ext {
			return e.format, nil
		}
		known[i] = e.ext
	}
	msg := fmt.Sprintf("-o %s: export does not know the extension %s; want %s, or --format csv, jsonl or parquet",
		output, filepath.Ext(output), strings.Join(known, ", "))
	if ext == ".json" {
		msg = fmt.Sprintf("-o %s: export writes JSON Lines (one JSON document per line), not the single JSON document a .json file promises; name the file .jsonl or .ndjson, or pass --format jsonl to write JSON Lines to %s anyway",
			output, output)
	}
	return "", &userError{msg: msg, hint: "see statstore export --help", code: exitUsage, err: statstore.ErrInvalidArgument}
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
