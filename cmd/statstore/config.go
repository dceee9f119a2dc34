package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
)

func newConfigCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Set, show or remove a run's configuration (a JSON document)",
		Long: `A run's configuration is one JSON object: task, architecture, trainer,
datasplit, anything (DaCapo's RunConfig, unstructured, fits). The store
keeps it in canonical form (keys sorted, no spaces); statstore diff
compares two runs' configurations key by key.`,
		Args: usageArgs(cobra.NoArgs),
	}
	cmd.AddCommand(newConfigSetCmd(app), newConfigShowCmd(app), newConfigRmCmd(app))
	return cmd
}

func newConfigSetCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "set RUN FILE|-",
		Short: "Store a JSON file (or stdin, -) as the run's configuration",
		Long: `Store the JSON object in FILE (or on stdin, with -) as the run's
configuration, replacing the one it had. Anything but one JSON object of
at most 1 MiB is an error that changes nothing. Setting the configuration
of a run that has no statistics yet creates it.`,
		Example: `  statstore config set my_run run_config.json
  python -c 'import json; print(json.dumps({"lr": 1e-4}))' | statstore config set my_run -`,
		Args:              usageArgs(cobra.ExactArgs(2)),
		ValidArgsFunction: completeRuns(app, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			run, file := args[0], args[1]
			if err := statstore.ValidateRunName(run); err != nil {
				return err
			}
			data, err := readConfigInput(app, file)
			if err != nil {
				return err
			}
			if err := statstore.ValidateRunConfig(data); err != nil {
				return fmt.Errorf("%s: %w", configSource(file), err)
			}
			ctx := cmd.Context()
			return app.withStore(ctx, readWrite, func(s statstore.StatsStore) error {
				ms, err := metaStore(s)
				if err != nil {
					return err
				}
				if err := ms.SetRunConfig(ctx, run, data); err != nil {
					return err
				}
				_, err = fmt.Fprintf(app.Stdout, "stored the configuration of run %s (%d bytes, from %s)\n", run, len(data), configSource(file))
				return err
			})
		},
	}
}

// configSource names where a configuration was read from.
func configSource(file string) string {
	if file == "-" {
		return "stdin"
	}
	return file
}

// readConfigInput reads a configuration file, or stdin for "-", refusing
// more than the limit.
func readConfigInput(app *App, file string) ([]byte, error) {
	var rd io.Reader
	if file == "-" {
		rd = app.stdin()
	} else {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("read configuration: %w", err)
		}
		defer f.Close()
		rd = f
	}
	data, err := io.ReadAll(io.LimitReader(rd, statstore.MaxRunConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read configuration from %s: %w", configSource(file), err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%s is empty: want the run's configuration, a JSON object: %w", configSource(file), statstore.ErrInvalidArgument)
	}
	return data, nil
}

func newConfigShowCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "show RUN",
		Short: "Print the run's configuration as indented JSON",
		Long: `Print the run's configuration as indented JSON (keys sorted). A run
without a configuration prints nothing to stdout and says so on stderr
(exit status 1), so that a script can tell.`,
		Example:           `  statstore config show my_run > run_config.json`,
		Args:              usageArgs(cobra.ExactArgs(1)),
		ValidArgsFunction: completeRuns(app, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			run := args[0]
			if err := statstore.ValidateRunName(run); err != nil {
				return err
			}
			ctx := cmd.Context()
			return app.withStore(ctx, readOnly, func(s statstore.StatsStore) error {
				ms, err := metaStore(s)
				if err != nil {
					return err
				}
				m, err := ms.RetrieveRunMeta(ctx, run)
				if err != nil {
					return err
				}
				if m.Config == nil {
					return &userError{msg: fmt.Sprintf("run %s has no configuration", run),
						hint: "store one with statstore config set " + run + " FILE", err: statstore.ErrNotFound}
				}
				var buf bytes.Buffer
				if err := json.Indent(&buf, m.Config, "", "  "); err != nil {
					return fmt.Errorf("configuration of run %s: %w", run, err)
				}
				buf.WriteByte('\n')
				_, err = app.Stdout.Write(buf.Bytes())
				return err
			})
		},
	}
}

func newConfigRmCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:               "rm RUN",
		Short:             "Remove the run's configuration (its tags and statistics stay)",
		Example:           `  statstore config rm my_run`,
		Args:              usageArgs(cobra.ExactArgs(1)),
		ValidArgsFunction: completeRuns(app, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			run := args[0]
			if err := statstore.ValidateRunName(run); err != nil {
				return err
			}
			ctx := cmd.Context()
			return app.withStore(ctx, readWrite, func(s statstore.StatsStore) error {
				ms, err := metaStore(s)
				if err != nil {
					return err
				}
				if err := ms.SetRunConfig(ctx, run, nil); err != nil {
					return err
				}
				_, err = fmt.Fprintf(app.Stdout, "removed the configuration of run %s\n", run)
				return err
			})
		},
	}
}
