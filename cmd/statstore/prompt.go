package main

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/statstore/statstore"
)

// confirmAction asks question on stderr and reads the answer from stdin:
// only y or yes (any case) is a yes. Without a terminal on stdin it asks
// nothing and returns an error with msg and hint (which name --yes).
func (a *App) confirmAction(question, msg, hint string) (bool, error) {
	if !a.Interactive {
		return false, &userError{msg: msg, hint: hint, code: exitUsage, err: statstore.ErrInvalidArgument}
	}
	fmt.Fprintf(a.Stderr, "%s [y/N] ", question)
	line, err := bufio.NewReader(a.stdin()).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(a.Stderr)
		return false, nil // end of input: no
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}
