package pgtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// DebianPackage is the Debian package whose server binaries pgtest runs.
const DebianPackage = "postgresql-15"

// defaultBinDir is where Debian's postgresql-15 puts its server binaries.
const defaultBinDir = "/usr/lib/postgresql/15/bin"

// FindBinDir returns the directory holding PostgreSQL 15's initdb and
// postgres binaries: the one `dpkg -L postgresql-15` lists, else
// /usr/lib/postgresql/15/bin. When neither holds them, the error says to
// install Debian's postgresql-15 package.
func FindBinDir(ctx context.Context) (string, error) {
	var candidates []string
	if out, err := exec.CommandContext(ctx, "dpkg", "-L", DebianPackage).Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasSuffix(line, "/bin/initdb") {
				candidates = append(candidates, filepath.Dir(line))
			}
		}
	}
	candidates = append(candidates, defaultBinDir)
	return pickBinDir(candidates...)
}

// pickBinDir returns the first of dirs holding initdb and postgres.
func pickBinDir(dirs ...string) (string, error) {
	for _, dir := range dirs {
		if isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("pgtest: PostgreSQL 15 server binaries (initdb, postgres) not found in %s: "+
		"install Debian's %s package (apt-get install %s); these tests need a real server and are never skipped",
		strings.Join(dirs, ", "), DebianPackage, DebianPackage)
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}
