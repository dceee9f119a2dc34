package main

import (
	"testing"
	"os"
	"strings"
)

func TestZZProf(t *testing.T) {
	args := strings.Fields(os.Getenv("ZZ_ARGS"))
	if len(args) == 0 { t.Skip() }
	args = append(args, "--dir", t.TempDir()+"/s")
	r := mustRun(t, args...)
	t.Log(r.stdout)
}
