package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

// profileRuns makes every subcommand of cmd write a CPU profile of its run
// to *path when it is set (bench --cpuprofile FILE), for go tool pprof.
func profileRuns(cmd *cobra.Command, path *string) {
	for _, c := range cmd.Commands() {
		run := c.RunE
		if run == nil {
			continue
		}
		c.RunE = func(cmd *cobra.Command, args []string) (err error) {
			if *path == "" {
				return run(cmd, args)
			}
			stop, err := startCPUProfile(*path)
			if err != nil {
				return err
			}
			defer func() {
				if serr := stop(); err == nil {
					err = serr
				}
			}()
			return run(cmd, args)
		}
	}
}

// startCPUProfile starts a CPU profile written to path; stop ends it.
func startCPUProfile(path string) (stop func() error, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close() // the profile's error is what matters
		return nil, fmt.Errorf("--cpuprofile %s: %w", path, err)
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}
