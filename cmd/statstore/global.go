package main

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/statstore/statstore/dacapo"
	"github.com/statstore/statstore/internal/bytesize"
)

// defaultStore is the store used without --store or $STATSTORE.
const defaultStore = "./stats"

// envStore names the environment variable that sets the default store.
const envStore = "STATSTORE"

// envMemoryBudget names the environment variable that sets the default of
// --memory-budget.
const envMemoryBudget = "STATSTORE_MEMORY_BUDGET"

// globalFlags are the flags every command accepts.
type globalFlags struct {
	store    string
	logLevel string
	verbose  bool
	// logAsked is set when --log-level or -v was given: commands that
	// tell a story of their own (demo) log only then.
	logAsked bool
	// tokenFile holds the token for a statstore server (--store http://).
	tokenFile string
	// Metadata for DaCapo directories (read in place or imported) and for
	// put validation.
	preset     string
	datasets   []string
	parameters string
	meta       string
	// memoryBudget is --memory-budget as given ("" = $STATSTORE_MEMORY_BUDGET
	// or dacapo.DefaultMemoryBudget).
	memoryBudget string
}

// dacapoFlagNames are the global flags that only matter when a command
// reads a DaCapo directory (or, --meta, validates put's input).
func dacapoFlagNames() []string {
	return []string{"preset", "datasets", "parameters", "meta", "memory-budget"}
}

// dacapoCommands are the commands whose help shows the DaCapo flags: those
// that read a store, which may be a DaCapo directory, and put (--meta).
// The flags are accepted by every command, before or after its name, as
// before; the others' help leaves them out.
func dacapoCommands() []string {
	return []string{"runs", "show", "best", "compare", "export", "plot", "serve", "import", "copy", "put", "sync", "dacapo"}
}

func (g *globalFlags) register(root *cobra.Command) {
	f := root.PersistentFlags()
	f.StringVar(&g.store, "store", "", "the store: a directory, a DaCapo stats directory, a postgres:// URL or a statstore server's http(s):// URL (default $"+envStore+" or "+defaultStore+")")
	f.StringVar(&g.logLevel, "log-level", "warn", "log level on stderr: debug, info, warn or error")
	f.BoolVarP(&g.verbose, "verbose", "v", false, "log what the store does (--log-level info) on stderr")
	f.StringVar(&g.tokenFile, "token-file", "", "with --store http(s)://host:port: a file holding the server's token (default $STATSTORE_TOKEN)")
	f.AddFlagSet(g.dacapoFlags())
	for _, name := range dacapoFlagNames() {
		_ = f.MarkHidden(name) // shown in the help of dacapoCommands
	}
	_ = root.RegisterFlagCompletionFunc("log-level", cobra.FixedCompletions([]string{"debug", "info", "warn", "error"}, cobra.ShellCompDirectiveNoFileComp))
	_ = root.RegisterFlagCompletionFunc("preset", cobra.FixedCompletions([]string{"binary_segmentation", "instance", "multi_channel_binary_segmentation:", "dummy"}, cobra.ShellCompDirectiveNoFileComp))
	_ = root.MarkPersistentFlagFilename("meta", "json")
	_ = root.MarkPersistentFlagDirname("store")
}

// dacapoFlags returns the DaCapo metadata flags, bound to g.
func (g *globalFlags) dacapoFlags() *pflag.FlagSet {
	f := pflag.NewFlagSet("dacapo", pflag.ContinueOnError)
	f.StringVar(&g.preset, "preset", "", "criteria preset for DaCapo data: binary_segmentation, instance, multi_channel_binary_segmentation:<ch1>,<ch2>, dummy")
	f.StringSliceVar(&g.datasets, "datasets", nil, "validation dataset names for DaCapo data, in axis order (a,b)")
	f.StringVar(&g.parameters, "parameters", "", `post-processing parameter sets for DaCapo data, e.g. "threshold=0.3,0.5,0.7"`)
	f.StringVar(&g.meta, "meta", "", "metadata JSON file {datasets, parameters, criteria} for DaCapo data and put validation")
	f.StringVar(&g.memoryBudget, "memory-budget", "", "memory reading one DaCapo pickle may take, e.g. 8GiB (default $"+envMemoryBudget+" or "+strings.ReplaceAll(bytesize.Format(dacapo.DefaultMemoryBudget), " ", "")+")")
	return f
}

// showDaCapoFlags adds a "DaCapo flags" section to the help of the
// dacapoCommands under root (and their subcommands), listing the hidden
// global DaCapo flags there only.
func showDaCapoFlags(root *cobra.Command) {
	var g globalFlags
	usages := g.dacapoFlags().FlagUsages()
	section := "\n\nDaCapo flags (for a DaCapo stats directory; also accepted before the command):\n" +
		strings.TrimRight(usages, "\n")
	tmpl := root.UsageTemplate()
	const before = "{{if .HasAvailableInheritedFlags}}"
	i := strings.Index(tmpl, before)
	if i < 0 || strings.Contains(usages, "{{") {
		return // an unexpected template: keep cobra's
	}
	// The section follows the local flags; the template's newline before
	// the inherited flags' heading ends it.
	withSection := tmpl[:i] + strings.TrimPrefix(section, "\n") + tmpl[i:]
	if j := strings.LastIndex(tmpl[:i], "{{end}}"); j >= 0 {
		withSection = tmpl[:j+len("{{end}}")] + section + tmpl[j+len("{{end}}"):]
	}
	for _, c := range root.Commands() {
		if slices.Contains(dacapoCommands(), c.Name()) {
			c.SetUsageTemplate(withSection)
		}
	}
}

// setup runs before every command: it configures the logger.
func (a *App) setup(cmd *cobra.Command) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(a.global.logLevel)); err != nil {
		return usageError{fmt.Errorf("--log-level %q: want debug, info, warn or error", a.global.logLevel)}
	}
	explicit := cmd.Flags().Changed("log-level")
	if a.global.verbose && !explicit {
		level = slog.LevelInfo
	}
	a.global.logAsked = explicit || a.global.verbose
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
