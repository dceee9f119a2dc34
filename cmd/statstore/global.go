package main

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"
)

// defaultStore is the store used without --store or $STATSTORE.
const defaultStore = "./stats"

// envStore names the environment variable that sets the default store.
const envStore = "STATSTORE"

// globalFlags are the flags every command accepts.
type globalFlags struct {
	store    string
	logLevel string
	// Metadata for DaCapo directories (read in place or imported) and for
	// put validation.
	preset     string
	datasets   []string
	parameters string
	meta       string
}

func (g *globalFlags) register(root *cobra.Command) {
	f := root.PersistentFlags()
	f.StringVar(&g.store, "store", "", "the store: a directory, a DaCapo stats directory or a postgres:// URL (default $"+envStore+" or "+defaultStore+")")
	f.StringVar(&g.logLevel, "log-level", "warn", "log level on stderr: debug, info, warn or error")
	f.StringVar(&g.preset, "preset", "", "criteria preset for DaCapo data: binary_segmentation, instance, multi_channel_binary_segmentation:<ch1>,<ch2>, dummy")
	f.StringSliceVar(&g.datasets, "datasets", nil, "validation dataset names for DaCapo data, in axis order (a,b)")
	f.StringVar(&g.parameters, "parameters", "", `post-processing parameter sets for DaCapo data, e.g. "threshold=0.3,0.5,0.7"`)
	f.StringVar(&g.meta, "meta", "", "metadata JSON file {datasets, parameters, criteria} for DaCapo data and put validation")
	_ = root.RegisterFlagCompletionFunc("log-level", cobra.FixedCompletions([]string{"debug", "info", "warn", "error"}, cobra.ShellCompDirectiveNoFileComp))
	_ = root.RegisterFlagCompletionFunc("preset", cobra.FixedCompletions([]string{"binary_segmentation", "instance", "multi_channel_binary_segmentation:", "dummy"}, cobra.ShellCompDirectiveNoFileComp))
	_ = root.MarkPersistentFlagFilename("meta", "json")
	_ = root.MarkPersistentFlagDirname("store")
}

// setup runs before every command: it configures the logger.
func (a *App) setup() error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(a.global.logLevel)); err != nil {
		return usageError{fmt.Errorf("--log-level %q: want debug, info, warn or error", a.global.logLevel)}
	}
	a.logger = slog.New(slog.NewTextHandler(a.Stderr, &slog.HandlerOptions{Level: level}))
	return nil
}

// storeSpec returns the store the user named: --store, else $STATSTORE,
// else ./stats.
func (a *App) storeSpec() string {
	if s := strings.TrimSpace(a.global.store); s != "" {
		return s
	}
	if s := strings.TrimSpace(a.getenv(envStore)); s != "" {
		return s
	}
	return defaultStore
}
