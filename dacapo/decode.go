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
	"github.com/statstore/statstore/internal/bytesize"
)

// DefaultMemoryBudget is the memory budget when Options.MemoryBudget is 0:
// 4 GiB, enough for a training pickle of some 25 million iterations (a
// DaCapo training pickle takes about 46 bytes per iteration with numpy
// losses, and reading it holds about fastHeldRatio times its size).
const DefaultMemoryBudget int64 = 4 << 30

// fastHeldRatio is about how many times its size reading a DaCapo
// pickle holds: the file and the fast decoder's memo and documents.
const fastHeldRatio = 4

// BudgetError is a pickle that reading would need more memory for than the
// memory budget (Options.MemoryBudget) allows. It is no damage: raise the
// budget to read the file.
type BudgetError struct {
	// Path is the pickle's path.
	Path string
	// Size is the file's size, Need an estimate of the bytes reading it
	// holds at most (the file and what decoding it makes), Budget the
	// memory budget in force; all in bytes.
	Size, Need, Budget int64
}

// Error names the file, what it would need and the budget.
func (e *BudgetError) Error() string {
	return fmt.Sprintf("dacapo: reading %s (%s) would need about %s of memory, more than the memory budget of %s",
		e.Path, bytesize.Format(e.Size), bytesize.Format(e.Need), bytesize.Format(e.Budget))
}

// overBudget is a decode stopped by the memory budget, before the caller
// names the file (Store turns it into a *BudgetError).
type overBudget struct{ size, need, budget int64 }

func (e *overBudget) Error() string {
	return fmt.Sprintf("decoding would need about %s of memory, more than the memory budget of %s", bytesize.Format(e.need), bytesize.Format(e.budget))
}

// limit is how much memory, as the scanner estimates it, a decode of one
// pickle may spend beyond the file's own bytes: the smaller of what any
// DaCapo file of that size can need (memBudgetBase plus memBudgetPerByte
// per byte; more is a hostile pickle, refused as damage) and what the
// memory budget leaves once the file is read (more is a budget error).
// It also carries the progress callback: progress, when set, is called
// with the bytes of the file decoded so far, as often as the context is
// checked.
type limit struct {
	max        int64 // the scanner's limit: the smaller of ratio and the budget's
	ratio      int64 // what a DaCapo file of this size may need at most
	size       int64
	budget     int64
	fromBudget bool // max is the budget's, not the file size's
	progress   func(done int)
}

func newLimit(size int, memBudget int64) limit {
	if memBudget <= 0 {
		memBudget = DefaultMemoryBudget
	}
	ratio := memBudgetBase + memBudgetPerByte*int64(size)
	l := limit{max: ratio, ratio: ratio, size: int64(size), budget: memBudget}
	if left := memBudget - int64(size); left < l.max {
		l.max, l.fromBudget = max(left, 0), true
	}
	return l
}

// exceeded is the error for a decode that spent more than l.max after
// reading pos bytes of the file: an *overBudget when the budget set the
// limit, else nil (the caller names the damage).
func (l limit) exceeded(spent int64, pos int) error {
	if !l.fromBudget {
		return nil
	}
	return l.need(spent, pos)
}

// need is the *overBudget of a decode that holds held bytes after reading
// pos bytes of the file, with what the whole file would need at that
// rate.
func (l limit) need(held int64, pos int) error {
	need := held
	if pos > 0 && int64(pos) < l.size {
		need = int64(float64(held) * float64(l.size) / float64(pos))
	}
	return &overBudget{size: l.size, need: l.size + need, budget: l.budget}
}

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
func decodeValue(ctx context.Context, data []byte, lim limit) (any, error) {
	norm, _, err := scanPickle(ctx, data, lim)
	if err != nil {
		var ob *overBudget
		if ctx.Err() != nil || errors.As(err, &ob) {
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
func decodeTraining(ctx context.Context, data []byte, lim limit) ([]trainingDoc, error) {
	docs, _, ok, err := decodeFast(ctx, data, false, lim)
	if ok || err != nil {
		return docs, err
	}
	return decodeTrainingGeneral(ctx, data, lim)
}

// decodeValidation is decodeTraining for a validation_scores pickle: a
// list of {"iteration", "scores", "run_name"} documents, scores nested
// [dataset][parameter set][criterion].
func decodeValidation(ctx context.Context, data []byte, lim limit) ([]validationDoc, error) {
	_, docs, ok, err := decodeFast(ctx, data, true, lim)
	if ok || err != nil {
		return docs, err
	}
	return decodeValidationGeneral(ctx, data, lim)
}

// decodeTrainingGeneral decodes a training pickle with the scanner and
// og-rek.
func decodeTrainingGeneral(ctx context.Context, data []byte, lim limit) ([]trainingDoc, error) {
	docs, err := decodeDocuments(ctx, data, newBudget(lim), lim)
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
func decodeValidationGeneral(ctx context.Context, data []byte, lim limit) ([]validationDoc, error) {
	budget := newBudget(lim)
	docs, err := decodeDocuments(ctx, data, budget, lim)
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
	var ob *overBudget
	if errors.As(err, &ob) {
		return ob // no damage: the budget stopped the decode
	}
	return malformed("entry %d: %v", i, err)
}

// budget bounds the memory the documents decoded from a pickle take, in
// bytes, as the scanner bounds og-rek's: dicts shared through the memo
// (og-rek shares them by reference) are copied once per document and their
// scores once per reference, so a pickle sharing them again and again
// fails here instead of taking memory far beyond its decoded size.
type budget struct {
	left int64
	lim  limit
}

// Costs, in bytes, of what the document decoders allocate.
const (
	costDocKey    = 48 // a key and its value in a document's map
	costScoreList = 24 // a slice header
	costScore     = 8  // a float64
)

func newBudget(lim limit) *budget {
	return &budget{left: lim.max, lim: lim}
}

func (b *budget) spend(n int, cost int64) error {
	if b.left -= int64(n) * cost; b.left < 0 {
		if err := b.lim.exceeded(b.lim.max-b.left, int(b.lim.size)); err != nil {
			return err
		}
		return errors.New("the documents repeat shared values (memo references) far beyond the file's size (billion laughs?)")
	}
	return nil
}

// decodeDocuments decodes data into a list of dicts with str keys.
func decodeDocuments(ctx context.Context, data []byte, b *budget, lim limit) ([]map[string]any, error) {
	v, err := decodeValue(ctx, data, lim)
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
