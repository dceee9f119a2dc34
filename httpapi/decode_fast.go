package httpapi

import (
	"bytes"
	"io"
	"strconv"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/jsonnan"
)

// fastBodyMax is the largest training body (by Content-Length) the server
// reads whole to try decodeTrainingFast on; larger ones, and bodies of
// unknown length, are decoded as they are read.
const fastBodyMax = 8 << 20

// decodeTrainingBody decodes the training body of a request of
// contentLength bytes (-1: unknown): whole, with decodeTrainingFast first,
// when it is at most fastBodyMax, else as it is read. The answer, and the
// error for a bad body, are decodeTrainingFrom's.
func decodeTrainingBody(body io.Reader, contentLength int64) (*statstore.TrainingStats, error) {
	if contentLength <= 0 || contentLength > fastBodyMax {
		return decodeTrainingFrom(body)
	}
	data := make([]byte, contentLength)
	n, err := io.ReadFull(body, data)
	if err != nil {
		// Short or failed: the decoder reports it as it does when streaming.
		return decodeTrainingFrom(io.MultiReader(bytes.NewReader(data[:n]), body))
	}
	return decodeTraining(data)
}

// decodeTrainingFast decodes the one shape nearly every training body has,
// the one this package's encoder and clients write:
//
//	{["run": "<name>",] "iteration_stats": [{"iteration": 0, "loss": 0.5, "time": 0.1}, ...]}
//
// (keys of an entry in any order, JSON whitespace anywhere, losses and
// times as JSON numbers or the strings "NaN", "Infinity", "-Infinity"),
// without a tokenizer: several times faster than decodeTrainingFrom, which
// a server ingesting from many writers spends most of its time in. ok is
// false for anything else (an empty list, another key, an escape, a bare
// NaN, an exact NaN payload, a number out of range, bad JSON), which
// decodeTrainingFrom then decodes, or names what is wrong with. Whenever ok
// is true, decodeTrainingFrom returns the same entries, bit for bit
// (FuzzDecodeTrainingFast checks it).
func decodeTrainingFast(data []byte) (_ *statstore.TrainingStats, ok bool) {
	p := fastParser{b: data}
	if !p.byte('{') {
		return nil, false
	}
	key, ok := p.key()
	if ok && string(key) == "run" {
		if _, ok = p.plainString(); !ok || !p.byte(',') {
			return nil, false
		}
		key, ok = p.key()
	}
	if !ok || string(key) != "iteration_stats" || !p.byte('[') {
		return nil, false
	}
	// Each entry takes at least 40 bytes: a first guess at the count.
	out := make([]statstore.TrainingIterationStats, 0, len(data)/40+1)
	for {
		e, ok := p.entry()
		if !ok {
			return nil, false
		}
		out = append(out, e)
		if p.byte(']') {
			break
		}
		if !p.byte(',') {
			return nil, false
		}
	}
	if !p.byte('}') {
		return nil, false
	}
	p.space()
	if p.i != len(p.b) {
		return nil, false
	}
	return &statstore.TrainingStats{IterationStats: out}, true
}

// fastParser reads a byte slice for decodeTrainingFast.
type fastParser struct {
	b []byte
	i int
}

// space skips JSON whitespace.
func (p *fastParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// byte skips whitespace and c, reporting whether c was there.
func (p *fastParser) byte(c byte) bool {
	p.space()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// plainString reads a string without escapes, control characters or
// non-ASCII bytes (anything else is left to the full decoder).
func (p *fastParser) plainString() (string, bool) {
	b, ok := p.plainBytes()
	return string(b), ok
}

// plainBytes is plainString's bytes, in the parser's slice.
func (p *fastParser) plainBytes() ([]byte, bool) {
	if !p.byte('"') {
		return nil, false
	}
	start := p.i
	for ; p.i < len(p.b); p.i++ {
		switch c := p.b[p.i]; {
		case c == '"':
			b := p.b[start:p.i]
			p.i++
			return b, true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return nil, false
		}
	}
	return nil, false
}

// key reads an object key and its colon.
func (p *fastParser) key() ([]byte, bool) {
	k, ok := p.plainBytes()
	return k, ok && p.byte(':')
}

// entry reads {"iteration": n, "loss": f, "time": f}, keys in any order,
// each exactly once.
func (p *fastParser) entry() (e statstore.TrainingIterationStats, ok bool) {
	if !p.byte('{') {
		return e, false
	}
	var seen [3]bool
	for k := 0; k < 3; k++ {
		if k > 0 && !p.byte(',') {
			return e, false
		}
		name, ok := p.key()
		if !ok {
			return e, false
		}
		switch string(name) {
		case "iteration":
			if seen[0] {
				return e, false
			}
			seen[0] = true
			e.Iteration, ok = p.integer()
		case "loss":
			if seen[1] {
				return e, false
			}
			seen[1] = true
			e.Loss, ok = p.float()
		case "time":
			if seen[2] {
				return e, false
			}
			seen[2] = true
			e.Time, ok = p.float()
		default:
			return e, false
		}
		if !ok {
			return e, false
		}
	}
	return e, p.byte('}')
}

// number reads a JSON number, returning its bytes and whether it is an
// integer (no fraction, no exponent).
func (p *fastParser) number() (num []byte, integer, ok bool) {
	p.space()
	start, b := p.i, p.b
	i := p.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return nil, false, false
	}
	integer = true
	if i < len(b) && b[i] == '.' {
		integer = false
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return nil, false, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		integer = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return nil, false, false
		}
	}
	p.i = i
	return b[start:i], integer, true
}

// integer reads an iteration: a JSON integer within int's range.
func (p *fastParser) integer() (int, bool) {
	num, integer, ok := p.number()
	if !ok || !integer {
		return 0, false
	}
	n, err := strconv.ParseInt(string(num), 10, 0)
	return int(n), err == nil
}

// float reads a loss or time: a JSON number within float64's range, or
// "NaN", "Infinity", "-Infinity".
func (p *fastParser) float() (float64, bool) {
	p.space()
	if p.i < len(p.b) && p.b[p.i] == '"' {
		s, ok := p.plainBytes()
		switch {
		case !ok:
			return 0, false
		case string(s) == jsonnan.NaN:
			return jsonnan.ParseNonFinite(jsonnan.NaN)
		case string(s) == jsonnan.PosInf:
			return jsonnan.ParseNonFinite(jsonnan.PosInf)
		case string(s) == jsonnan.NegInf:
			return jsonnan.ParseNonFinite(jsonnan.NegInf)
		}
		return 0, false
	}
	num, _, ok := p.number()
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(string(num), 64)
	return v, err == nil
}
