package dacapo

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits of the scanner. A DaCapo pickle needs half a dozen nested marks.
// The stack has no limit of its own: every value pushed spends memory
// budget, so a list written without batches (one MARK, then every entry,
// as other tools write them) is read whatever its length, and a stack
// that grows without end fails with the budget.
const (
	maxMarks     = 32
	maxGlobalLen = 256
	maxIntLen    = 24 // an int64 in decimal, with room to spare
	maxFloatLen  = 32 // Python's repr of a float, with room to spare
	// memBudgetPerByte and memBudgetBase bound the memory og-rek may need for
	// a file, as estimated by the scanner: a DaCapo file needs about 20
	// estimated bytes per file byte.
	memBudgetPerByte = 64
	memBudgetBase    = 1 << 20
	// ctxEvery is how many opcodes the scanner reads between checks of its
	// context.
	ctxEvery = 1 << 16
)

// Estimated memory, in bytes, og-rek allocates for each kind of value.
const (
	costScalar    = 24
	costString    = 32
	costContainer = 64
	costItem      = 48
	costMemo      = 64  // the scanner's memo slot and the put it writes
	costMemoRead  = 160 // og-rek's memo entry, for an index a GET reads
	costCall      = 96
	costStackSlot = 16
)

// The globals a DaCapo pickle may name: numpy's float64 scalar
// reconstructors (numpy 1 and numpy 2), numpy.dtype, and _codecs.encode,
// which protocol 2 uses to pickle the scalar's bytes.
const (
	globalScalarNumpy1 = "numpy.core.multiarray.scalar"
	globalScalarNumpy2 = "numpy._core.multiarray.scalar"
	globalDtype        = "numpy.dtype"
	globalCodecsEncode = "_codecs.encode"
)

func allowedGlobal(name string) bool {
	switch name {
	case globalScalarNumpy1, globalScalarNumpy2, globalDtype, globalCodecsEncode:
		return true
	}
	return false
}

// scanError is a pickle the scanner rejects, at a byte offset.
type scanError struct {
	Offset int64
	Reason string
}

func (e *scanError) Error() string { return fmt.Sprintf("at byte offset %d: %s", e.Offset, e.Reason) }

// entryKind is what the scanner knows about a value on the pickle stack.
type entryKind uint8

const (
	kindValue  entryKind = iota // any value
	kindMark                    // a MARK
	kindString                  // a str, whose text is kept
	kindGlobal                  // a global (module.name)
	kindDtype                   // numpy.dtype(...) before its BUILD
	kindList                    // a list: memo references to it are copied (see get)
)

// memoSlot is a memo entry: the value and whether a GET reads it.
type memoSlot struct {
	e    *entry
	read bool
}

type entry struct {
	kind entryKind
	text string // the str of kindString, the module.name of kindGlobal
	// A kindList's bytes are out[start:end], what building it spent of the
	// memory budget is spentEnd-spentStart, and frozen is set once a memo
	// reference copied it: a list changed after that would be a list
	// holding itself. A kindMark's start and spentStart are those of the
	// list a LIST opcode makes of it.
	start, end           int
	spentStart, spentEnd int64
	frozen               bool
	// pending holds the memo indices of a kindDtype, stored only after its
	// BUILD so that memo references see the built dtype.
	pending []uint32
}

// scanner checks a pickle opcode by opcode and writes a normalised copy for
// og-rek: FRAMEs dropped, every memo put and get made explicit with
// LONG_BINPUT / LONG_BINGET, and numpy.dtype's BUILD turned into TUPLE2.
type scanner struct {
	ctx   context.Context // checked every ctxEvery opcodes
	in    []byte
	pos   int
	out   []byte
	stack []*entry
	// inMemo parallels stack: whether the value is already in the memo (put
	// there, or pushed from it by a GET). A pickler stores each value once.
	inMemo []bool
	marks  []int // stack indices of the MARKs
	// memo is indexed by memo index: Python's pickler numbers memo entries
	// 0, 1, 2, ... in the order it stores them (put rejects other orders).
	memo []memoSlot
	// putAt holds the offset in out of every LONG_BINPUT written. Puts of
	// indices no GET reads are dropped from out at the end (dropUnread), so
	// og-rek's memo, which costs far more per entry than the scanner's,
	// holds only what the pickle reads back.
	putAt  []int
	budget int64
	spent  int64 // the budget spent so far
	lim    limit // where budget came from
	// replacedAt is the offset in out of the last put that replaced a memo
	// entry, -1 for none: a list built before it may read the entry's old
	// value, so it cannot be copied any more.
	replacedAt int
	proto      int
	plain      *entry // shared by every kindValue: such entries are never changed
}

// scanPickle checks data and returns the normalised pickle and its protocol.
func scanPickle(ctx context.Context, data []byte, lim limit) ([]byte, int, error) {
	s := newScanner(ctx, data, lim)
	if err := s.run(); err != nil {
		return nil, 0, err
	}
	s.dropUnread()
	return s.out, s.proto, nil
}

// newScanner returns a scanner of data with the memory budget lim allows.
func newScanner(ctx context.Context, data []byte, lim limit) *scanner {
	return &scanner{
		ctx:        ctx,
		in:         data,
		out:        make([]byte, 0, len(data)+len(data)/4+16),
		budget:     lim.max,
		lim:        lim,
		replacedAt: -1,
		plain:      &entry{},
	}
}

func (s *scanner) fail(at int, format string, args ...any) error {
	return &scanError{Offset: int64(at), Reason: fmt.Sprintf(format, args...)}
}

func (s *scanner) run() error {
	if len(s.in) == 0 {
		return s.fail(0, "empty file, want a pickle")
	}
	for n := 0; ; n++ {
		if n%ctxEvery == 0 {
			if err := s.ctx.Err(); err != nil {
				return err
			}
			if s.lim.progress != nil {
				s.lim.progress(s.pos)
			}
		}
		at := s.pos
		if at >= len(s.in) {
			return s.fail(at, "file ends without the STOP opcode (truncated?)")
		}
		op := s.in[at]
		s.pos++
		if at == 0 && op != opProto && op != opMark && op != opEmptyList {
			return s.notPickle()
		}
		done, err := s.step(at, op)
		if err != nil {
			return err
		}
		if done {
			if rest := len(s.in) - s.pos; rest > 0 {
				return s.fail(s.pos, "%d bytes after the STOP opcode, want the file to end", rest)
			}
			return nil
		}
	}
}

// notPickle is the error for a file whose first byte starts no DaCapo
// pickle: protocols 2 to 5 start with PROTO, protocols 0 and 1 (which have
// no PROTO opcode) with the MARK or EMPTY_LIST of the list of documents.
func (s *scanner) notPickle() error {
	if bytes.HasPrefix(s.in, []byte(nativeMagic)) {
		return s.fail(0, "not a pickle: the file starts with %q, statstore's own file format", nativeMagic)
	}
	head := s.in[:min(len(s.in), 8)]
	return s.fail(0, "not a pickle: the file starts with %q, want the PROTO opcode (pickle protocols 2 to 5) or a list (protocols 0 and 1)", head)
}

// step handles one opcode; done is true after STOP.
func (s *scanner) step(at int, op byte) (done bool, err error) {
	switch op {
	case opProto:
		if at != 0 {
			return false, s.fail(at, "PROTO opcode in the middle of the pickle")
		}
		b, err := s.read(at, 1)
		if err != nil {
			return false, err
		}
		if b[0] < 2 || b[0] > 5 {
			return false, s.fail(at, "pickle protocol %d, want 2 to 5", b[0])
		}
		s.proto = int(b[0])
		s.emit(op, b[0])
	case opFrame:
		b, err := s.read(at, 8)
		if err != nil {
			return false, err
		}
		if n := binary.LittleEndian.Uint64(b); n > uint64(len(s.in)-s.pos) {
			return false, s.fail(at, "frame of %d bytes but only %d bytes follow", n, len(s.in)-s.pos)
		}
	case opStop:
		if len(s.stack) != 1 || s.stack[0].kind == kindMark {
			return false, s.fail(at, "STOP with %d values on the stack, want 1", len(s.stack))
		}
		s.emit(op)
		return true, nil
	case opMark:
		if len(s.marks) >= maxMarks {
			return false, s.fail(at, "nesting deeper than %d levels, want a DaCapo list of documents", maxMarks)
		}
		s.marks = append(s.marks, len(s.stack))
		mark := &entry{kind: kindMark, start: len(s.out), spentStart: s.spent}
		s.emit(op)
		return false, s.push(at, mark, 0)
	case opEmptyList:
		e := &entry{kind: kindList, start: len(s.out), spentStart: s.spent}
		s.emit(op)
		if err := s.push(at, e, costContainer); err != nil {
			return false, err
		}
		e.end, e.spentEnd = len(s.out), s.spent
	case opEmptyDict, opEmptyTuple:
		s.emit(op)
		return false, s.push(at, s.plain, costContainer)
	case opNone, opNewtrue, opNewfalse:
		s.emit(op)
		return false, s.push(at, s.plain, 0)
	case opBinint1, opBinint2, opBinint, opBinfloat:
		b, err := s.read(at, fixedArgLen(op))
		if err != nil {
			return false, err
		}
		s.emit(op)
		s.emit(b...)
		return false, s.push(at, s.plain, costScalar)
	case opLong1:
		return false, s.sized(at, op, 1, s.plain, costScalar)
	case opInt:
		return false, s.textInt(at)
	case opLong:
		return false, s.textLong(at)
	case opFloat:
		return false, s.textFloat(at)
	case opUnicode:
		return false, s.textUnicode(at)
	case opShortBinunicod, opShortBinbytes:
		return false, s.sized(at, op, 1, &entry{kind: kindString}, costString)
	case opBinunicode, opBinbytes:
		return false, s.sized(at, op, 4, &entry{kind: kindString}, costString)
	case opGlobal:
		return false, s.global(at)
	case opStackGlobal:
		return false, s.stackGlobal(at)
	case opReduce:
		return false, s.reduce(at)
	case opBuild:
		return false, s.build(at)
	case opMemoize, opPut, opBinput, opLongBinput:
		return false, s.put(at, op)
	case opGet, opBinget, opLongBinget:
		return false, s.get(at, op)
	case opAppend, opSetitem:
		n := 1
		if op == opSetitem {
			n = 2
		}
		if _, err := s.pop(at, n); err != nil {
			return false, err
		}
		if err := s.needTop(at, op); err != nil {
			return false, err
		}
		s.emit(op)
		if err := s.spend(at, int64(n)*costItem); err != nil {
			return false, err
		}
		return false, s.changed(at, op)
	case opAppends, opSetitems:
		items, _, err := s.popMark(at, op)
		if err != nil {
			return false, err
		}
		if op == opSetitems && items%2 != 0 {
			return false, s.fail(at, "SETITEMS with %d values, want key/value pairs", items)
		}
		if err := s.needTop(at, op); err != nil {
			return false, err
		}
		s.emit(op)
		if err := s.spend(at, int64(items)*costItem); err != nil {
			return false, err
		}
		return false, s.changed(at, op)
	case opDict, opList, opTuple:
		items, mark, err := s.popMark(at, op)
		if err != nil {
			return false, err
		}
		if op == opDict && items%2 != 0 {
			return false, s.fail(at, "DICT with %d values, want key/value pairs", items)
		}
		s.emit(op)
		if op != opList {
			return false, s.push(at, s.plain, costContainer+int64(items)*costItem)
		}
		e := &entry{kind: kindList, start: mark.start, spentStart: mark.spentStart}
		if err := s.push(at, e, costContainer+int64(items)*costItem); err != nil {
			return false, err
		}
		e.end, e.spentEnd = len(s.out), s.spent
	case opTuple1, opTuple2, opTuple3:
		n := int(op-opTuple1) + 1
		if _, err := s.pop(at, n); err != nil {
			return false, err
		}
		s.emit(op)
		return false, s.push(at, s.plain, costContainer+int64(n)*costItem)
	default:
		return false, s.fail(at, "opcode %s is not used by DaCapo stats files (want lists of dicts of ints, floats, strings and numpy.float64 scalars)", opName(op))
	}
	return false, nil
}

// read returns the next n bytes, failing when the file has fewer.
func (s *scanner) read(at, n int) ([]byte, error) {
	if n > len(s.in)-s.pos {
		return nil, s.fail(at, "%s needs %d more bytes but the file has %d (truncated?)", opName(s.in[at]), n, len(s.in)-s.pos)
	}
	b := s.in[s.pos : s.pos+n]
	s.pos += n
	return b, nil
}

// sized handles an opcode whose argument is a little-endian length of
// lenBytes bytes followed by that many bytes.
func (s *scanner) sized(at int, op byte, lenBytes int, e *entry, cost int64) error {
	b, err := s.read(at, lenBytes)
	if err != nil {
		return err
	}
	var n uint64
	for i := lenBytes - 1; i >= 0; i-- {
		n = n<<8 | uint64(b[i])
	}
	if n > uint64(len(s.in)-s.pos) {
		return s.fail(at, "%s of %d bytes but only %d bytes follow (huge length prefix or truncated file)", opName(op), n, len(s.in)-s.pos)
	}
	data, _ := s.read(at, int(n))
	if e.kind == kindString && len(data) <= maxGlobalLen {
		e.text = string(data) // kept only for STACK_GLOBAL, which needs short names
	}
	s.emit(op)
	s.emit(b...)
	s.emit(data...)
	return s.push(at, e, cost+int64(n))
}

// line reads a newline-terminated argument of at most maxGlobalLen bytes.
func (s *scanner) line(at int) (string, error) {
	rest := s.in[s.pos:]
	i := bytes.IndexByte(rest[:min(len(rest), maxGlobalLen+1)], '\n')
	if i < 0 {
		return "", s.fail(at, "%s argument is not a line of at most %d bytes", opName(s.in[at]), maxGlobalLen)
	}
	s.pos += i + 1
	return string(rest[:i]), nil
}

// textInt handles INT, the text int of protocol 0, which og-rek's encoder
// (and so Export) writes for ints beyond 32 bits. Its line must be a short
// decimal number.
func (s *scanner) textInt(at int) error {
	l, err := s.line(at)
	if err != nil {
		return err
	}
	digits := strings.TrimPrefix(l, "-")
	if len(l) > maxIntLen || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return s.fail(at, "INT argument %q is not a decimal number of at most %d characters", l, maxIntLen)
	}
	s.emit(opInt)
	s.emit([]byte(l + "\n")...)
	return s.push(at, s.plain, costScalar)
}

// textLong handles LONG, the text int of protocols 0 and 1 for ints beyond
// 32 bits: a short decimal number followed by "L".
func (s *scanner) textLong(at int) error {
	l, err := s.line(at)
	if err != nil {
		return err
	}
	digits, ok := strings.CutSuffix(l, "L")
	digits = strings.TrimPrefix(digits, "-")
	if !ok || len(l) > maxIntLen+1 || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return s.fail(at, "LONG argument %q is not a decimal number of at most %d characters followed by L", l, maxIntLen)
	}
	s.emit(opLong)
	s.emit([]byte(l + "\n")...)
	return s.push(at, s.plain, costScalar)
}

// textFloat handles FLOAT, the text float of protocol 0 (Python's repr:
// "0.5", "1e-05", "nan", "inf", "-inf").
func (s *scanner) textFloat(at int) error {
	l, err := s.line(at)
	if err != nil {
		return err
	}
	if len(l) > maxFloatLen || strings.Trim(l, "0123456789.eE+-naifNAIF") != "" {
		return s.fail(at, "FLOAT argument %q is not a decimal float of at most %d characters", l, maxFloatLen)
	}
	if _, err := strconv.ParseFloat(l, 64); err != nil {
		return s.fail(at, "FLOAT argument %q is not a float", l)
	}
	s.emit(opFloat)
	s.emit([]byte(l + "\n")...)
	return s.push(at, s.plain, costScalar)
}

// textUnicode handles UNICODE, the str of protocol 0: a line of
// raw-unicode-escape text, as long as the rest of the file allows.
func (s *scanner) textUnicode(at int) error {
	rest := s.in[s.pos:]
	i := bytes.IndexByte(rest, '\n')
	if i < 0 {
		return s.fail(at, "UNICODE argument does not end with a newline (truncated?)")
	}
	s.pos += i + 1
	e := &entry{kind: kindString}
	if i <= maxGlobalLen && utf8.Valid(rest[:i]) && bytes.IndexByte(rest[:i], '\\') < 0 {
		e.text = string(rest[:i])
	}
	s.emit(opUnicode)
	s.emit(rest[:i+1]...)
	return s.push(at, e, costString+int64(i))
}

func (s *scanner) global(at int) error {
	module, err := s.line(at)
	if err != nil {
		return err
	}
	name, err := s.line(at)
	if err != nil {
		return err
	}
	if err := s.checkGlobal(at, module, name); err != nil {
		return err
	}
	s.emit(opGlobal)
	s.emit([]byte(module + "\n" + name + "\n")...)
	return s.push(at, &entry{kind: kindGlobal, text: module + "." + name}, costCall)
}

func (s *scanner) stackGlobal(at int) error {
	v, err := s.pop(at, 2)
	if err != nil {
		return err
	}
	if v[0].kind != kindString || v[1].kind != kindString {
		return s.fail(at, "STACK_GLOBAL needs a module and a name string")
	}
	if err := s.checkGlobal(at, v[0].text, v[1].text); err != nil {
		return err
	}
	s.emit(opStackGlobal)
	return s.push(at, &entry{kind: kindGlobal, text: v[0].text + "." + v[1].text}, costCall)
}

// checkGlobal rejects every global but the few numpy.float64 needs.
func (s *scanner) checkGlobal(at int, module, name string) error {
	if full := module + "." + name; !allowedGlobal(full) {
		return s.fail(at, "forbidden global %s: DaCapo stats files may only name %s, %s and %s", strconv.Quote(full), globalScalarNumpy1, globalScalarNumpy2, globalDtype)
	}
	return nil
}

func (s *scanner) reduce(at int) error {
	v, err := s.pop(at, 2)
	if err != nil {
		return err
	}
	if v[0].kind != kindGlobal {
		return s.fail(at, "REDUCE of a value that is not a global")
	}
	s.emit(opReduce)
	e := s.plain
	if v[0].text == globalDtype {
		e = &entry{kind: kindDtype}
	}
	return s.push(at, e, costCall)
}

// build turns numpy.dtype's BUILD (set the state of the dtype below it) into
// TUPLE2 (dtype call, state), then stores the memo puts held back until now.
func (s *scanner) build(at int) error {
	v, err := s.pop(at, 2)
	if err != nil {
		return err
	}
	if v[0].kind != kindDtype {
		return s.fail(at, "BUILD of a value other than numpy.dtype, want BUILD only to set a dtype's state")
	}
	s.emit(opTuple2)
	built := s.plain
	if err := s.push(at, built, costContainer); err != nil {
		return err
	}
	for _, idx := range v[0].pending {
		s.memo[idx].e = built
		s.emitPut(idx)
	}
	return nil
}

func (s *scanner) put(at int, op byte) error {
	var idx uint32
	switch op {
	case opMemoize:
		idx = uint32(len(s.memo))
	case opBinput:
		b, err := s.read(at, 1)
		if err != nil {
			return err
		}
		idx = uint32(b[0])
	case opLongBinput:
		b, err := s.read(at, 4)
		if err != nil {
			return err
		}
		idx = binary.LittleEndian.Uint32(b)
	case opPut:
		n, err := s.lineIndex(at)
		if err != nil {
			return err
		}
		idx = n
	}
	if len(s.stack) == 0 || s.stack[len(s.stack)-1].kind == kindMark {
		return s.fail(at, "%s with no value on the stack", opName(op))
	}
	if idx > uint32(len(s.memo)) {
		return s.fail(at, "%s of memo index %d while the memo holds %d entries: Python's pickler numbers them in order (memo bomb?)", opName(op), idx, len(s.memo))
	}
	top := s.stack[len(s.stack)-1]
	if idx < uint32(len(s.memo)) {
		s.replacedAt = len(s.out)
	}
	if s.inMemo[len(s.inMemo)-1] {
		// Python's pickler memoizes each value once, right after making it;
		// storing one value again and again only grows the memo.
		return s.fail(at, "%s of a value already in the memo: a pickler stores each value once (memo bomb?)", opName(op))
	}
	s.inMemo[len(s.inMemo)-1] = true
	if err := s.spend(at, costMemo); err != nil {
		return err
	}
	if top.kind == kindDtype {
		top.pending = append(top.pending, idx)
		s.store(idx, top)
		return nil
	}
	s.store(idx, top)
	s.emitPut(idx)
	return nil
}

// store sets memo entry idx, which is at most len(s.memo). Replacing an
// entry keeps its read mark: dropUnread decides by index, so every put of
// an index some GET reads stays.
func (s *scanner) store(idx uint32, e *entry) {
	if idx == uint32(len(s.memo)) {
		s.memo = append(doubling(s.memo), memoSlot{e: e})
		return
	}
	s.memo[idx].e = e
}

func (s *scanner) get(at int, op byte) error {
	var idx uint32
	switch op {
	case opBinget:
		b, err := s.read(at, 1)
		if err != nil {
			return err
		}
		idx = uint32(b[0])
	case opLongBinget:
		b, err := s.read(at, 4)
		if err != nil {
			return err
		}
		idx = binary.LittleEndian.Uint32(b)
	case opGet:
		n, err := s.lineIndex(at)
		if err != nil {
			return err
		}
		idx = n
	}
	if idx >= uint32(len(s.memo)) {
		return s.fail(at, "%s of memo index %d, which was never stored", opName(op), idx)
	}
	slot := &s.memo[idx]
	e := slot.e
	switch e.kind {
	case kindDtype:
		return s.fail(at, "%s of a numpy.dtype before its state is set", opName(op))
	case kindList:
		return s.copyList(at, op, e)
	}
	if !slot.read {
		// og-rek will keep this entry in its memo (see dropUnread).
		if err := s.spend(at, costMemoRead); err != nil {
			return err
		}
		slot.read = true
	}
	s.emitIndex(opLongBinget, idx)
	if err := s.push(at, e, 0); err != nil {
		return err
	}
	s.inMemo[len(s.inMemo)-1] = true
	return nil
}

// copyList handles a memo reference to a list, as Python writes for a list
// pickled twice (the same scores appended twice): og-rek's memo keeps a
// list as it was when stored, without the items appended later, so the
// scanner writes the list's bytes again instead, a copy og-rek decodes to
// the same items. Each copy spends what building the list spent, so the
// work stays bounded by the decoded size: shared lists nested to decode to
// far more than the file (a "billion laughs") fail with the budget. The
// list may not change after it (it would hold itself), and a list built
// before a memo entry was replaced is refused: its copy would read the new
// value.
func (s *scanner) copyList(at int, op byte, e *entry) error {
	if s.replacedAt >= e.start {
		return s.fail(at, "%s of a list built before a memo entry it may read was replaced, want each memo index stored once", opName(op))
	}
	cost := e.spentEnd - e.spentStart
	if s.budget-cost < 0 {
		if err := s.lim.exceeded(s.spent+cost, s.pos); err != nil {
			return err
		}
		return s.fail(at, "%s of a shared list: the memo references to shared lists would decode to far more than a DaCapo file of %d bytes holds (billion laughs?)", opName(op), len(s.in))
	}
	e.frozen = true
	c := &entry{kind: kindList, frozen: true, start: len(s.out), spentStart: s.spent}
	s.out = append(s.out, s.out[e.start:e.end]...)
	if err := s.spend(at, cost); err != nil {
		return err
	}
	if err := s.push(at, c, 0); err != nil {
		return err
	}
	c.end, c.spentEnd = len(s.out), s.spent
	s.inMemo[len(s.inMemo)-1] = true
	return nil
}

// changed records that APPEND or APPENDS added to the list on top of the
// stack (SETITEM and SETITEMS on a list fail in og-rek).
func (s *scanner) changed(at int, op byte) error {
	top := s.stack[len(s.stack)-1]
	if top.kind != kindList {
		return nil
	}
	if top.frozen {
		return s.fail(at, "%s to a list after a memo reference to it: a list holding itself, want plain nested lists", opName(op))
	}
	top.end, top.spentEnd = len(s.out), s.spent
	return nil
}

func (s *scanner) lineIndex(at int) (uint32, error) {
	l, err := s.line(at)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(l, 10, 32)
	if err != nil {
		return 0, s.fail(at, "%s index %q is not a number", opName(s.in[at]), l)
	}
	return uint32(n), nil
}

// push puts e on the stack and spends cost bytes of the memory budget.
func (s *scanner) push(at int, e *entry, cost int64) error {
	s.stack = append(s.stack, e)
	s.inMemo = append(s.inMemo, false)
	return s.spend(at, cost+costStackSlot)
}

func (s *scanner) spend(at int, cost int64) error {
	s.budget -= cost
	s.spent += cost
	if s.budget < 0 {
		if err := s.lim.exceeded(s.spent, s.pos); err != nil {
			return err
		}
		return s.fail(at, "decoding would need far more memory than a DaCapo file of %d bytes (degenerate pickle)", len(s.in))
	}
	return nil
}

// pop removes the top n values, none of which may be a MARK.
func (s *scanner) pop(at, n int) ([]*entry, error) {
	base := len(s.stack) - n
	if base < 0 || (len(s.marks) > 0 && s.marks[len(s.marks)-1] >= base) {
		return nil, s.fail(at, "%s needs %d values on the stack (stack underflow)", opName(s.in[at]), n)
	}
	v := append([]*entry(nil), s.stack[base:]...) // a copy: pushes reuse the stack's storage
	s.stack = s.stack[:base]
	s.inMemo = s.inMemo[:base]
	return v, nil
}

// popMark removes the values above the topmost MARK and the MARK, and
// returns how many values there were and the MARK.
func (s *scanner) popMark(at int, op byte) (int, *entry, error) {
	if len(s.marks) == 0 {
		return 0, nil, s.fail(at, "%s without a MARK", opName(op))
	}
	m := s.marks[len(s.marks)-1]
	s.marks = s.marks[:len(s.marks)-1]
	n := len(s.stack) - m - 1
	mark := s.stack[m]
	s.stack = s.stack[:m]
	s.inMemo = s.inMemo[:m]
	return n, mark, nil
}

// needTop fails unless a value (the list or dict to add to) is on top.
func (s *scanner) needTop(at int, op byte) error {
	if len(s.stack) == 0 || s.stack[len(s.stack)-1].kind == kindMark {
		return s.fail(at, "%s without a list or dict to add to", opName(op))
	}
	return nil
}

func (s *scanner) emit(b ...byte) { s.out = append(s.out, b...) }

// emitPut writes a LONG_BINPUT of idx and records where.
func (s *scanner) emitPut(idx uint32) {
	s.putAt = append(doubling(s.putAt), len(s.out))
	s.emitIndex(opLongBinput, idx)
}

// dropUnread removes from out, in place, the puts of memo indices that no
// GET reads: og-rek then stores only the entries the pickle uses.
func (s *scanner) dropUnread() {
	w, r := 0, 0
	for _, at := range s.putAt {
		idx := binary.LittleEndian.Uint32(s.out[at+1:])
		if s.memo[idx].read {
			continue
		}
		w += copy(s.out[w:], s.out[r:at])
		r = at + 5
	}
	if r == 0 {
		return // every put is read
	}
	w += copy(s.out[w:], s.out[r:])
	s.out = s.out[:w]
}

func (s *scanner) emitIndex(op byte, idx uint32) {
	s.out = append(s.out, op)
	s.out = binary.LittleEndian.AppendUint32(s.out, idx)
}

// fixedArgLen returns the argument size of the fixed-size number opcodes.
func fixedArgLen(op byte) int {
	switch op {
	case opBinint1:
		return 1
	case opBinint2:
		return 2
	case opBinint:
		return 4
	}
	return 8 // opBinfloat
}

// doubling makes room for one more element, doubling the capacity when the
// slice is full: append's own growth of 1.25 for large slices allocates
// about five times the final size in all, doubling about twice.
func doubling[T any](s []T) []T {
	if len(s) < cap(s) {
		return s
	}
	return slices.Grow(s, max(len(s), 16))
}
