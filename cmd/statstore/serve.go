package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/httpapi"
	"github.com/statstore/statstore/internal/dirwatch"
	"github.com/statstore/statstore/memstore"
	"github.com/statstore/statstore/ui"
)

// defaultServeAddr is where statstore serve listens without --addr: the
// loopback interface only, so nothing is exposed by accident.
const defaultServeAddr = "127.0.0.1:8080"

// shutdownTimeout bounds how long a stopping server waits for requests in
// flight before it cuts them off.
const shutdownTimeout = time.Minute

// maxTokenFileBytes bounds the token file; a token is a line of text.
const maxTokenFileBytes = 4 << 10

// The demo runs of statstore serve --demo: longer than statstore demo's, so
// the dashboard has something to zoom into.
const (
	serveDemoIterations    = 50_000
	serveDemoValidateEvery = 2_500
)

// serveFlags are the options of statstore serve.
type serveFlags struct {
	addr                string
	tokenFile           string
	tokenForReads       bool
	maxBodyBytes        int64
	allowedHosts        []string
	maxStreamsPerClient int
	demo                bool
	watch               string
}

func newServeCmd(app *App) *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the store over HTTP: the JSON API, live events and the dashboard",
		Long: `Serve the store over HTTP until interrupted (Ctrl+C or SIGTERM): the JSON
API under /api/v1 (see docs/api.md) that training jobs write to from any
language, server-sent events of every change to the store (GET /api/v1/events,
including writes by other processes: a trainer writing a file store directly,
another server on the same PostgreSQL database), /metrics for
Prometheus, and the dashboard at /, which prints its URL on start.

The server binds 127.0.0.1 unless --addr says otherwise. With --token-file,
every write needs "Authorization: Bearer <token>" (and every read too with
--token-for-reads; the dashboard then asks for the token). On interrupt the
server stops accepting requests, ends the event streams, lets the writes in
flight finish (up to a minute) and closes the store.

Writes need Content-Type: application/json, and requests a browser sends for
another site are refused, so a web page cannot write to the store. A server
on a loopback address answers only the Host names localhost, 127.0.0.1 and
[::1]; one on another address also answers IP addresses and this machine's
host name. --allowed-hosts adds names (a reverse proxy's public name), which
stops DNS rebinding: see the Security section of docs/api.md.

A file store is followed with kernel notifications (inotify), or by polling
every 200ms on network and cluster file systems (NFS, Lustre, ...), which do
not notify one machine of another's writes; --watch=poll|notify forces one.

A DaCapo stats directory is served read-only (writes answer 403). With
--demo the server holds an in-memory store filled with the simulated runs of
statstore demo (nothing is saved; it cannot be combined with --store).`,
		Example: `  statstore serve
  statstore --store /data/stats serve --addr 0.0.0.0:8080 --token-file ~/.statstore-token
  statstore --store postgres://stats@db/stats serve --addr :9000
  statstore serve --allowed-hosts stats.example.org   # behind a reverse proxy that forwards Host
  statstore serve --demo                 # try the dashboard on simulated runs, in memory`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			app.noProgress() // a server reads runs for ever: no bar
			return app.serve(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", defaultServeAddr, "address to listen on, host:port (port 0 picks a free port)")
	fl.StringVar(&f.tokenFile, "token-file", "", "file holding the bearer token required for writes")
	fl.BoolVar(&f.tokenForReads, "token-for-reads", false, "require the token for reads too (needs --token-file)")
	fl.Int64Var(&f.maxBodyBytes, "max-body-bytes", httpapi.DefaultMaxBodyBytes, "largest request body accepted, in bytes (413 beyond it)")
	fl.StringSliceVar(&f.allowedHosts, "allowed-hosts", nil, "more Host names to answer, comma-separated: name, *.domain, or * for any (behind a proxy that checks Host)")
	fl.IntVar(&f.maxStreamsPerClient, "max-streams-per-client", httpapi.DefaultMaxStreamsPerClient, "event streams one client (IP address) may hold open")
	fl.StringVar(&f.watch, "watch", "auto", "how a file store follows other processes' writes for live updates: notify (kernel notifications), poll (stat every 200ms: NFS, Lustre) or auto (poll on network file systems)")
	fl.BoolVar(&f.demo, "demo", false, "serve an in-memory store holding the demo runs (nothing is saved)")
	_ = cmd.MarkFlagFilename("token-file")
	return cmd
}

// serverOptions checks the flags and reads the token.
func (f serveFlags) serverOptions(logger *slog.Logger) (httpapi.ServerOptions, error) {
	opts := httpapi.ServerOptions{Logger: logger, TokenForReads: f.tokenForReads, MaxBodyBytes: f.maxBodyBytes, UI: ui.Handler(),
		MaxStreamsPerClient: f.maxStreamsPerClient}
	if f.maxBodyBytes <= 0 {
		return opts, usageError{fmt.Errorf("--max-body-bytes %d: want a positive number of bytes", f.maxBodyBytes)}
	}
	if _, err := dirwatch.ParseMode(f.watch); err != nil {
		return opts, usageError{fmt.Errorf("--watch %q: want auto, notify or poll", f.watch)}
	}
	if f.maxStreamsPerClient <= 0 {
		return opts, usageError{fmt.Errorf("--max-streams-per-client %d: want at least 1", f.maxStreamsPerClient)}
	}
	for _, h := range f.allowedHosts {
		h = strings.TrimSpace(h)
		if h == "" || strings.ContainsAny(h, "/ \t@?#") {
			return opts, usageError{fmt.Errorf("--allowed-hosts %q: want host names (stats.example, *.example or *), without scheme or path", h)}
		}
		opts.AllowedHosts = append(opts.AllowedHosts, h)
	}
	if f.tokenForReads && f.tokenFile == "" {
		return opts, usageError{errors.New("--token-for-reads needs --token-file: there is no token to require")}
	}
	if f.tokenFile != "" {
		token, err := readTokenFile(f.tokenFile)
		if err != nil {
			return opts, err
		}
		opts.Token = token
	}
	return opts, nil
}

// readTokenFile reads a bearer token: the file's text without surrounding
// white space, which must be a non-empty single line.
func readTokenFile(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", &userError{msg: fmt.Sprintf("cannot read the token file: %v", err),
			hint: "write a token to it first, e.g.: head -c 32 /dev/urandom | base64 > " + path, err: statstore.ErrInvalidArgument}
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxTokenFileBytes+1))
	if err != nil {
		return "", fmt.Errorf("read token file %s: %w", path, err)
	}
	token := strings.TrimSpace(string(data))
	switch {
	case len(data) > maxTokenFileBytes:
		return "", &userError{msg: fmt.Sprintf("token file %s is larger than %d bytes: want one line holding the token", path, maxTokenFileBytes), err: statstore.ErrInvalidArgument}
	case token == "":
		return "", &userError{msg: fmt.Sprintf("token file %s is empty: want one line holding the token", path),
			hint: "head -c 32 /dev/urandom | base64 > " + path, err: statstore.ErrInvalidArgument}
	case strings.ContainsAny(token, "\r\n"):
		return "", &userError{msg: fmt.Sprintf("token file %s holds several lines: want one line holding the token", path), err: statstore.ErrInvalidArgument}
	}
	return token, nil
}

// serve runs the server until ctx is cancelled (the signal context of
// main), then shuts it down gracefully.
func (a *App) serve(ctx context.Context, f serveFlags) error {
	opts, err := f.serverOptions(a.log())
	if err != nil {
		return err
	}
	if f.demo {
		if strings.TrimSpace(a.global.store) != "" {
			return usageError{errors.New("--demo serves an in-memory store and ignores --store: drop one of them (to add the demo runs to a store: statstore --store DIR demo)")}
		}
		store := memstore.New(nil) // the demo's simulated crash and resume would warn on stderr
		defer store.Close()
		if err := writeServeDemo(ctx, store); err != nil {
			return err
		}
		return a.serveStore(ctx, "an in-memory demo store ("+strings.Join(demoRunNames(), ", ")+"; nothing is saved)", store, f.addr, opts)
	}
	a.watch = f.watch
	spec := a.storeSpec()
	acc := readWrite
	if classify(spec) == kindDaCapo {
		acc = readOnly // served as it is; writes answer 403 with a hint to import it
	}
	return a.withStore(ctx, acc, func(store statstore.StatsStore) error {
		return a.serveStore(ctx, redactURL(spec), store, f.addr, opts)
	})
}

// writeServeDemo fills store with the demo runs.
func writeServeDemo(ctx context.Context, store statstore.StatsStore) error {
	o := demoOptions{iterations: serveDemoIterations, validateEvery: serveDemoValidateEvery, seed: 1}
	for i, run := range demoRunNames() {
		if err := newSimulation(o, i).write(ctx, store, run, io.Discard); err != nil {
			return fmt.Errorf("demo run %s: %w", run, err)
		}
	}
	return nil
}

// serveStore serves store on addr until ctx is cancelled, then stops
// accepting requests, ends the event streams and waits for the requests in
// flight (up to shutdownTimeout). It does not close the store.
func (a *App) serveStore(ctx context.Context, what string, store statstore.StatsStore, addr string, opts httpapi.ServerOptions) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return &userError{msg: fmt.Sprintf("cannot listen on %s: %v", addr, err),
			hint: "choose another address with --addr HOST:PORT (port 0 picks a free one)"}
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
		// Reachable from other machines, which name it by its host name.
		if name, err := os.Hostname(); err == nil && name != "" {
			opts.AllowedHosts = append(opts.AllowedHosts, name)
		}
	}
	api := httpapi.NewServer(store, opts)
	srv := httpapi.NewHTTPServer(ln.Addr().String(), api)
	srv.ErrorLog = slog.NewLogLogger(a.log().Handler(), slog.LevelWarn)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	a.printServing(what, ln.Addr(), opts)

	select {
	case err := <-served:
		api.Close()
		return fmt.Errorf("serving HTTP on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	fmt.Fprintln(a.Stderr, "statstore: shutting down: finishing the requests in flight")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		<-served
		return fmt.Errorf("shutting down: requests still running after %v were cut off: %w", shutdownTimeout, err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving HTTP on %s: %w", ln.Addr(), err)
	}
	return nil
}

// printServing tells the user where the dashboard is, and warns when the
// server is reachable from other machines without a token.
func (a *App) printServing(what string, addr net.Addr, opts httpapi.ServerOptions) {
	base := dashboardURL(addr)
	fmt.Fprintf(a.Stdout, "statstore: serving %s\n", what)
	fmt.Fprintf(a.Stdout, "  dashboard: %s\n", base)
	fmt.Fprintf(a.Stdout, "  API:       %sapi/v1/runs (docs/api.md)\n", base)
	if opts.Token != "" {
		what := "writes"
		if opts.TokenForReads {
			what = "reads and writes (the dashboard asks for it)"
		}
		fmt.Fprintf(a.Stdout, "  token:     required for %s\n", what)
	}
	hosts := "localhost, 127.0.0.1, [::1]"
	if tcp, ok := addr.(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
		hosts = "IP addresses, localhost"
	}
	if len(opts.AllowedHosts) > 0 {
		hosts += ", " + strings.Join(opts.AllowedHosts, ", ")
	}
	fmt.Fprintf(a.Stdout, "  hosts:     %s (more with --allowed-hosts)\n", hosts)
	fmt.Fprintln(a.Stdout, "Press Ctrl+C to stop.")
	if tcp, ok := addr.(*net.TCPAddr); ok && !tcp.IP.IsLoopback() && opts.Token == "" {
		fmt.Fprintf(a.Stderr, "statstore: warning: %s is reachable from other machines and anyone there can write and delete runs; set a token with --token-file\n", addr)
	}
}

// dashboardURL is the URL a browser on this machine opens for addr: the
// loopback address when the server listens on every interface.
func dashboardURL(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return "http://" + addr.String() + "/"
	}
	ip := tcp.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1) // every interface, loopback included
	}
	return "http://" + net.JoinHostPort(ip.String(), fmt.Sprint(tcp.Port)) + "/"
}
