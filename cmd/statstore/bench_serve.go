package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore/filestore"
	"github.com/statstore/statstore/httpapi"
	"github.com/statstore/statstore/internal/servebench"
)

func newBenchServeCmd(app *App, t *benchTarget) *cobra.Command {
	var cfg servebench.Config
	var mlflow string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Measure a tracking server: ingest over HTTP, full reads, concurrent writers",
		Long: `Run the MLflow-style server workload and print one JSON line: one run
receives --iterations iterations (loss and step time) posted --per-request
per request, its whole history is read back in every form the server
answers (fastest of --reads, decode and check included), then --writers
concurrent writers each post --writer-iterations to their own run (total
iterations/s, request latency p50 and p99). Every read is checked against
what was written.

The server is a statstore server started in this process on a new file
store (--dir, or a temporary directory; fsync on), a statstore server named
by --store http(s)://host:port (token from --token-file or
$STATSTORE_TOKEN), or any MLflow-compatible tracking server named by
--mlflow URL (MLflow, FastTrackML: runs/log-batch, at most 1,000 metrics a
request, and metrics/get-history). The same client measures every server,
with the request bodies encoded before the clock starts.`,
		Example: `  statstore bench serve
  statstore bench serve --mlflow http://127.0.0.1:5000
  statstore --store http://127.0.0.1:8080 bench serve --writers 0`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.Validate(); err != nil {
				return usageError{err}
			}
			res, err := app.benchServe(cmd.Context(), t, cfg, mlflow)
			if err != nil {
				return err
			}
			return json.NewEncoder(app.Stdout).Encode(res)
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.Iterations, "iterations", 100_000, "iterations posted to the one run")
	f.IntVar(&cfg.PerRequest, "per-request", 1000, "iterations per request")
	f.IntVar(&cfg.Writers, "writers", 32, "concurrent writers, each with its own run (0: none)")
	f.IntVar(&cfg.WriterIterations, "writer-iterations", 20_000, "iterations each concurrent writer posts")
	f.IntVar(&cfg.Reads, "reads", 3, "full reads per form; the fastest counts")
	f.StringVar(&mlflow, "mlflow", "", "measure the MLflow-compatible tracking server at this URL instead")
	return cmd
}

// benchServe runs the server workload against the target the flags name.
func (a *App) benchServe(ctx context.Context, t *benchTarget, cfg servebench.Config, mlflow string) (servebench.Result, error) {
	cfg.RunPrefix = t.run
	spec := a.storeSpec()
	switch {
	case mlflow != "":
		return servebench.Run(ctx, servebench.NewMLflow(mlflow, ""), mlflow, cfg)
	case strings.HasPrefix(spec, "http://") || strings.HasPrefix(spec, "https://"):
		token, err := a.token()
		if err != nil {
			return servebench.Result{}, err
		}
		return servebench.Run(ctx, servebench.NewStatstore(spec, token), spec, cfg)
	}
	dir := t.dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "statstore-bench-serve-")
		if err != nil {
			return servebench.Result{}, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := checkEmptyDir(dir); err != nil {
		return servebench.Result{}, err
	}
	store, err := filestore.Open(dir, filestore.Options{Logger: a.log(), NoSync: !t.sync})
	if err != nil {
		return servebench.Result{}, fmt.Errorf("open store %s: %w", dir, err)
	}
	defer store.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return servebench.Result{}, err
	}
	api := httpapi.NewServer(store, httpapi.ServerOptions{Logger: a.log()})
	defer api.Close()
	srv := httpapi.NewHTTPServer(ln.Addr().String(), api)
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	url := "http://" + ln.Addr().String()
	res, err := servebench.Run(ctx, servebench.NewStatstore(url, ""), url, cfg)
	if errors.Is(err, http.ErrServerClosed) {
		err = fmt.Errorf("the benchmark's server stopped: %w", err)
	}
	return res, err
}
