package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/jsonnan"
)

// The decoders of request bodies (also used by the client for the matching
// responses). They never panic: bad input is an error with code
// malformed_json (not JSON, or JSON of the wrong types) or invalid_argument
// (well-formed but missing or invalid fields). Order, duplicates and shapes
// are left to the store, which checks them with the same rules for every
// backend.

const (
	trainingShape   = `{"iteration_stats": [{"iteration": 0, "loss": 0.5, "time": 0.1}, ...]}`
	validationShape = `{"datasets": [...], "parameters": [...], "criteria": "preset" or [...], "scores": [{"iteration": 0, "scores": [[[...]]]}, ...]}`
)

// decodeTraining decodes a training body into the stats of one
// StoreTrainingStats call: decodeTrainingFast when the body has its shape,
// else decodeTrainingFrom.
func decodeTraining(data []byte) (*statstore.TrainingStats, error) {
	if stats, ok := decodeTrainingFast(data); ok {
		return stats, nil
	}
	return decodeTrainingFrom(bytes.NewReader(data))
}

// decodeSubsample decodes the server's answer to a subsample request:
// {"run", "iteration_stats", "non_finite"}.
func decodeSubsample(data []byte) (*statstore.TrainingSubsample, error) {
	var body struct {
		Run            string          `json:"run"`
		IterationStats []trainingEntry `json:"iteration_stats"`
		NonFinite      *nonFiniteWire  `json:"non_finite"`
	}
	if err := json.Unmarshal(data, &body, json.RejectUnknownMembers(true)); err != nil {
		return nil, err
	}
	if body.NonFinite == nil {
		return nil, errors.New(`no "non_finite" in the answer to a subsample request (a server older than this client?)`)
	}
	nf := body.NonFinite
	out := &statstore.TrainingSubsample{Points: make([]statstore.TrainingIterationStats, len(body.IterationStats)),
		NaN: nf.NaN, PosInf: nf.PosInf, NegInf: nf.NegInf, Checked: nf.Checked, Complete: nf.Complete}
	for i, e := range body.IterationStats {
		if e.Iteration == nil || e.Loss == nil || e.Time == nil {
			return nil, fmt.Errorf("iteration_stats[%d]: want iteration, loss and time", i)
		}
		out.Points[i] = statstore.TrainingIterationStats{Iteration: *e.Iteration, Loss: float64(*e.Loss), Time: float64(*e.Time)}
	}
	for i, sp := range nf.Spans {
		if l := float64(sp.Loss); !math.IsNaN(l) && !math.IsInf(l, 0) || sp.Count < 1 || sp.To < sp.From {
			return nil, fmt.Errorf("non_finite.spans[%d] = %+v: want a NaN or infinite loss over from <= to, count >= 1", i, sp)
		}
		out.NonFinite = append(out.NonFinite, statstore.NonFiniteSpan{From: sp.From, To: sp.To, Loss: float64(sp.Loss), Count: sp.Count})
	}
	return out, nil
}

// decodeTrainingFrom decodes a training body as it is read: the body is not
// held in memory, only the entries decoded from it. Keys are matched
// exactly; unknown and duplicate keys, numbers written as strings and
// trailing data are errors.
func decodeTrainingFrom(rd io.Reader) (*statstore.TrainingStats, error) {
	d := jsontext.NewDecoder(jsonnan.NewReader(rd))
	stats := &statstore.TrainingStats{}
	err := readObject(d, named("the body"), trainingShape, func(name string) error {
		switch name {
		case "iteration_stats":
			return readArray(d, named("iteration_stats"), trainingShape, func(i int) error {
				e, err := readTrainingEntry(d, i)
				if err == nil {
					stats.IterationStats = append(stats.IterationStats, e)
				}
				return err
			})
		case "run": // in the server's answers, which the client decodes
			_, err := readString(d, named("run"))
			return err
		}
		return unknownKey(name, "the body", `"iteration_stats"`)
	})
	if err == nil {
		err = readEnd(d)
	}
	if err != nil {
		return nil, bodyError(err, trainingShape)
	}
	return stats, nil
}

// readTrainingEntry reads iteration_stats[i].
func readTrainingEntry(d *jsontext.Decoder, i int) (statstore.TrainingIterationStats, error) {
	var e statstore.TrainingIterationStats
	var hasIter, hasLoss, hasTime bool
	where := element("iteration_stats", i)
	err := readObject(d, where, `{"iteration": 0, "loss": 0.5, "time": 0.1}`, func(name string) error {
		var err error
		switch name {
		case "iteration":
			e.Iteration, err = readIteration(d, where.key("iteration"))
			hasIter = true
		case "loss":
			e.Loss, err = readFloat(d, where.key("loss"))
			hasLoss = true
		case "time":
			e.Time, err = readFloat(d, where.key("time"))
			hasTime = true
		case "run_name": // DaCapo's document shape
			_, err = readString(d, where.key("run_name"))
		default:
			err = unknownKey(name, where.String(), `"iteration", "loss", "time" (and "run_name")`)
		}
		return err
	})
	if err != nil {
		return e, err
	}
	var missing []string
	if !hasIter {
		missing = append(missing, `"iteration"`)
	}
	if !hasLoss {
		missing = append(missing, `"loss"`)
	}
	if !hasTime {
		missing = append(missing, `"time"`)
	}
	if len(missing) > 0 {
		return e, fmt.Errorf("%s has no %s, want %s: %w", where, strings.Join(missing, " or "), trainingShape, statstore.ErrInvalidArgument)
	}
	return e, nil
}

// shapeError is a decoding error in the API's words; bodyError turns it
// into a malformed_json request error.
type shapeError struct{ msg string }

func (e *shapeError) Error() string { return e.msg }

func decodeErrorf(format string, args ...any) error {
	return &shapeError{msg: fmt.Sprintf(format, args...)}
}

// bodyError maps an error of the decoders to the error the server answers:
// limits and the store's sentinels as they are, the rest malformed_json
// naming what was wrong and the expected shape.
func bodyError(err error, shape string) error {
	var tooLarge *http.MaxBytesError
	var req *requestError
	var dec *shapeError
	var sem *json.SemanticError
	switch {
	case errors.As(err, &tooLarge), errors.As(err, &req):
		return err
	case errors.As(err, &sem):
	case errors.As(err, &dec):
		return newRequestError(codeMalformedJSON, "malformed JSON request body: %s; want %s", dec.msg, shape)
	case errors.Is(err, statstore.ErrInvalidArgument):
		return err
	}
	return newRequestError(codeMalformedJSON, "malformed JSON request body: %s; want %s", jsonMessage(err), shape)
}

// jsonMessage makes an error of the JSON packages readable: what was wrong,
// where (as a path like iteration_stats[3].loss) and at which byte offset,
// without Go type names.
func jsonMessage(err error) string { return jsonMessageAt(err, "") }

// jsonMessageAt is jsonMessage for a value decoded on its own at path root
// ("criteria"; "" for the body).
func jsonMessageAt(err error, root string) string {
	var syn *jsontext.SyntacticError
	var sem *json.SemanticError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the body ends in the middle of a JSON value (truncated?)"
	case errors.As(err, &syn):
		where := jsonPath(root, syn.JSONPointer)
		if errors.Is(err, jsontext.ErrDuplicateName) {
			return fmt.Sprintf("duplicate key %q in %s (at byte offset %d)", syn.JSONPointer.LastToken(), jsonPath(root, syn.JSONPointer.Parent()), syn.ByteOffset)
		}
		msg := strings.TrimPrefix(fmt.Sprint(syn.Err), "jsontext: ")
		if where != "the body" {
			msg += " in " + where
		}
		return fmt.Sprintf("%s (at byte offset %d)", msg, syn.ByteOffset)
	case errors.As(err, &sem):
		where := jsonPath(root, sem.JSONPointer)
		if errors.Is(err, json.ErrUnknownName) {
			return fmt.Sprintf("unknown key %q in %s", sem.JSONPointer.LastToken(), jsonPath(root, sem.JSONPointer.Parent()))
		}
		if sem.Err != nil { // from a value's own decoder, or a number out of range
			msg := sem.Err.Error()
			for _, prefix := range []string{"json: ", "jsonnan: ", "strconv.ParseInt: "} {
				msg = strings.TrimPrefix(msg, prefix)
			}
			return where + ": " + msg
		}
		if sem.JSONKind != 0 {
			return fmt.Sprintf("%s is %s, want %s", where, kindName(sem.JSONKind), goTypeName(sem.GoType))
		}
	}
	return strings.TrimPrefix(strings.TrimPrefix(err.Error(), "json: "), "jsontext: ")
}

// jsonPath writes a JSON pointer under root as a path: /scores/0/iteration
// is scores[0].iteration; the empty pointer is root, or "the body".
func jsonPath(root string, p jsontext.Pointer) string {
	var b strings.Builder
	b.WriteString(root)
	for tok := range p.Tokens() {
		if _, err := strconv.Atoi(tok); err == nil {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	if b.Len() == 0 {
		return "the body"
	}
	return b.String()
}

// kindName names a JSON kind for a message.
func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '{':
		return "an object"
	case '[':
		return "a list"
	}
	return "a JSON value"
}

// goTypeName names what a Go type expects, in JSON's words.
func goTypeName(t reflect.Type) string {
	if t == nil {
		return "another JSON value"
	}
	switch t {
	case reflect.TypeFor[wireFloat](), reflect.TypeFor[*wireFloat]():
		return `a number (or "NaN", "Infinity", "-Infinity")`
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64:
		return "an integer"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "another JSON value"
}

// unknownKey is the error of a key the shape does not have.
func unknownKey(name, where, want string) error {
	return decodeErrorf("unknown key %q in %s, want %s", truncateString(name, 100), where, want)
}

// readObject reads an object, calling member for each key with the decoder
// before the key's value; member must read the value.
func readObject(d *jsontext.Decoder, where where, shape string, member func(name string) error) error {
	tok, err := d.ReadToken()
	if err != nil {
		if err == io.EOF {
			return decodeErrorf("the request body is empty")
		}
		return err
	}
	if tok.Kind() != '{' {
		return decodeErrorf("%s is %s, want an object %s", where, kindName(tok.Kind()), shape)
	}
	for {
		switch d.PeekKind() {
		case '}':
			_, err := d.ReadToken()
			return err
		case 0: // an error
			_, err := d.ReadToken()
			return err
		}
		name, err := d.ReadToken()
		if err != nil {
			return err
		}
		if err := member(name.String()); err != nil {
			return err
		}
	}
}

// readArray reads a list, calling elem for each element.
func readArray(d *jsontext.Decoder, where where, shape string, elem func(i int) error) error {
	tok, err := d.ReadToken()
	if err != nil {
		return err
	}
	if tok.Kind() == 'n' {
		return nil // null: no entries
	}
	if tok.Kind() != '[' {
		return decodeErrorf("%s is %s, want a list", where, kindName(tok.Kind()))
	}
	for i := 0; ; i++ {
		switch d.PeekKind() {
		case ']':
			_, err := d.ReadToken()
			return err
		case 0:
			_, err := d.ReadToken()
			return err
		}
		if err := elem(i); err != nil {
			return err
		}
	}
}

// readEnd checks that nothing follows the body's value.
func readEnd(d *jsontext.Decoder) error {
	if _, err := d.ReadToken(); err != io.EOF {
		if err != nil {
			return err
		}
		return decodeErrorf("unexpected data after the JSON value (at byte offset %d)", d.InputOffset())
	}
	return nil
}

// readIteration reads a non-negative integer (negative ones are left to the
// store, which names them).
func readIteration(d *jsontext.Decoder, where where) (int, error) {
	v, err := d.ReadValue()
	if err != nil {
		return 0, err
	}
	if v.Kind() != '0' {
		return 0, decodeErrorf("%s is %s (%s), want an integer", where, kindName(v.Kind()), truncateString(string(v), 40))
	}
	n, err := strconv.ParseInt(string(v), 10, 0)
	if err != nil {
		return 0, decodeErrorf("%s is %s, want an integer from 0 to %d", where, truncateString(string(v), 40), math.MaxInt)
	}
	return int(n), nil
}

// readFloat reads a number or one of the non-finite strings.
func readFloat(d *jsontext.Decoder, where where) (float64, error) {
	v, err := d.ReadValue()
	if err != nil {
		return 0, err
	}
	if k := v.Kind(); k != '0' && k != '"' {
		return 0, decodeErrorf("%s is %s, want a number (or \"NaN\", \"Infinity\", \"-Infinity\")", where, kindName(k))
	}
	var f wireFloat
	if err := f.UnmarshalJSON(v); err != nil {
		return 0, decodeErrorf("%s: %s", where, strings.TrimPrefix(err.Error(), "jsonnan: "))
	}
	return float64(f), nil
}

// readString reads a string.
func readString(d *jsontext.Decoder, where where) (string, error) {
	tok, err := d.ReadToken()
	if err != nil {
		return "", err
	}
	if tok.Kind() != '"' {
		return "", decodeErrorf("%s is %s, want a string", where, kindName(tok.Kind()))
	}
	return tok.String(), nil
}

// strict are the options of the validation decoder: exact key names, no
// unknown keys (duplicate keys and invalid UTF-8 are refused by default).
func strict() json.Options {
	return json.RejectUnknownMembers(true)
}

// decodeValidation decodes a validation body into the scores of one
// StoreValidationIterationScores call. The metadata is validated; the scores
// are checked by the store.
func decodeValidation(data []byte) (*statstore.ValidationScores, error) {
	return decodeValidationFrom(bytes.NewReader(data))
}

// decodeValidationFrom decodes a validation body as it is read.
func decodeValidationFrom(rd io.Reader) (*statstore.ValidationScores, error) {
	var body validationBody
	if err := json.UnmarshalRead(jsonnan.NewReader(rd), &body, strict()); err != nil {
		if errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			err = decodeErrorf("the request body is empty")
		}
		return nil, bodyError(err, validationShape)
	}
	crit, err := decodeCriteria(body.Criteria)
	if err != nil {
		return nil, err
	}
	meta := statstore.Metadata{Datasets: emptyToNil(body.Datasets), Parameters: emptyToNil(body.Parameters), EvaluationScores: crit}
	if err := meta.Validate(); err != nil {
		return nil, fmt.Errorf("validation metadata: %w", err)
	}
	out := &statstore.ValidationScores{Metadata: meta, Scores: make([]statstore.ValidationIterationScores, len(body.Scores))}
	for i, e := range body.Scores {
		if e.Iteration == nil {
			return nil, fmt.Errorf("scores[%d] has no \"iteration\", want {\"iteration\": 0, \"scores\": [[[...]]]}: %w", i, statstore.ErrInvalidArgument)
		}
		out.Scores[i] = statstore.ValidationIterationScores{Iteration: *e.Iteration, Scores: fromWireScores(e.Scores), Superseded: e.Superseded}
	}
	return out, nil
}

// decodeCriteria reads "criteria": a preset name or a list of criteria.
func decodeCriteria(raw []byte) ([]statstore.Criterion, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, fmt.Errorf("\"criteria\" is missing: want a preset name (%s) or a list of {\"name\", \"higher_is_better\", \"bounds\", \"store_best\"}: %w",
			strings.Join(statstore.PresetNames(), ", "), statstore.ErrInvalidArgument)
	}
	var preset string
	if json.Unmarshal(raw, &preset) == nil {
		c, err := statstore.Preset(preset)
		if err != nil {
			return nil, fmt.Errorf("criteria: %w", err)
		}
		return c, nil
	}
	var list []criterionWire
	if err := json.Unmarshal(raw, &list, strict()); err != nil {
		return nil, newRequestError(codeMalformedJSON, "malformed JSON request body: %s; want a preset name or a list of {\"name\", \"higher_is_better\", \"bounds\": [lower, upper], \"store_best\"}", jsonMessageAt(err, "criteria"))
	}
	out := make([]statstore.Criterion, len(list))
	for i, c := range list {
		if len(c.Bounds) != 0 && len(c.Bounds) != 2 {
			return nil, fmt.Errorf("criterion %q: bounds hold %d values, want [lower, upper] (null or NaN for an open bound): %w", c.Name, len(c.Bounds), statstore.ErrInvalidArgument)
		}
		out[i] = statstore.Criterion{Name: c.Name, HigherIsBetter: c.HigherIsBetter, StoreBest: c.StoreBest, DirectionUnknown: c.DirectionUnknown}
		if len(c.Bounds) == 2 {
			out[i].Bounds = statstore.Bounds{Lower: openBound(c.Bounds[0]), Upper: openBound(c.Bounds[1])}
		}
	}
	return emptyToNil(out), nil
}

// openBound maps null and NaN (DaCapo's open bound) to an open bound.
func openBound(f *wireFloat) *float64 {
	if f == nil || math.IsNaN(float64(*f)) {
		return nil
	}
	v := float64(*f)
	return &v
}

func fromWireScores(w [][][]wireFloat) [][][]float64 {
	if w == nil {
		return nil
	}
	out := make([][][]float64, len(w))
	for d, ds := range w {
		out[d] = make([][]float64, len(ds))
		for p, ps := range ds {
			row := make([]float64, len(ps))
			for c, v := range ps {
				row[c] = float64(v)
			}
			out[d][p] = row
		}
	}
	return out
}

func emptyToNil[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}
