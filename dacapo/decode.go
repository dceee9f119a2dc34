package dacapo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"

	pickle "github.com/kisielk/og-rek"

	"github.com/statstore/statstore"
)

// DefaultMaxFileSize is the largest pickle Open reads when Options.MaxFileSize
// is 0: 64 MiB, about two million training iterations.
const DefaultMaxFileSize = 64 << 20

// Document keys, as DaCapo's converter writes them.
const (
	keyIteration = "iteration"
	keyLoss      = "loss"
	keyTime      = "time"
	keyScores    = "scores"
	keyRunName   = "run_name"
)

// decodeError is a pickle that decodes but is not a DaCapo document list.
type decodeError struct {
	Offset int64 // -1 when unknown
	Reason string
}

func (e *decodeError) Error() string { return e.Reason }

func malformed(format string, args ...any) error {
	return &decodeError{Offset: -1, Reason: fmt.Sprintf(format, args...)}
}

// decodeValue checks data with the scanner and decodes it with og-rek.
func decodeValue(ctx context.Context, data []byte) (any, error) {
	norm, _, err := scanPickle(ctx, data)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		var se *scanError
		if errors.As(err, &se) {
			return nil, &decodeError{Offset: se.Offset, Reason: se.Reason}
		}
		return nil, err
	}
	v, err := pickle.NewDecoderWithConfig(bytes.NewReader(norm), &pickle.DecoderConfig{}).Decode()
	if err != nil {
		return nil, malformed("pickle does not decode: %v", err)
	}
	return v, nil
}

// trainingDoc is one decoded training document.
type trainingDoc struct {
	stats   statstore.TrainingIterationStats
	runName string // "" when the document has none
}

// validationDoc is one decoded validation document.
type validationDoc struct {
	scores  statstore.ValidationIterationScores
	runName string
}

// decodeTraining decodes a training_stats pickle: a list of
// {"iteration", "loss", "time", "run_name"} documents. The fast decoder
// reads the pickles Python writes for DaCapo; anything else takes the
// general path (the scanner and og-rek), which also names what is wrong.
func decodeTraining(ctx context.Context, data []byte) ([]trainingDoc, error) {
	docs, _, ok, err := decodeFast(ctx, data, false)
	if ok || err != nil {
		return docs, err
	}
	return decodeTrainingGeneral(ctx, data)
}

// decodeValidation is decodeTraining for a validation_scores pickle: a
// list of {"iteration", "scores", "run_name"} documents, scores nested
// [dataset][parameter set][criterion].
func decodeValidation(ctx context.Context, data []byte) ([]validationDoc, error) {
	_, docs, ok, err := decodeFast(ctx, data, true)
	if ok || err != nil {
		return docs, err
	}
	return decodeValidationGeneral(ctx, data)
}

// decodeTrainingGeneral decodes a training pickle with the scanner and
// og-rek.
func decodeTrainingGeneral(ctx context.Context, data []byte) ([]trainingDoc, error) {
	docs, err := decodeDocuments(ctx, data, newBudget(data))
	if err != nil {
		return nil, err
	}
	out := make([]trainingDoc, len(docs))
	for i, d := range docs {
		if err := checkKeys(d, keyIteration, keyLoss, keyTime); err != nil {
			return nil, entryError(i, err)
		}
		var doc trainingDoc
		if doc.stats.Iteration, err = toIteration(d[keyIteration]); err != nil {
			return nil, entryError(i, fmt.Errorf("%s: %w", keyIteration, err))
		}
		if doc.stats.Loss, err = toFloat(d[keyLoss]); err != nil {
			return nil, entryError(i, fmt.Errorf("%s: %w", keyLoss, err))
		}
		if doc.stats.Time, err = toFloat(d[keyTime]); err != nil {
			return nil, entryError(i, fmt.Errorf("%s: %w", keyTime, err))
		}
		if doc.runName, err = toRunName(d); err != nil {
			return nil, entryError(i, err)
		}
		out[i] = doc
	}
	return out, nil
}

// decodeValidationGeneral decodes a validation pickle with the scanner and
// og-rek.
func decodeValidationGeneral(ctx context.Context, data []byte) ([]validationDoc, error) {
	budget := newBudget(data)
	docs, err := decodeDocuments(ctx, data, budget)
	if err != nil {
		return nil, err
	}
	out := make([]validationDoc, len(docs))
	for i, d := range docs {
		if err := checkKeys(d, keyIteration, keyScores); err != nil {
			return nil, entryError(i, err)
		}
		var doc validationDoc
		if doc.scores.Iteration, err = toIteration(d[keyIteration]); err != nil {
			return nil, entryError(i, fmt.Errorf("%s: %w", keyIteration, err))
		}
		if doc.scores.Scores, err = toScores(d[keyScores], budget); err != nil {
			return nil, entryError(i, fmt.Errorf("%s: %w", keyScores, err))
		}
		if doc.runName, err = toRunName(d); err != nil {
			return nil, entryError(i, err)
		}
		out[i] = doc
	}
	return out, nil
}

func entryError(i int, err error) error {
	return malformed("entry %d: %v", i, err)
}

// budget bounds the memory the documents decoded from a pickle take, in
// bytes, as the scanner bounds og-rek's: dicts shared through the memo
// (og-rek shares them by reference) are copied once per document and their
// scores once per reference, so a pickle sharing them again and again
// fails here instead of taking memory far beyond its decoded size.
type budget struct{ left int64 }

// Costs, in bytes, of what the document decoders allocate.
const (
	costDocKey    = 48 // a key and its value in a document's map
	costScoreList = 24 // a slice header
	costScore     = 8  // a float64
)

func newBudget(data []byte) *budget {
	return &budget{left: memBudgetBase + memBudgetPerByte*int64(len(data))}
}

func (b *budget) spend(n int, cost int64) error {
	if b.left -= int64(n) * cost; b.left < 0 {
		return errors.New("the documents repeat shared values (memo references) far beyond the file's size (billion laughs?)")
	}
	return nil
}

// decodeDocuments decodes data into a list of dicts with str keys.
func decodeDocuments(ctx context.Context, data []byte, b *budget) ([]map[string]any, error) {
	v, err := decodeValue(ctx, data)
	if err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok {
		return nil, malformed("the top-level value has type %s, want a list of documents", pyType(v))
	}
	out := make([]map[string]any, len(list))
	for i, e := range list {
		m, ok := e.(map[any]any)
		if !ok {
			return nil, malformed("entry %d has type %s, want dict", i, pyType(e))
		}
		if err := b.spend(len(m), costDocKey); err != nil {
			return nil, entryError(i, err)
		}
		doc := make(map[string]any, len(m))
		for k, v := range m {
			ks, ok := k.(string)
			if !ok {
				return nil, malformed("entry %d has a key of type %s, want str", i, pyType(k))
			}
			doc[ks] = v
		}
		out[i] = doc
	}
	return out, nil
}

// checkKeys fails unless d has the required keys and, besides them, at most
// run_name.
func checkKeys(d map[string]any, required ...string) error {
	for _, k := range required {
		if _, ok := d[k]; !ok {
			return fmt.Errorf("missing key %q, want keys %q (and %q)", k, required, keyRunName)
		}
	}
	for k := range d {
		known := k == keyRunName
		for _, r := range required {
			known = known || k == r
		}
		if !known {
			return fmt.Errorf("unexpected key %q, want keys %q (and %q)", k, required, keyRunName)
		}
	}
	return nil
}

func toRunName(d map[string]any) (string, error) {
	v, ok := d[keyRunName]
	if !ok {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s has type %s, want str", keyRunName, pyType(v))
	}
	return s, nil
}

// toIteration accepts a non-negative Python int that fits an int.
func toIteration(v any) (int, error) {
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case *big.Int:
		if !x.IsInt64() {
			return 0, fmt.Errorf("%s is too large, want an iteration number", x)
		}
		n = x.Int64()
	default:
		return 0, fmt.Errorf("has type %s, want int", pyType(v))
	}
	if n < 0 || n > math.MaxInt {
		return 0, fmt.Errorf("%d, want an int >= 0", n)
	}
	return int(n), nil
}

// toFloat accepts a Python float, a Python int (as float() converts it) or a
// numpy.float64 scalar.
func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case int64:
		return float64(x), nil
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		if math.IsInf(f, 0) {
			return 0, fmt.Errorf("int %s is too large for a float", x)
		}
		return f, nil
	case pickle.Call:
		return numpyFloat64(x)
	}
	return 0, fmt.Errorf("has type %s, want float", pyType(v))
}

// toScores accepts a list (datasets) of lists (parameter sets) of lists
// (criteria) of floats.
func toScores(v any, b *budget) ([][][]float64, error) {
	ds, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("has type %s, want a list of datasets", pyType(v))
	}
	if err := b.spend(len(ds), costScoreList); err != nil {
		return nil, err
	}
	out := make([][][]float64, len(ds))
	for i, d := range ds {
		ps, ok := d.([]any)
		if !ok {
			return nil, fmt.Errorf("dataset %d has type %s, want a list of parameter sets", i, pyType(d))
		}
		if err := b.spend(len(ps), costScoreList); err != nil {
			return nil, err
		}
		out[i] = make([][]float64, len(ps))
		for j, p := range ps {
			cs, ok := p.([]any)
			if !ok {
				return nil, fmt.Errorf("dataset %d, parameter set %d has type %s, want a list of criterion scores", i, j, pyType(p))
			}
			if err := b.spend(len(cs), costScore); err != nil {
				return nil, err
			}
			out[i][j] = make([]float64, len(cs))
			for k, c := range cs {
				f, err := toFloat(c)
				if err != nil {
					return nil, fmt.Errorf("dataset %d, parameter set %d, criterion %d: %w", i, j, k, err)
				}
				out[i][j][k] = f
			}
		}
	}
	return out, nil
}

// pyType names the Python type of a decoded value, for error messages.
func pyType(v any) string {
	switch x := v.(type) {
	case nil, pickle.None:
		return "None"
	case bool:
		return "bool"
	case int64, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case pickle.Bytes, pickle.ByteString:
		return "bytes"
	case []byte:
		return "bytearray"
	case []any:
		return "list"
	case pickle.Tuple:
		return "tuple"
	case map[any]any:
		return "dict"
	case pickle.Class:
		return "global " + x.Module + "." + x.Name
	case pickle.Call:
		return "call of " + x.Callable.Module + "." + x.Callable.Name
	}
	return fmt.Sprintf("%T", v)
}
