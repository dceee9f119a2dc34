package labeled

import (
	"strings"
	"unicode/utf8"
)

// String formats the array as a header with the dimension sizes, a line
// with the scalar coordinates (if any) and a table with one row per element
// in row-major order: one column per dimension with the labels, then the
// value (formatted with strconv 'g', -1). For example:
//
//	<labeled.Array (iterations: 2, criteria: 2)>
//	scalar coords: dataset=val
//	iterations  criteria  value
//	0           voi       0.5
//	0           loss      0.25
//	1           voi       0.75
//	1           loss      NaN
//
// A 0-d array has a "value" column only. The whole array is printed, so this
// is meant for small arrays, examples and debugging.
func (a *Array) String() string {
	var sb strings.Builder
	writeHeader(&sb, "Array", a.g)
	if len(a.scalars) > 0 {
		sb.WriteString("\nscalar coords: ")
		for i, s := range a.scalars {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(s.name)
			sb.WriteByte('=')
			sb.WriteString(formatLabel(s.value))
		}
	}
	writeTable(&sb, a.g, "value", func(i int) string { return formatValue(a.data[i]) })
	return sb.String()
}

// String formats the positions like [Array.String] does values, with a
// "position" column; -1 marks an all-NaN slice.
func (x *Index) String() string {
	var sb strings.Builder
	writeHeader(&sb, "Index", x.g)
	writeTable(&sb, x.g, "position", func(i int) string { return formatInt(x.pos[i]) })
	return sb.String()
}

// String formats the labels like [Array.String] does values, with a "label"
// column; missing labels are shown as <missing>.
func (l *Labels) String() string {
	var sb strings.Builder
	writeHeader(&sb, "Labels", l.g)
	writeTable(&sb, l.g, "label", func(i int) string {
		if !l.ok[i] {
			return "<missing>"
		}
		return formatLabel(l.labels[i])
	})
	return sb.String()
}

// writeHeader writes "<labeled.Kind (dim: n, ...)>".
func writeHeader(sb *strings.Builder, kind string, g grid) {
	sb.WriteString("<labeled.")
	sb.WriteString(kind)
	sb.WriteString(" (")
	for k, d := range g.dims {
		if k > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(d.Name)
		sb.WriteString(": ")
		sb.WriteString(formatInt(g.shape[k]))
	}
	sb.WriteString(")>")
}

// writeTable writes, each on a new line, a header row and one row per
// element: the labels of each dimension, padded to the column width, and
// cell(flat index) in the last column.
func writeTable(sb *strings.Builder, g grid, last string, cell func(int) string) {
	labels := make([][]string, len(g.dims))
	widths := make([]int, len(g.dims))
	for k, d := range g.dims {
		widths[k] = utf8.RuneCountInString(d.Name)
		labels[k] = make([]string, len(d.Coords))
		for j, c := range d.Coords {
			labels[k][j] = formatLabel(c)
			widths[k] = max(widths[k], utf8.RuneCountInString(labels[k][j]))
		}
	}
	pad := func(s string, w int) {
		sb.WriteString(s)
		sb.WriteString(strings.Repeat(" ", w-utf8.RuneCountInString(s)+2))
	}
	sb.WriteByte('\n')
	for k, d := range g.dims {
		pad(d.Name, widths[k])
	}
	sb.WriteString(last)
	idx := make([]int, len(g.dims))
	for i := range g.size {
		sb.WriteByte('\n')
		for k := range g.dims {
			pad(labels[k][idx[k]], widths[k])
		}
		sb.WriteString(cell(i))
		// Advance the multi-index in row-major order.
		for k := len(idx) - 1; k >= 0; k-- {
			if idx[k]++; idx[k] < g.shape[k] {
				break
			}
			idx[k] = 0
		}
	}
}
