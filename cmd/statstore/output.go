package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore/internal/jsonnan"
)

// outputFlags are the output options every reporting command takes.
type outputFlags struct {
	json bool
}

func (o *outputFlags) register(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&o.json, "json", false, "print machine-readable JSON instead of a table")
}

// writeJSON prints v as indented JSON followed by a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table writes aligned columns.
type table struct {
	tw *tabwriter.Writer
}

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cells ...string) {
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

// num formats a float for a table: six significant digits, NaN and
// infinities spelled as in JSON output.
func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return jsonnan.NaN
	case math.IsInf(v, 1):
		return jsonnan.PosInf
	case math.IsInf(v, -1):
		return jsonnan.NegInf
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// optNum formats an optional float, "-" when absent.
func optNum(v *jsonnan.Float) string {
	if v == nil {
		return "-"
	}
	return num(float64(*v))
}

// optFloat returns a pointer to v for an optional JSON number.
func optFloat(v float64) *jsonnan.Float {
	f := jsonnan.Float(v)
	return &f
}

// optInt formats an optional int, "-" when absent.
func optInt(v *int) string {
	if v == nil {
		return "-"
	}
	return strconv.Itoa(*v)
}

// joinOrDash joins names with ", ", "-" when there are none.
func joinOrDash(names []string) string {
	if len(names) == 0 {
		return "-"
	}
	return strings.Join(names, ", ")
}
