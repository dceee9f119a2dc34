package jsonnan

import "io"

// nanReader rewrites a stream as Sanitize rewrites a slice (see NewReader).
type nanReader struct {
	src      io.Reader
	buf      []byte // backing array of in
	in       []byte // read from src, not yet processed
	out      []byte // processed, not yet returned
	outBuf   []byte
	err      error // of src; io.EOF at the end
	inString bool
	escaped  bool
}

// nanLookahead is the bytes a token needs to be recognised: "-Infinity"
// and the byte after it.
const nanLookahead = len("-Infinity") + 1

// NewReader returns a reader of src with the bare tokens NaN, Infinity and
// -Infinity outside strings (what Python's json.dumps writes) rewritten
// into the quoted strings Float reads, as Sanitize does, without holding
// the whole input in memory: a request body is decoded as it arrives.
// Everything else passes unchanged.
func NewReader(src io.Reader) io.Reader {
	return &nanReader{src: src, buf: make([]byte, 32<<10)}
}

// Read implements io.Reader.
func (n *nanReader) Read(p []byte) (int, error) {
	for len(n.out) == 0 {
		if len(n.in) == 0 && n.err != nil {
			return 0, n.err
		}
		if len(n.in) < nanLookahead && n.err == nil {
			n.fill()
			if len(n.in) < nanLookahead && n.err == nil {
				continue
			}
		}
		n.process()
	}
	k := copy(p, n.out)
	n.out = n.out[k:]
	return k, nil
}

// fill moves the unprocessed input to the front and reads more after it.
func (n *nanReader) fill() {
	k := copy(n.buf, n.in)
	m, err := n.src.Read(n.buf[k:])
	n.in = n.buf[:k+m]
	if err != nil {
		n.err = err
	}
}

// process rewrites the input into out, stopping before a possible token
// that needs more input to be told.
func (n *nanReader) process() {
	out := n.outBuf[:0]
	i := 0
	for ; i < len(n.in); i++ {
		c := n.in[i]
		if n.inString {
			out = append(out, c)
			switch {
			case n.escaped:
				n.escaped = false
			case c == '\\':
				n.escaped = true
			case c == '"':
				n.inString = false
			}
			continue
		}
		if c != 'N' && c != 'I' && c != '-' {
			if c == '"' {
				n.inString = true
			}
			out = append(out, c)
			continue
		}
		if len(n.in)-i < nanLookahead && n.err == nil {
			break // read more first
		}
		rest := n.in[i:]
		switch {
		case hasToken(rest, "NaN"):
			out = append(out, `"NaN"`...)
			i += len("NaN") - 1
		case hasToken(rest, "-Infinity"):
			out = append(out, `"-Infinity"`...)
			i += len("-Infinity") - 1
		case hasToken(rest, "Infinity"):
			out = append(out, `"Infinity"`...)
			i += len("Infinity") - 1
		default:
			out = append(out, c)
		}
	}
	n.in = n.in[i:]
	n.outBuf, n.out = out, out
}

// hasToken reports whether data starts with tok not followed by more of a
// word.
func hasToken(data []byte, tok string) bool {
	return len(data) >= len(tok) && string(data[:len(tok)]) == tok && boundary(data, len(tok))
}
