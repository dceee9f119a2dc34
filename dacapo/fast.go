package dacapo

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"slices"
	"unsafe"
)

// The fast decoder reads the pickles Python's pickler writes for DaCapo's
// lists (protocols 2 to 5: a list of flat dicts of str keys, ints, floats
// and numpy.float64 scalars, validation scores as nested lists) in one pass
// over the bytes, without og-rek and without allocating per value. It is
// no second implementation of the rules: it accepts a subset of what the
// scanner and og-rek accept, applies the scanner's checks and memory
// budget to it, and returns ok = false for anything else (another opcode,
// a memo reference to a list or dict, an unexpected key or type, any
// error), so that the general path decodes the file and names what is
// wrong. FuzzFastPath checks that whatever it returns, the general path
// returns too.

// fkind is what the fast decoder knows of a value.
type fkind uint8

const (
	fMark       fkind = iota
	fNone             // None (only in numpy.dtype's state)
	fTrue             // True (only in numpy.dtype's arguments)
	fFalse            // False (likewise)
	fInt              // num is the int64; big when og-rek decodes it as a *big.Int (LONG1)
	fFloat            // num holds the float64's bits
	fStr              // num is offset<<32 | length in the input
	fBytes            // likewise
	fScalarFunc       // numpy's float64 scalar reconstructor
	fDtypeFunc        // numpy.dtype
	fDtypeArgs        // the tuple ("f8", False, True)
	fDtypeState       // the tuple (3, "<", None, None, None, -1, -1, 0)
	fDtypeCall        // numpy.dtype("f8", False, True) before its BUILD
	fDtype            // the dtype after BUILD with the state of little-endian float64
	fScalarArgs       // the tuple (dtype, 8 bytes); num holds the float64's bits
	fNumpy            // a numpy.float64 scalar; num holds its bits
	fList             // ref indexes fastDecoder.lists
	fDict             // ref indexes fastDecoder.docs
)

// fval is a value on the fast decoder's stack or in its memo.
type fval struct {
	num  uint64
	ref  int32
	kind fkind
	memo bool // in the memo already (the scanner's inMemo)
	big  bool
	read bool // of a memo entry: a GET read it (spending costMemoRead once)
}

// fdoc is a dict under construction: one of DaCapo's documents.
type fdoc struct {
	have       uint8 // haveIteration | ...
	iteration  int64
	loss, time float64
	scores     int32  // lists index
	runName    uint64 // offset<<32 | length
	consumed   bool   // training: copied to the output, the slot is free
}

const (
	haveIteration = 1 << iota
	haveLoss
	haveTime
	haveScores
	haveRunName
)

// fastDecoder is the state of one fast decode.
type fastDecoder struct {
	ctx        context.Context
	in         []byte
	pos        int
	validation bool
	stack      []fval
	marks      []int
	memo       []fval
	lists      [][]fval // validation only
	listCount  int32    // training: the lists made
	docs       []fdoc
	pending    []uint32 // memo indices of the dtype call awaiting its BUILD
	spent      int64    // the scanner's memory estimate
	memoHint   int      // the memo's expected size, 0 if unknown
	// Training documents go to out as they are appended to the list of
	// documents, the list outList (-1 until the first): the only list a
	// training pickle may append to.
	out     []trainingDoc
	outList int32
	names   nameCache
	budget  *budget // the general path's budget for documents
	lim     limit
	// listBytes is the memory the items of lists take.
	listBytes int64
}

// held is the memory the decoder holds, in bytes: unlike spent, which
// estimates what og-rek would allocate and bounds what a file of this
// size may cost, this is what the fast decoder allocated.
func (d *fastDecoder) held() int64 {
	fv := int64(unsafe.Sizeof(fval{}))
	return int64(cap(d.memo)+cap(d.stack))*fv + d.listBytes +
		int64(cap(d.lists))*int64(unsafe.Sizeof([]fval{})) +
		int64(cap(d.docs))*int64(unsafe.Sizeof(fdoc{})) +
		int64(cap(d.out))*int64(unsafe.Sizeof(trainingDoc{}))
}

// overBudget is the error for a decode whose file and held memory exceed
// the memory budget, nil while they do not.
func (d *fastDecoder) overBudget() error {
	if held := d.held(); d.lim.size+held > d.lim.budget {
		return d.lim.need(held, d.pos)
	}
	return nil
}

// decodeFast decodes data as training (or validation) documents when it is
// a pickle of the shape Python writes for DaCapo; ok is false otherwise,
// and then the general path must decode it. err is only a done context or
// an *overBudget: a file the memory budget stops is not decoded again.
func decodeFast(ctx context.Context, data []byte, validation bool, lim limit) (training []trainingDoc, val []validationDoc, ok bool, err error) {
	// The documents' budget bounds the og-rek estimate by the file's size
	// only: the memory budget is checked against what is held (held).
	docs := lim
	docs.max, docs.fromBudget = lim.ratio, false
	d := &fastDecoder{ctx: ctx, in: data, validation: validation, outList: -1, budget: newBudget(docs), lim: lim}
	if len(data) > 2 && data[1] >= 4 {
		// A DaCapo training file of protocol 4 or 5 has a memo entry per
		// 11 bytes or more (4 per document of 47 bytes with numpy scalars)
		// and a document per 40 bytes or more: the memo and the documents
		// are made that large at once instead of growing by copies.
		d.memoHint = len(data) / 11
		if !validation {
			d.out = make([]trainingDoc, 0, len(data)/40)
		}
	}
	top, ok, err := d.run()
	if !ok || err != nil {
		return nil, nil, false, err
	}
	if err := d.overBudget(); err != nil || d.spent > lim.ratio {
		return nil, nil, false, err
	}
	if !validation {
		if top.ref != d.outList {
			return []trainingDoc{}, nil, true, nil // an empty list
		}
		return d.out, nil, true, nil
	}
	// The general path's budget for the documents (decodeDocuments,
	// toScores), spent the same way.
	b, names := d.budget, &d.names
	items := d.lists[top.ref]
	val = make([]validationDoc, len(items))
	for i, it := range items {
		if it.kind != fDict {
			return nil, nil, false, nil
		}
		doc := &d.docs[it.ref]
		if doc.have&(haveIteration|haveScores) != haveIteration|haveScores || b.spend(keys(doc.have), costDocKey) != nil {
			return nil, nil, false, nil
		}
		scores, ok := d.scores(doc.scores, b)
		if !ok {
			return nil, nil, false, nil
		}
		val[i] = validationDoc{runName: names.get(data, doc.runName, doc.have&haveRunName != 0)}
		val[i].scores.Iteration = int(doc.iteration)
		val[i].scores.Scores = scores
	}
	return nil, val, true, nil
}

// keys counts the keys of a document.
func keys(have uint8) int {
	n := 0
	for ; have != 0; have &= have - 1 {
		n++
	}
	return n
}

// nameCache converts run names to strings, once for a run of equal ones.
type nameCache struct {
	at   uint64
	name string
	set  bool
}

func (c *nameCache) get(data []byte, at uint64, present bool) string {
	if !present {
		return ""
	}
	if !c.set || c.at != at {
		off, n := at>>32, at&0xffffffff
		c.at, c.name, c.set = at, string(data[off:off+n]), true
	}
	return c.name
}

// scores converts a list of lists of lists of numbers, as toScores does.
func (d *fastDecoder) scores(ref int32, b *budget) ([][][]float64, bool) {
	ds := d.lists[ref]
	if b.spend(len(ds), costScoreList) != nil {
		return nil, false
	}
	out := make([][][]float64, len(ds))
	for i, dv := range ds {
		if dv.kind != fList {
			return nil, false
		}
		ps := d.lists[dv.ref]
		if b.spend(len(ps), costScoreList) != nil {
			return nil, false
		}
		out[i] = make([][]float64, len(ps))
		for j, pv := range ps {
			if pv.kind != fList {
				return nil, false
			}
			cs := d.lists[pv.ref]
			if b.spend(len(cs), costScore) != nil {
				return nil, false
			}
			out[i][j] = make([]float64, len(cs))
			for k, cv := range cs {
				f, ok := number(cv)
				if !ok {
					return nil, false
				}
				out[i][j][k] = f
			}
		}
	}
	return out, true
}

// number is toFloat for the values the fast decoder knows.
func number(v fval) (float64, bool) {
	switch v.kind {
	case fFloat, fNumpy:
		return math.Float64frombits(v.num), true
	case fInt:
		return float64(int64(v.num)), true
	}
	return 0, false
}

// run decodes the opcodes up to STOP and returns the list on the stack.
func (d *fastDecoder) run() (top fval, ok bool, err error) {
	in := d.in
	if len(in) < 2 || in[0] != opProto || in[1] < 2 || in[1] > 5 {
		return top, false, nil
	}
	d.pos = 2
	for n := 0; ; n++ {
		if n%ctxEvery == 0 {
			if err := d.ctx.Err(); err != nil {
				return top, false, err
			}
			if err := d.overBudget(); err != nil || d.spent > d.lim.ratio {
				return top, false, err
			}
			if d.lim.progress != nil {
				d.lim.progress(d.pos)
			}
		}
		if d.pos >= len(in) {
			return top, false, nil
		}
		op := in[d.pos]
		d.pos++
		ok := true
		switch op {
		case opFrame:
			var b []byte
			if b, ok = d.read(8); ok {
				ok = binary.LittleEndian.Uint64(b) <= uint64(len(in)-d.pos)
			}
		case opStop:
			if len(d.stack) != 1 || d.stack[0].kind != fList || d.pos != len(in) {
				return top, false, nil
			}
			return d.stack[0], true, nil
		case opMark:
			if len(d.marks) >= maxMarks {
				return top, false, nil
			}
			d.marks = append(d.marks, len(d.stack))
			d.push(fval{kind: fMark}, 0)
		case opEmptyList:
			if d.validation {
				d.lists = append(doubling(d.lists), nil)
			}
			d.push(fval{kind: fList, ref: d.newList()}, costContainer)
		case opEmptyDict:
			d.docs = append(doubling(d.docs), fdoc{})
			d.push(fval{kind: fDict, ref: int32(len(d.docs) - 1)}, costContainer)
		case opNone:
			d.push(fval{kind: fNone}, 0)
		case opNewtrue:
			d.push(fval{kind: fTrue}, 0)
		case opNewfalse:
			d.push(fval{kind: fFalse}, 0)
		case opBinint1, opBinint2, opBinint:
			var b []byte
			if b, ok = d.read(fixedArgLen(op)); ok {
				var v int64
				switch op {
				case opBinint1:
					v = int64(b[0])
				case opBinint2:
					v = int64(binary.LittleEndian.Uint16(b))
				default:
					v = int64(int32(binary.LittleEndian.Uint32(b)))
				}
				d.push(fval{kind: fInt, num: uint64(v)}, costScalar)
			}
		case opBinfloat:
			var b []byte
			if b, ok = d.read(8); ok {
				d.push(fval{kind: fFloat, num: binary.BigEndian.Uint64(b)}, costScalar)
			}
		case opLong1:
			ok = d.long1()
		case opShortBinunicod, opShortBinbytes:
			ok = d.sized(op, 1)
		case opBinunicode, opBinbytes:
			ok = d.sized(op, 4)
		case opGlobal:
			ok = d.global()
		case opStackGlobal:
			ok = d.stackGlobal()
		case opTuple3, opTuple2:
			ok = d.tupleN(op)
		case opTuple:
			ok = d.stateTuple()
		case opReduce:
			ok = d.reduce()
		case opBuild:
			ok = d.build()
		case opMemoize, opBinput, opLongBinput:
			ok = d.put(op)
		case opBinget, opLongBinget:
			ok = d.get(op)
		case opAppend:
			var v []fval
			if v, ok = d.pop(1); ok {
				ok = d.addTo(v, costItem)
			}
		case opAppends:
			var v []fval
			if v, ok = d.popMark(); ok {
				ok = d.addTo(v, int64(len(v))*costItem)
			}
		case opSetitem:
			var v []fval
			if v, ok = d.pop(2); ok {
				ok = d.setIn(v, 2*costItem)
			}
		case opSetitems:
			var v []fval
			if v, ok = d.popMark(); ok {
				ok = d.setIn(v, int64(len(v))*costItem)
			}
		default:
			ok = false
		}
		if !ok {
			return top, false, nil
		}
	}
}

func (d *fastDecoder) read(n int) ([]byte, bool) {
	if n > len(d.in)-d.pos {
		return nil, false
	}
	b := d.in[d.pos : d.pos+n]
	d.pos += n
	return b, true
}

func (d *fastDecoder) push(v fval, cost int64) {
	d.stack = append(d.stack, v)
	d.spent += cost + costStackSlot
}

// pop removes the top n values, none of which may be a MARK.
func (d *fastDecoder) pop(n int) ([]fval, bool) {
	base := len(d.stack) - n
	if base < 0 || (len(d.marks) > 0 && d.marks[len(d.marks)-1] >= base) {
		return nil, false
	}
	v := d.stack[base:]
	d.stack = d.stack[:base]
	return v, true // valid until the next push
}

// popMark removes the values above the topmost MARK and the MARK, and
// returns the values (valid until the next push).
func (d *fastDecoder) popMark() ([]fval, bool) {
	if len(d.marks) == 0 {
		return nil, false
	}
	m := d.marks[len(d.marks)-1]
	d.marks = d.marks[:len(d.marks)-1]
	v := d.stack[m+1:]
	d.stack = d.stack[:m]
	return v, true
}

// newList returns the reference of a new list: its index in lists for
// validation, a number for training, whose lists hold only documents.
func (d *fastDecoder) newList() int32 {
	if d.validation {
		return int32(len(d.lists) - 1)
	}
	d.listCount++
	return d.listCount - 1
}

// addTo appends items to the list on top of the stack: documents to the
// list of documents, lists and numbers to scores.
func (d *fastDecoder) addTo(items []fval, cost int64) bool {
	if len(d.stack) == 0 || d.stack[len(d.stack)-1].kind != fList {
		return false
	}
	if !d.validation {
		return d.addTraining(d.stack[len(d.stack)-1].ref, items, cost)
	}
	for _, v := range items {
		switch v.kind {
		case fDict, fList, fInt, fFloat, fNumpy:
		default:
			return false
		}
	}
	ref := d.stack[len(d.stack)-1].ref
	l := d.lists[ref]
	if len(l)+len(items) > cap(l) {
		before := cap(l)
		l = slices.Grow(l, max(len(items), len(l)))
		d.listBytes += int64(cap(l)-before) * int64(unsafe.Sizeof(fval{}))
	}
	d.lists[ref] = append(l, items...)
	d.spent += cost
	return true
}

// addTraining appends training documents to the list ref, converting
// them as the general path does. Only one list may hold documents, and
// only documents.
func (d *fastDecoder) addTraining(ref int32, items []fval, cost int64) bool {
	if len(items) == 0 {
		d.spent += cost
		return true
	}
	if d.outList < 0 {
		d.outList = ref
	}
	if ref != d.outList {
		return false
	}
	const all = haveIteration | haveLoss | haveTime
	for _, v := range items {
		if v.kind != fDict {
			return false
		}
		doc := &d.docs[v.ref]
		if doc.have&all != all || d.budget.spend(keys(doc.have), costDocKey) != nil {
			return false
		}
		t := trainingDoc{runName: d.names.get(d.in, doc.runName, doc.have&haveRunName != 0)}
		t.stats.Iteration = int(doc.iteration)
		t.stats.Loss, t.stats.Time = doc.loss, doc.time
		d.out = append(doubling(d.out), t)
		doc.consumed = true
	}
	// The documents are copied, and a dict leaves the stack only so (a
	// memo reference to one takes the general path): the newest slots
	// consumed are free again.
	for len(d.docs) > 0 && d.docs[len(d.docs)-1].consumed {
		d.docs = d.docs[:len(d.docs)-1]
	}
	d.spent += cost
	return true
}

// setIn sets the key/value pairs of items in the document on top of the
// stack. Only DaCapo's keys, each once, with values of their types are
// taken: anything else is for the general path.
func (d *fastDecoder) setIn(items []fval, cost int64) bool {
	if len(items)%2 != 0 || len(d.stack) == 0 || d.stack[len(d.stack)-1].kind != fDict {
		return false
	}
	doc := &d.docs[d.stack[len(d.stack)-1].ref]
	for i := 0; i < len(items); i += 2 {
		k, v := items[i], items[i+1]
		if k.kind != fStr {
			return false
		}
		off, n := k.num>>32, k.num&0xffffffff
		key := d.in[off : off+n]
		var bit uint8
		switch {
		case string(key) == keyIteration:
			if v.kind != fInt || int64(v.num) < 0 {
				return false
			}
			bit, doc.iteration = haveIteration, int64(v.num)
		case string(key) == keyRunName:
			if v.kind != fStr {
				return false
			}
			bit, doc.runName = haveRunName, v.num
		case string(key) == keyScores && d.validation:
			if v.kind != fList {
				return false
			}
			bit, doc.scores = haveScores, v.ref
		case string(key) == keyLoss && !d.validation:
			f, ok := number(v)
			if !ok {
				return false
			}
			bit, doc.loss = haveLoss, f
		case string(key) == keyTime && !d.validation:
			f, ok := number(v)
			if !ok {
				return false
			}
			bit, doc.time = haveTime, f
		default:
			return false
		}
		if doc.have&bit != 0 {
			return false
		}
		doc.have |= bit
	}
	d.spent += cost
	return true
}

// long1 reads a LONG1 of at most 8 bytes, little-endian two's complement.
func (d *fastDecoder) long1() bool {
	b, ok := d.read(1)
	if !ok || b[0] > 8 {
		return false
	}
	n := int(b[0])
	data, ok := d.read(n)
	if !ok {
		return false
	}
	var v int64
	if n > 0 {
		var buf [8]byte
		if data[n-1]&0x80 != 0 {
			buf = [8]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
		}
		copy(buf[:], data)
		v = int64(binary.LittleEndian.Uint64(buf[:]))
	}
	d.push(fval{kind: fInt, num: uint64(v), big: true}, costScalar+int64(n))
	return true
}

// sized reads a str or bytes with a length of lenBytes bytes.
func (d *fastDecoder) sized(op byte, lenBytes int) bool {
	b, ok := d.read(lenBytes)
	if !ok {
		return false
	}
	n := uint64(b[0])
	if lenBytes == 4 {
		n = uint64(binary.LittleEndian.Uint32(b))
	}
	if n > uint64(len(d.in)-d.pos) {
		return false
	}
	kind := fStr
	if op == opShortBinbytes || op == opBinbytes {
		kind = fBytes
	}
	d.push(fval{kind: kind, num: uint64(d.pos)<<32 | n}, costString+int64(n))
	d.pos += int(n)
	return true
}

func (d *fastDecoder) str(v fval) []byte {
	off, n := v.num>>32, v.num&0xffffffff
	return d.in[off : off+n]
}

// globalKind is the fkind of an allowed global the fast decoder handles.
func globalKind(module, name []byte) (fkind, bool) {
	switch string(module) {
	case "numpy.core.multiarray", "numpy._core.multiarray":
		if string(name) == "scalar" {
			return fScalarFunc, true
		}
	case "numpy":
		if string(name) == "dtype" {
			return fDtypeFunc, true
		}
	}
	return 0, false
}

func (d *fastDecoder) global() bool {
	rest := d.in[d.pos:]
	i := bytes.IndexByte(rest[:min(len(rest), maxGlobalLen+1)], '\n')
	if i < 0 {
		return false
	}
	module := rest[:i]
	rest = rest[i+1:]
	j := bytes.IndexByte(rest[:min(len(rest), maxGlobalLen+1)], '\n')
	if j < 0 {
		return false
	}
	kind, ok := globalKind(module, rest[:j])
	if !ok {
		return false
	}
	d.pos += i + 1 + j + 1
	d.push(fval{kind: kind}, costCall)
	return true
}

func (d *fastDecoder) stackGlobal() bool {
	v, ok := d.pop(2)
	if !ok || v[0].kind != fStr || v[1].kind != fStr {
		return false
	}
	module, name := d.str(v[0]), d.str(v[1])
	if len(module) > maxGlobalLen || len(name) > maxGlobalLen {
		return false
	}
	kind, ok := globalKind(module, name)
	if !ok {
		return false
	}
	d.push(fval{kind: kind}, costCall)
	return true
}

// tupleN handles TUPLE2 (a numpy scalar's arguments) and TUPLE3 (a
// numpy.dtype's arguments).
func (d *fastDecoder) tupleN(op byte) bool {
	n := 2
	if op == opTuple3 {
		n = 3
	}
	v, ok := d.pop(n)
	if !ok {
		return false
	}
	var t fval
	switch {
	case n == 3 && v[0].kind == fStr && string(d.str(v[0])) == "f8" && v[1].kind == fFalse && v[2].kind == fTrue:
		t = fval{kind: fDtypeArgs}
	case n == 2 && v[0].kind == fDtype && v[1].kind == fBytes && v[1].num&0xffffffff == 8:
		off := v[1].num >> 32
		t = fval{kind: fScalarArgs, num: binary.LittleEndian.Uint64(d.in[off : off+8])}
	default:
		return false
	}
	d.push(t, costContainer+int64(n)*costItem)
	return true
}

// stateTuple handles TUPLE for numpy.dtype's state (3, "<", None, None,
// None, -1, -1, 0), ints as og-rek's int64.
func (d *fastDecoder) stateTuple() bool {
	v, ok := d.popMark()
	if !ok || len(v) != 8 {
		return false
	}
	isInt := func(x fval, n int64) bool { return x.kind == fInt && !x.big && int64(x.num) == n }
	if !isInt(v[0], 3) || v[1].kind != fStr || string(d.str(v[1])) != "<" ||
		v[2].kind != fNone || v[3].kind != fNone || v[4].kind != fNone ||
		!isInt(v[5], -1) || !isInt(v[6], -1) || !isInt(v[7], 0) {
		return false
	}
	d.push(fval{kind: fDtypeState}, costContainer+8*costItem)
	return true
}

func (d *fastDecoder) reduce() bool {
	v, ok := d.pop(2)
	if !ok {
		return false
	}
	switch {
	case v[0].kind == fDtypeFunc && v[1].kind == fDtypeArgs && len(d.pending) == 0 && !d.dtypeCallOnStack():
		d.push(fval{kind: fDtypeCall}, costCall)
	case v[0].kind == fScalarFunc && v[1].kind == fScalarArgs:
		d.push(fval{kind: fNumpy, num: v[1].num}, costCall)
	default:
		return false
	}
	return true
}

func (d *fastDecoder) dtypeCallOnStack() bool {
	for _, v := range d.stack {
		if v.kind == fDtypeCall {
			return true
		}
	}
	return false
}

// build sets the state of the dtype call below it, as the scanner does
// (the memo puts of the dtype are stored only now).
func (d *fastDecoder) build() bool {
	v, ok := d.pop(2)
	if !ok || v[0].kind != fDtypeCall || v[1].kind != fDtypeState {
		return false
	}
	built := fval{kind: fDtype}
	d.push(built, costContainer)
	for _, idx := range d.pending {
		d.memo[idx] = built
	}
	d.pending = d.pending[:0]
	return true
}

func (d *fastDecoder) put(op byte) bool {
	idx := uint32(len(d.memo))
	switch op {
	case opBinput:
		b, ok := d.read(1)
		if !ok {
			return false
		}
		idx = uint32(b[0])
	case opLongBinput:
		b, ok := d.read(4)
		if !ok {
			return false
		}
		idx = binary.LittleEndian.Uint32(b)
	}
	if idx != uint32(len(d.memo)) || len(d.stack) == 0 {
		return false
	}
	top := &d.stack[len(d.stack)-1]
	if top.kind == fMark || top.memo {
		return false
	}
	top.memo = true
	d.spent += costMemo
	v := *top
	v.memo = false
	if v.kind == fDtypeCall {
		d.pending = append(d.pending, idx)
	}
	if len(d.memo) == cap(d.memo) && len(d.memo) >= 4096 && d.memoHint > len(d.memo) {
		// Past the first few thousand entries (where a memo bomb fails),
		// grow once to the size the file suggests.
		d.memo = slices.Grow(d.memo, d.memoHint-len(d.memo))
	}
	d.memo = append(doubling(d.memo), v)
	return true
}

func (d *fastDecoder) get(op byte) bool {
	var idx uint32
	if op == opBinget {
		b, ok := d.read(1)
		if !ok {
			return false
		}
		idx = uint32(b[0])
	} else {
		b, ok := d.read(4)
		if !ok {
			return false
		}
		idx = binary.LittleEndian.Uint32(b)
	}
	if idx >= uint32(len(d.memo)) {
		return false
	}
	v := d.memo[idx]
	switch v.kind {
	case fList, fDict, fDtypeCall:
		return false // shared containers and unbuilt dtypes: the general path
	}
	if !v.read {
		d.memo[idx].read = true
		d.spent += costMemoRead
	}
	v.memo, v.read = true, false
	d.push(v, 0)
	return true
}
