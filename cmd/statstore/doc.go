// Command statstore inspects and writes the statistics of training runs:
// per-iteration losses and the validation scores of every checkpoint. It
// answers "which checkpoint and which post-processing parameters are best?",
// reads directories written by DaCapo in place, converts them, exports to
// CSV, JSON Lines and Parquet, and plots.
//
// The store is named by the global --store flag (or $STATSTORE): a directory
// (default ./stats) holding a statstore file store, a directory written by
// DaCapo (read-only, read in place), or a postgres:// URL. Run
// "statstore --help" for the commands and "statstore demo" to try them on a
// simulated run.
//
// Exit status: 0 on success, 1 on an error, 2 on a usage error (unknown
// command or flag, wrong arguments), 3 when the store's data is corrupt
// (fsck found damage, or a read hit it).
//
// The command is an App (app.go), so tests run every subcommand in-process
// with their own stdin, stdout, stderr and environment. Each subcommand lives
// in its own file and registers itself with one line in root.go.
package main
