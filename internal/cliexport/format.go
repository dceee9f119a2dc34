package cliexport

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/statstore/statstore"
)

// Format is an export file format.
type Format string

// The export formats.
const (
	CSV     Format = "csv"
	JSONL   Format = "jsonl"
	Parquet Format = "parquet"
)

// Formats lists the formats ParseFormat accepts.
func Formats() []Format { return []Format{CSV, JSONL, Parquet} }

// ParseFormat returns the format named s (case-insensitive; "ndjson" and
// "jsonlines" mean JSONL).
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case CSV, JSONL, Parquet:
		return f, nil
	case "ndjson", "jsonlines":
		return JSONL, nil
	}
	return "", fmt.Errorf("unknown export format %q, want csv, jsonl or parquet: %w", s, statstore.ErrInvalidArgument)
}

// FormatOfPath guesses the format from a file name's extension; false when
// the extension names none.
func FormatOfPath(path string) (Format, bool) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return CSV, true
	case ".jsonl", ".ndjson":
		return JSONL, true
	case ".parquet", ".pq":
		return Parquet, true
	}
	return "", false
}
