package dacapo

import (
	"encoding/binary"
	"math"
	"math/big"

	"github.com/statstore/statstore"
)

// Framing and batching of Python's pickler (Modules/_pickle.c), which
// Export follows byte for byte.
const (
	frameHeaderSize = 9        // FRAME and its 8-byte length
	frameSizeMin    = 4        // a shorter frame is written without its header
	frameSizeTarget = 64 << 10 // a frame is closed at the first opcode boundary past this size
	batchSize       = 1000     // items per APPENDS and SETITEMS
)

// pickler writes DaCapo's documents exactly as Python's pickle.dumps(docs,
// protocol=4) writes the list DaCapo's FileStatsStore holds: dict keys in
// DaCapo's document order, each str memoized once and referenced again
// with BINGET (the keys and the run name are one object in Python), lists
// batched by 1000, frames of 64 KiB. The same documents always give the
// same bytes, so exports can be diffed and checksummed.
type pickler struct {
	out        []byte
	frameStart int // offset of the open frame's header, -1 for none
	memo       uint32
	strs       map[string]uint32 // memo index of each str written
}

func newPickler(sizeHint int) *pickler {
	p := &pickler{out: make([]byte, 0, sizeHint), frameStart: -1, strs: map[string]uint32{}}
	p.out = append(p.out, opProto, ExportProtocol)
	return p
}

// op starts an opcode, opening a frame when none is open.
func (p *pickler) op(b ...byte) {
	if p.frameStart < 0 {
		p.frameStart = len(p.out)
		p.out = append(p.out, make([]byte, frameHeaderSize)...)
	}
	p.out = append(p.out, b...)
}

// boundary closes the open frame once it has reached the target size, as
// the pickler does before saving each object.
func (p *pickler) boundary() {
	if p.frameStart >= 0 && len(p.out)-p.frameStart-frameHeaderSize >= frameSizeTarget {
		p.commit()
	}
}

// commit closes the open frame: its header gets its length, or is removed
// when the frame is shorter than frameSizeMin.
func (p *pickler) commit() {
	if p.frameStart < 0 {
		return
	}
	n := len(p.out) - p.frameStart - frameHeaderSize
	if n >= frameSizeMin {
		p.out[p.frameStart] = opFrame
		binary.LittleEndian.PutUint64(p.out[p.frameStart+1:], uint64(n))
	} else {
		copy(p.out[p.frameStart:], p.out[p.frameStart+frameHeaderSize:])
		p.out = p.out[:len(p.out)-frameHeaderSize]
	}
	p.frameStart = -1
}

func (p *pickler) memoize() {
	p.op(opMemoize)
	p.memo++
}

func (p *pickler) str(s string) {
	p.boundary()
	if idx, ok := p.strs[s]; ok {
		if idx < 256 {
			p.op(opBinget, byte(idx))
		} else {
			p.op(binary.LittleEndian.AppendUint32([]byte{opLongBinget}, idx)...)
		}
		return
	}
	if len(s) < 256 {
		p.op(opShortBinunicod, byte(len(s)))
	} else {
		p.op(binary.LittleEndian.AppendUint32([]byte{opBinunicode}, uint32(len(s)))...)
	}
	p.op([]byte(s)...)
	p.strs[s] = p.memo
	p.memoize()
}

func (p *pickler) int(n int64) {
	p.boundary()
	switch {
	case n >= 0 && n <= 0xff:
		p.op(opBinint1, byte(n))
	case n >= 0 && n <= 0xffff:
		p.op(opBinint2, byte(n), byte(n>>8))
	case n >= math.MinInt32 && n <= math.MaxInt32:
		p.op(binary.LittleEndian.AppendUint32([]byte{opBinint}, uint32(int32(n)))...)
	default:
		b := encodeLong(n)
		p.op(opLong1, byte(len(b)))
		p.op(b...)
	}
}

// encodeLong is pickle.encode_long: n in little-endian two's complement,
// in the fewest bytes that keep its sign.
func encodeLong(n int64) []byte {
	nbytes := big.NewInt(n).BitLen()>>3 + 1
	b := binary.LittleEndian.AppendUint64(nil, uint64(n))
	for len(b) < nbytes {
		b = append(b, byte(n>>63)) // sign extension (n is at most 8 bytes)
	}
	b = b[:nbytes]
	if n < 0 && nbytes > 1 && b[nbytes-1] == 0xff && b[nbytes-2]&0x80 != 0 {
		b = b[:nbytes-1]
	}
	return b
}

func (p *pickler) float(f float64) {
	p.boundary()
	p.op(binary.BigEndian.AppendUint64([]byte{opBinfloat}, math.Float64bits(f))...)
}

// list writes a list of n items, item(i) writing each, batched as the C
// pickler does: a single item with APPEND, more by MARK ... APPENDS of at
// most batchSize.
func (p *pickler) list(n int, item func(i int)) {
	p.boundary()
	p.op(opEmptyList)
	p.memoize()
	switch {
	case n == 0:
	case n == 1:
		item(0)
		p.op(opAppend)
	default:
		for start := 0; start < n; start += batchSize {
			p.op(opMark)
			for i := start; i < min(n, start+batchSize); i++ {
				item(i)
			}
			p.op(opAppends)
		}
	}
}

// dict writes a dict of the keys, value(i) writing each key's value.
func (p *pickler) dict(keys []string, value func(i int)) {
	p.boundary()
	p.op(opEmptyDict)
	p.memoize()
	p.op(opMark)
	for i, k := range keys {
		p.str(k)
		value(i)
	}
	p.op(opSetitems)
}

// finish writes STOP and returns the pickle.
func (p *pickler) finish() []byte {
	p.op(opStop)
	p.commit()
	return p.out
}

// The keys of DaCapo's documents, in DaCapo's order.
var (
	trainingKeys   = [...]string{keyIteration, keyLoss, keyTime, keyRunName}
	validationKeys = [...]string{keyIteration, keyScores, keyRunName}
)

// encodeTraining returns the training documents of run as Python pickles
// them (see pickler).
func encodeTraining(run string, stats []statstore.TrainingIterationStats) []byte {
	p := newPickler(64 + len(stats)*40)
	p.list(len(stats), func(i int) {
		s := stats[i]
		p.dict(trainingKeys[:], func(k int) {
			switch k {
			case 0:
				p.int(int64(s.Iteration))
			case 1:
				p.float(s.Loss)
			case 2:
				p.float(s.Time)
			case 3:
				p.str(run)
			}
		})
	})
	return p.finish()
}

// encodeValidation returns the validation documents of run as Python
// pickles them (see pickler).
func encodeValidation(run string, scores []statstore.ValidationIterationScores) []byte {
	p := newPickler(64 + len(scores)*64)
	p.list(len(scores), func(i int) {
		s := scores[i]
		p.dict(validationKeys[:], func(k int) {
			switch k {
			case 0:
				p.int(int64(s.Iteration))
			case 1:
				p.list(len(s.Scores), func(d int) {
					p.list(len(s.Scores[d]), func(ps int) {
						c := s.Scores[d][ps]
						p.list(len(c), func(j int) { p.float(c[j]) })
					})
				})
			case 2:
				p.str(run)
			}
		})
	})
	return p.finish()
}

// numpy.float64 scalars as numpy 1 pickles them (see numpyFloat64):
// the reconstructor and the dtype are written once, then referenced.
type numpyMemo struct {
	written      bool
	scalar, dtyp uint32 // memo indices
}

// get writes a memo reference to idx.
func (p *pickler) get(idx uint32) {
	p.boundary()
	if idx < 256 {
		p.op(opBinget, byte(idx))
	} else {
		p.op(binary.LittleEndian.AppendUint32([]byte{opLongBinget}, idx)...)
	}
}

// numpyFloat writes f as a numpy.float64 scalar, byte for byte as Python's
// pickler writes numpy's own (numpy.core.multiarray.scalar(dtype('f8'),
// 8 bytes), the reconstructor and the dtype memoized).
func (p *pickler) numpyFloat(f float64, m *numpyMemo) {
	p.boundary()
	if !m.written {
		p.str("numpy.core.multiarray")
		p.str("scalar")
		p.op(opStackGlobal)
		m.scalar = p.memo
		p.memoize()
	} else {
		p.get(m.scalar)
	}
	// The arguments (dtype, data).
	if !m.written {
		p.boundary()
		p.str("numpy")
		p.str("dtype")
		p.op(opStackGlobal)
		p.memoize()
		p.boundary()
		p.str("f8")
		p.boundary()
		p.op(opNewfalse)
		p.boundary()
		p.op(opNewtrue)
		p.op(opTuple3)
		p.memoize()
		p.op(opReduce)
		m.dtyp = p.memo
		p.memoize()
		p.boundary()
		p.op(opMark)
		p.int(3)
		p.str("<")
		for range 3 {
			p.boundary()
			p.op(opNone)
		}
		p.int(-1)
		p.int(-1)
		p.int(0)
		p.op(opTuple)
		p.memoize()
		p.op(opBuild)
		m.written = true
	} else {
		p.get(m.dtyp)
	}
	p.boundary()
	p.op(opShortBinbytes, 8)
	p.op(binary.LittleEndian.AppendUint64(nil, math.Float64bits(f))...)
	p.memoize()
	p.op(opTuple2)
	p.memoize()
	p.op(opReduce)
	p.memoize()
}

// SyntheticTraining returns a training_stats pickle of n entries as DaCapo
// writes one: {"iteration": i, "loss": numpy.float64(1/(i+1)), "time":
// i/4, "run_name": run}, byte for byte what Python's pickle.dumps writes for
// that list with numpy 1. It is what statstore bench dacapo reads when
// python3 is not there to write it.
func SyntheticTraining(run string, n int) []byte {
	p := newPickler(64 + n*80)
	var m numpyMemo
	p.list(n, func(i int) {
		p.dict(trainingKeys[:], func(k int) {
			switch k {
			case 0:
				p.int(int64(i))
			case 1:
				p.numpyFloat(1/float64(i+1), &m)
			case 2:
				p.float(float64(i) / 4)
			case 3:
				p.str(run)
			}
		})
	})
	return p.finish()
}
