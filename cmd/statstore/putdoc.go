package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/jsonnan"
)

// The keys of DaCapo's documents.
const (
	keyIteration = "iteration"
	keyLoss      = "loss"
	keyTime      = "time"
	keyRunName   = "run_name"
	keyScores    = "scores"
)

// doc is one decoded DaCapo document; a nil field was absent.
type doc struct {
	iteration *int
	loss      *float64
	time      *float64
	runName   *string
	scores    [][][]float64
}

// decodeDoc decodes one JSON document with the given keys, strictly: the
// document is one object; each key is one of keys and appears once;
// "iteration" is a non-negative integer (not a string) up to
// statstore.MaxIteration; "loss" and "time" are numbers, "NaN",
// "Infinity" or "-Infinity" (quoted or bare, as Python writes them);
// "scores" is an array of arrays of arrays of such numbers; "run_name" is
// a string (or null); nothing follows the object. Errors say what was
// found and what was wanted, quote at most jsonnan.MaxExcerpt bytes of a
// value, and give the byte offset in the line of malformed JSON.
func decodeDoc(line []byte, keys []string) (*doc, error) {
	san := jsonnan.Sanitize(line)
	p := &docParser{line: line, san: san, dec: json.NewDecoder(bytes.NewReader(san))}
	p.dec.UseNumber()
	d := &doc{}
	tok, err := p.token()
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('{') {
		return nil, fmt.Errorf(`the document is %s, want a JSON object such as {"%s": ...}`, describe(tok), strings.Join(keys, `": ..., "`))
	}
	seen := make(map[string]bool, len(keys))
	for p.dec.More() {
		tok, err := p.token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string) // the decoder only gives string keys
		switch {
		case seen[key]:
			return nil, fmt.Errorf(`"%s" appears twice in the document, want each key once`, jsonnan.Excerpt(key))
		case !slices.Contains(keys, key):
			return nil, fmt.Errorf(`unknown key "%s", want %s`, jsonnan.Excerpt(key), strings.Join(keys, ", "))
		}
		seen[key] = true
		if err := p.value(key, d); err != nil {
			return nil, err
		}
	}
	if _, err := p.token(); err != nil { // the closing brace
		return nil, err
	}
	if _, err := p.dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("unexpected data after the JSON document at byte offset %d (want one document per line)", p.offset())
	}
	return d, nil
}

// docParser reads the tokens of one line.
type docParser struct {
	line []byte // as the user wrote it
	san  []byte // after jsonnan.Sanitize: what dec reads
	dec  *json.Decoder
}

// offset returns the 0-based byte offset in the line the decoder reached.
func (p *docParser) offset() int64 {
	return jsonnan.OriginalOffset(p.line, p.dec.InputOffset())
}

// token returns the next token; malformed JSON is an error naming the
// byte offset in the line.
func (p *docParser) token() (json.Token, error) {
	tok, err := p.dec.Token()
	if err == nil {
		return tok, nil
	}
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		// The decoder stopped after the last good token: the bad one
		// starts after the blanks and separators that follow it.
		off := p.dec.InputOffset()
		for off < int64(len(p.san)) && strings.IndexByte(" \t\r\n:,", p.san[off]) >= 0 {
			off++
		}
		return nil, fmt.Errorf("malformed JSON at byte offset %d: %s", jsonnan.OriginalOffset(p.line, off), syn.Error())
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return nil, errors.New("the JSON document ends early (an unclosed { or [, or a missing value)")
	}
	return nil, fmt.Errorf("malformed JSON at byte offset %d: %s", p.offset(), strings.TrimPrefix(err.Error(), "json: "))
}

// value reads the value of key into d.
func (p *docParser) value(key string, d *doc) error {
	name := `"` + key + `"`
	switch key {
	case keyIteration:
		it, err := p.iteration(name)
		d.iteration = &it
		return err
	case keyLoss, keyTime:
		v, err := p.float(name)
		if key == keyLoss {
			d.loss = &v
		} else {
			d.time = &v
		}
		return err
	case keyRunName:
		tok, err := p.token()
		if err != nil {
			return err
		}
		switch v := tok.(type) {
		case string:
			d.runName = &v
		case nil: // null: no run name, as when the key is absent
		default:
			return p.wrongType(name, tok, "a string (the run's name)")
		}
		return nil
	case keyScores:
		scores, err := p.scores(name)
		d.scores = scores
		return err
	}
	return fmt.Errorf("unknown key %q", key) // decodeDoc checks the keys first
}

// iteration reads a non-negative integer written as a JSON number.
func (p *docParser) iteration(name string) (int, error) {
	tok, err := p.token()
	if err != nil {
		return 0, err
	}
	switch v := tok.(type) {
	case json.Number:
		s := v.String()
		i, err := strconv.ParseInt(s, 10, 64)
		switch {
		case err != nil && strings.ContainsAny(s, ".eE"):
			return 0, fmt.Errorf("%s is %s, want a non-negative integer", name, jsonnan.Excerpt(s))
		case err != nil, i > statstore.MaxIteration:
			return 0, fmt.Errorf("%s is %s, larger than the maximum %d", name, jsonnan.Excerpt(s), statstore.MaxIteration)
		case i < 0:
			return 0, fmt.Errorf("%s is %d, want >= 0", name, i)
		}
		return int(i), nil
	case string:
		return 0, fmt.Errorf(`%s is the string "%s", want a non-negative integer without quotes`, name, jsonnan.Excerpt(v))
	}
	return 0, p.wrongType(name, tok, "a non-negative integer")
}

// float reads a number, or one of the names of non-finite floats.
func (p *docParser) float(name string) (float64, error) {
	tok, err := p.token()
	if err != nil {
		return 0, err
	}
	switch v := tok.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(v.String(), 64)
		if err != nil {
			return 0, fmt.Errorf("%s is %s, outside the range of a 64-bit float (magnitude up to 1.8e308)", name, jsonnan.Excerpt(v.String()))
		}
		return f, nil
	case string:
		if f, ok := jsonnan.ParseNonFinite(v); ok {
			return f, nil
		}
		return 0, fmt.Errorf(`%s is the string "%s", want a number (or NaN, Infinity, -Infinity)`, name, jsonnan.Excerpt(v))
	}
	return 0, p.wrongType(name, tok, "a number (or NaN, Infinity, -Infinity)")
}

// scores reads the [dataset][parameter set][criterion] array.
func (p *docParser) scores(name string) ([][][]float64, error) {
	out := [][][]float64{} // present, even when empty
	err := p.array(name, "an array of datasets, each an array of parameter sets, each an array of criterion scores", func(d int) error {
		dname := fmt.Sprintf("%s[%d]", name, d)
		var ds [][]float64
		err := p.array(dname, "an array of parameter sets, each an array of criterion scores", func(ps int) error {
			pname := fmt.Sprintf("%s[%d]", dname, ps)
			var cs []float64
			err := p.array(pname, "an array of criterion scores (numbers)", func(c int) error {
				v, err := p.float(fmt.Sprintf("%s[%d]", pname, c))
				cs = append(cs, v)
				return err
			})
			ds = append(ds, cs)
			return err
		})
		out = append(out, ds)
		return err
	})
	return out, err
}

// array reads a JSON array, calling elem for each element with its index.
func (p *docParser) array(name, want string, elem func(i int) error) error {
	tok, err := p.token()
	if err != nil {
		return err
	}
	if tok != json.Delim('[') {
		return p.wrongType(name, tok, want)
	}
	for i := 0; p.dec.More(); i++ {
		if err := elem(i); err != nil {
			return err
		}
	}
	_, err = p.token() // the closing bracket
	return err
}

// wrongType says that name holds tok where want was expected.
func (p *docParser) wrongType(name string, tok json.Token, want string) error {
	return fmt.Errorf("%s is %s, want %s", name, describe(tok), want)
}

// describe names a JSON token for a user: "an array", "the string "x"", ...
func describe(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '[' {
			return "an array"
		}
		return "an object"
	case string:
		return `the string "` + jsonnan.Excerpt(v) + `"`
	case json.Number:
		return "a number"
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return "null"
	}
	return fmt.Sprint(tok)
}
