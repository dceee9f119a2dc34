package statstore

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// RunQuery selects, orders and pages run summaries: the runs that match
// every term of Filter, sorted by Sort (then by name), Limit of them (0:
// all) from Offset on. Apply runs it over summaries in memory; stores that
// implement Summarizer answer it from their kept summaries.
type RunQuery struct {
	Filter []FilterTerm
	Sort   []SortKey
	Limit  int
	Offset int
}

// FilterTerm is one term of a run filter: Column Op Value, e.g.
// tag.architecture=unet or best.validate.dice>=0.8.
type FilterTerm struct {
	Column string
	Op     string // one of =, !=, ~, !~, <, <=, >, >=
	Value  string
	num    float64   // Value as a number, for numeric columns
	when   time.Time // Value as a time, for last_write
}

// SortKey is one sort column; Desc sorts it in decreasing order. Runs
// without a value for the column sort last either way.
type SortKey struct {
	Column string
	Desc   bool
}

// The kinds of run summary columns.
type columnKind int

const (
	columnString columnKind = iota
	columnNumber
	columnTime
	columnList
)

// fixedColumns are the fixed columns of a run summary, by kind;
// tag.<key> (string) and best.<dataset>.<criterion> (number) add to them.
func fixedColumns() map[string]columnKind {
	return map[string]columnKind{
		"run": columnString, "name": columnString, "meta_digest": columnString,
		"trained_until": columnNumber, "training_iterations": columnNumber,
		"validated_until": columnNumber, "validation_iterations": columnNumber,
		"last_loss": columnNumber, "min_loss": columnNumber, "repetition": columnNumber,
		"last_write": columnTime, "health": columnList,
	}
}

// RunColumns returns the names of the fixed run summary columns, sorted;
// tag.<key> and best.<dataset>.<criterion> are columns too.
func RunColumns() []string {
	return slices.Sorted(maps.Keys(fixedColumns()))
}

// columnKindOf returns the kind of column name, or an error naming it.
func columnKindOf(name string) (columnKind, error) {
	switch name {
	case "run", "name", "meta_digest":
		return columnString, nil
	case "trained_until", "training_iterations", "validated_until", "validation_iterations", "last_loss", "min_loss", "repetition":
		return columnNumber, nil
	case "last_write":
		return columnTime, nil
	case "health":
		return columnList, nil
	}
	switch {
	case strings.HasPrefix(name, "tag.") && len(name) > len("tag."):
		return columnString, nil
	case strings.HasPrefix(name, "best.") && strings.Count(name, ".") >= 2 &&
		!strings.HasSuffix(name, ".") && !strings.HasPrefix(name, "best.."):
		return columnNumber, nil
	}
	return 0, invalid("unknown column %q: want one of %s, tag.<key> or best.<dataset>.<criterion>", name, strings.Join(RunColumns(), ", "))
}

// ValidateColumns reports a name among names that is not a run summary
// column.
func ValidateColumns(names []string) error {
	for _, n := range names {
		if _, err := columnKindOf(n); err != nil {
			return err
		}
	}
	return nil
}

// filterOps returns the operators of a filter term, longest first.
func filterOps() []string { return []string{"!=", "!~", "<=", ">=", "=", "~", "<", ">"} }

// ParseRunFilter parses a filter expression: terms separated by spaces,
// all of which must hold (AND). A term is COLUMN OP VALUE with OP one of
// = != (equal, not equal), ~ !~ (contains, does not contain; on string
// columns), < <= > >= (on numeric columns and last_write, given in RFC
// 3339). A value with spaces is written in double quotes (Go syntax).
// Examples: `name~unet tag.architecture=unet repetition>=2`,
// `best.validate.dice>0.8 health!=plateau`. An empty expression selects
// every run. Errors wrap ErrInvalidArgument and name the term.
func ParseRunFilter(expr string) ([]FilterTerm, error) {
	words, err := splitFilter(expr)
	if err != nil {
		return nil, err
	}
	var out []FilterTerm
	for _, w := range words {
		t, err := parseTerm(w)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// splitFilter splits expr at spaces outside double quotes.
func splitFilter(expr string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inQuote, escaped := false, false
	for _, r := range expr {
		switch {
		case escaped:
			escaped = false
		case inQuote && r == '\\':
			escaped = true
		case r == '"':
			inQuote = !inQuote
		case !inQuote && (r == ' ' || r == '\t' || r == '\n'):
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
			continue
		}
		cur.WriteRune(r)
	}
	if inQuote {
		return nil, invalid("filter %q: a double quote is not closed", expr)
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out, nil
}

// parseTerm parses one COLUMN OP VALUE term.
func parseTerm(w string) (FilterTerm, error) {
	at, op, ops := -1, "", filterOps()
	for i := range len(w) {
		for _, o := range ops {
			if strings.HasPrefix(w[i:], o) {
				at, op = i, o
				break
			}
		}
		if at >= 0 {
			break
		}
	}
	if at < 0 {
		return FilterTerm{}, invalid("filter term %q: no operator, want COLUMN OP VALUE with OP one of %s", w, strings.Join(ops, " "))
	}
	t := FilterTerm{Column: w[:at], Op: op, Value: w[at+len(op):]}
	if t.Column == "" {
		return FilterTerm{}, invalid("filter term %q: no column before %s", w, op)
	}
	if strings.HasPrefix(t.Value, `"`) {
		v, err := strconv.Unquote(t.Value)
		if err != nil {
			return FilterTerm{}, invalid("filter term %q: the quoted value %s is not a Go string: %v", w, t.Value, err)
		}
		t.Value = v
	}
	kind, err := columnKindOf(t.Column)
	if err != nil {
		return FilterTerm{}, fmt.Errorf("filter term %q: %w", w, err)
	}
	ordered := op == "<" || op == "<=" || op == ">" || op == ">="
	substring := op == "~" || op == "!~"
	switch kind {
	case columnString, columnList:
		if ordered {
			return FilterTerm{}, invalid("filter term %q: %s compares numbers; %s is not numeric (use = != ~ !~)", w, op, t.Column)
		}
		if kind == columnList && substring {
			return FilterTerm{}, invalid("filter term %q: %s takes = or != (a flag the run has or has not)", w, t.Column)
		}
	case columnNumber:
		if substring {
			return FilterTerm{}, invalid("filter term %q: %s is numeric; ~ and !~ are for names and tags", w, t.Column)
		}
		x, err := strconv.ParseFloat(t.Value, 64)
		if err != nil {
			return FilterTerm{}, invalid("filter term %q: %s is numeric, %q is not a number", w, t.Column, t.Value)
		}
		t.num = x
	case columnTime:
		if substring {
			return FilterTerm{}, invalid("filter term %q: last_write is a time; ~ and !~ are for names and tags", w)
		}
		when, err := time.Parse(time.RFC3339, t.Value)
		if err != nil {
			return FilterTerm{}, invalid("filter term %q: last_write compares with an RFC 3339 time (2026-01-02T15:04:05Z), not %q", w, t.Value)
		}
		t.when = when
	}
	return t, nil
}

// ParseRunSort parses a sort specification: columns separated by commas,
// each with a leading - for decreasing order (`-last_write,name`,
// `best.validate.dice`). Errors wrap ErrInvalidArgument and name the
// column.
func ParseRunSort(spec string) ([]SortKey, error) {
	var out []SortKey
	for part := range strings.SplitSeq(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k := SortKey{Column: part}
		if c, ok := strings.CutPrefix(part, "-"); ok {
			k = SortKey{Column: c, Desc: true}
		}
		if _, err := columnKindOf(k.Column); err != nil {
			return nil, fmt.Errorf("sort %q: %w", spec, err)
		}
		out = append(out, k)
	}
	return out, nil
}

// Validate reports a negative limit or offset.
func (q RunQuery) Validate() error {
	if q.Limit < 0 {
		return invalid("limit %d: want 0 (no limit) or more", q.Limit)
	}
	if q.Offset < 0 {
		return invalid("offset %d: want 0 or more", q.Offset)
	}
	return nil
}

// Apply returns the page of sums q selects; sums is not changed.
func (q RunQuery) Apply(sums []RunSummary) (RunPage, error) {
	if err := q.Validate(); err != nil {
		return RunPage{}, err
	}
	sel := make([]RunSummary, 0, len(sums))
	for _, s := range sums {
		if q.Matches(s) {
			sel = append(sel, s)
		}
	}
	slices.SortStableFunc(sel, func(a, b RunSummary) int {
		for _, k := range q.Sort {
			if c := compareColumn(a, b, k); c != 0 {
				return c
			}
		}
		return strings.Compare(a.Run, b.Run)
	})
	page := RunPage{Total: len(sel), Offset: q.Offset, Limit: q.Limit}
	from := min(q.Offset, len(sel))
	to := len(sel)
	if q.Limit > 0 {
		to = min(from+q.Limit, to)
	}
	page.Runs = sel[from:to]
	return page, nil
}

// Matches reports whether s matches every filter term of q.
func (q RunQuery) Matches(s RunSummary) bool {
	for _, t := range q.Filter {
		if !t.matches(s) {
			return false
		}
	}
	return true
}

// matches reports whether s satisfies the term. A run without a value for
// the column (no such tag, a NaN or missing number) matches only !=
// and !~.
func (t FilterTerm) matches(s RunSummary) bool {
	negated := t.Op == "!=" || t.Op == "!~"
	kind, _ := columnKindOf(t.Column)
	switch kind {
	case columnList:
		return slices.Contains(s.Health, t.Value) != negated
	case columnString:
		v, ok := s.stringColumn(t.Column)
		if !ok {
			return negated
		}
		if t.Op == "~" || t.Op == "!~" {
			return strings.Contains(v, t.Value) != negated
		}
		return (v == t.Value) != negated
	case columnTime:
		if s.LastWrite.IsZero() {
			return negated
		}
		return compareOp(s.LastWrite.Compare(t.when), t.Op)
	}
	x := s.numberColumn(t.Column)
	if math.IsNaN(x) {
		return negated
	}
	return compareOp(cmp.Compare(x, t.num), t.Op)
}

// compareOp applies op to the result c of comparing a value with the
// term's.
func compareOp(c int, op string) bool {
	switch op {
	case "=":
		return c == 0
	case "!=":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}

// compareColumn orders a and b by column k, runs without a value last.
func compareColumn(a, b RunSummary, k SortKey) int {
	kind, _ := columnKindOf(k.Column)
	var c int
	switch kind {
	case columnString:
		va, oka := a.stringColumn(k.Column)
		vb, okb := b.stringColumn(k.Column)
		if oka != okb {
			return missingLast(oka)
		}
		c = strings.Compare(va, vb)
	case columnList:
		c = cmp.Compare(len(a.Health), len(b.Health))
	case columnTime:
		if a.LastWrite.IsZero() != b.LastWrite.IsZero() {
			return missingLast(!a.LastWrite.IsZero())
		}
		c = a.LastWrite.Compare(b.LastWrite)
	default:
		xa, xb := a.numberColumn(k.Column), b.numberColumn(k.Column)
		if math.IsNaN(xa) != math.IsNaN(xb) {
			return missingLast(!math.IsNaN(xa))
		}
		c = cmp.Compare(xa, xb)
	}
	if k.Desc {
		c = -c
	}
	return c
}

// missingLast orders a run with a value (hasA) before one without.
func missingLast(hasA bool) int {
	if hasA {
		return -1
	}
	return 1
}

// stringColumn returns the value of a string column; false when the run
// has none (a tag it does not carry).
func (s RunSummary) stringColumn(name string) (string, bool) {
	switch name {
	case "run", "name":
		return s.Run, true
	case "meta_digest":
		return s.MetaDigest, s.MetaDigest != ""
	}
	v, ok := s.Tags[strings.TrimPrefix(name, "tag.")]
	return v, ok
}

// Column returns the value of column name for display: a number in its
// shortest form, a time in RFC 3339, the health flags joined by commas;
// empty when the run has no value (NaN, no such tag, no such best).
func (s RunSummary) Column(name string) string {
	kind, err := columnKindOf(name)
	if err != nil {
		return ""
	}
	switch kind {
	case columnString:
		v, _ := s.stringColumn(name)
		return v
	case columnList:
		return strings.Join(s.Health, ",")
	case columnTime:
		if s.LastWrite.IsZero() {
			return ""
		}
		return s.LastWrite.UTC().Format(time.RFC3339)
	}
	x := s.numberColumn(name)
	if math.IsNaN(x) {
		return ""
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// numberColumn returns the value of a numeric column, NaN when the run has
// none.
func (s RunSummary) numberColumn(name string) float64 {
	switch name {
	case "trained_until":
		return float64(s.TrainedUntil)
	case "training_iterations":
		return float64(s.TrainingIterations)
	case "validated_until":
		return float64(s.ValidatedUntil)
	case "validation_iterations":
		return float64(s.ValidationIterations)
	case "last_loss":
		return s.LastLoss
	case "min_loss":
		return s.MinLoss
	case "repetition":
		if _, rep, ok := s.Repetition(); ok {
			return float64(rep)
		}
		return math.NaN()
	}
	if b, ok := s.BestOf(name); ok && b.Found {
		return b.Value
	}
	return math.NaN()
}

// BestOf returns the best line of column best.<dataset>.<criterion>.
func (s RunSummary) BestOf(column string) (Best, bool) {
	rest, ok := strings.CutPrefix(column, "best.")
	if !ok {
		return Best{}, false
	}
	for _, b := range s.Best {
		if len(rest) == len(b.Dataset)+1+len(b.Criterion) && strings.HasPrefix(rest, b.Dataset) &&
			rest[len(b.Dataset)] == '.' && strings.HasSuffix(rest, b.Criterion) {
			return b, true
		}
	}
	return Best{}, false
}

// Repetition returns the run's name without its repetition and the
// repetition: the `__<n>` suffix of the name, else the run's `repetition`
// tag (an integer; a trailing copy of it, after _, -, or ., is cut off the
// name). ok is false for a run with neither.
func (s RunSummary) Repetition() (base string, rep int, ok bool) {
	if i := strings.LastIndex(s.Run, "__"); i >= 0 && i+2 < len(s.Run) && strings.Trim(s.Run[i+2:], "0123456789") == "" {
		if n, err := strconv.Atoi(s.Run[i+2:]); err == nil {
			return s.Run[:i], n, true
		}
	}
	if v, has := s.Tags["repetition"]; has {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			base := s.Run
			if b, cut := strings.CutSuffix(base, v); cut && b != "" {
				base = strings.TrimRight(b, "_-.")
			}
			return base, n, true
		}
	}
	return s.Run, 0, false
}

// FormatRunFilter writes terms back in ParseRunFilter's syntax, quoting
// values that need it.
func FormatRunFilter(terms []FilterTerm) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		v := t.Value
		if v == "" || strings.ContainsAny(v, " \t\n\"\\") {
			v = strconv.Quote(v)
		}
		parts[i] = t.Column + t.Op + v
	}
	return strings.Join(parts, " ")
}

// FormatRunSort writes keys back in ParseRunSort's syntax.
func FormatRunSort(keys []SortKey) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.Column
		if k.Desc {
			parts[i] = "-" + k.Column
		}
	}
	return strings.Join(parts, ",")
}
