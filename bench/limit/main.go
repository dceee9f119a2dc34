package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// result is the JSON line limit prints: the fields of "statstore bench".
type result struct {
	Workload    string   `json:"workload"`
	Iterations  int      `json:"iterations"`
	Every       int      `json:"every"`
	Checkpoints int      `json:"checkpoints"`
	Calls       int      `json:"calls"`
	Sync        bool     `json:"sync"`
	WriteS      float64  `json:"write_s"`
	ReadS       float64  `json:"read_s"`
	SubsampleS  *float64 `json:"subsample_s"`
	Bytes       int64    `json:"bytes"`
}

// errUsage marks a bad command line (exit status 2).
var errUsage = errors.New("usage")

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "limit:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// run executes one command line and prints its JSON line on w.
func run(args []string, w io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("want a workload, train or validation: %w", errUsage)
	}
	fs := flag.NewFlagSet("limit "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dir := fs.String("dir", "", "a new directory to write in")
	every := fs.Int("every", 1000, "iterations per checkpoint")
	sync := fs.Bool("sync", true, "fsync every checkpoint")
	n := fs.Int("iterations", 10_000, "training iterations (train)")
	checkpoints := fs.Int("checkpoints", 100, "validated checkpoints (validation)")
	datasets := fs.Int("datasets", 2, "validation datasets (validation)")
	parameters := fs.Int("parameters", 9, "parameter sets (validation)")
	criteria := fs.Int("criteria", 21, "criteria (validation)")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%v: %w", err, errUsage)
	}
	if *dir == "" || *every < 1 {
		return fmt.Errorf("want --dir DIR and --every >= 1: %w", errUsage)
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	var (
		res result
		err error
	)
	switch args[0] {
	case "train":
		if *n < 1 {
			return fmt.Errorf("--iterations %d: want >= 1: %w", *n, errUsage)
		}
		res, err = train(*dir, *n, *every, *sync)
	case "validation":
		sh := [3]int{*datasets, *parameters, *criteria}
		if *checkpoints < 1 || sh[0] < 1 || sh[1] < 1 || sh[2] < 1 {
			return fmt.Errorf("--checkpoints, --datasets, --parameters and --criteria: want >= 1: %w", errUsage)
		}
		res, err = validation(*dir, *checkpoints, *every, sh, *sync)
	default:
		return fmt.Errorf("unknown workload %q, want train or validation: %w", args[0], errUsage)
	}
	if err != nil {
		return err
	}
	return json.NewEncoder(w).Encode(res)
}
