package main

import (
	"path/filepath"
	"testing"
)

func TestClassify(t *testing.T) {
	dacapoDirs := append(dacapoSampleDirs(t), dacapoTestdataDirs(t)...)
	if len(dacapoDirs) == 0 {
		t.Fatal("no DaCapo directory found")
	}
	tests := []struct {
		spec string
		want storeKind
	}{
		{"postgres://u@h/db", kindPostgres},
		{"postgresql://u:p@h:5432/db?sslmode=disable", kindPostgres},
		{dacapoDirs[0], kindDaCapo},
		{t.TempDir(), kindFile},
		{filepath.Join(t.TempDir(), "new"), kindFile},
	}
	for _, tt := range tests {
		if got := classify(tt.spec); got != tt.want {
			t.Errorf("classify(%q) = %v, want %v", tt.spec, got, tt.want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://user:secret@host/db", "postgres://user:xxxxx@host/db"},
		{"postgres://user@host/db", "postgres://user@host/db"},
		{"postgres://host/db", "postgres://host/db"},
		{"./stats", "./stats"},
	}
	for _, tt := range tests {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestShellQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/tmp/demo", "/tmp/demo"},
		{"my stats", "'my stats'"},
		{"it's", `'it'\''s'`},
		{"", "''"},
	}
	for _, tt := range tests {
		if got := shellQuote(tt.in); got != tt.want {
			t.Errorf("shellQuote(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
