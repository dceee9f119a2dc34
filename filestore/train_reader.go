package filestore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync/atomic"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/fsutil"
	"github.com/statstore/statstore/internal/record"
)

// trainReader reads one state (snapshot) of a training file.
//
// A whole-history read is one sequential pass (all). Seeks (findGE) use
// that every block starts with a whole entry and that iterations increase
// across the file: they search the blocks by the iteration each starts
// with, interpolating first (histories are usually regular, so the first
// guess is usually right) and bisecting after a few guesses, then parse the
// one block that holds the answer. Parsing a block verifies the checksum of
// every chunk in it and that its iterations increase; the iteration each
// block starts with is remembered in the Store's index of the file
// (firsts), so warm seeks parse only the blocks they take entries from.
type trainReader struct {
	path string
	l    record.Layout
	end  int64 // end of the committed records
	nb   int   // blocks before end
	last statstore.TrainingIterationStats
	v    view
	// firsts[b] is 1 + the iteration block b starts with, 0 when not known
	// yet: shared by the Store's readers of this file, nil for none.
	firsts []atomic.Uint64
	recent [2]*parsedBlock // the blocks parsed last, newest first
}

// newTrainReader returns a reader of snap that reads f through ReadAt;
// firsts is the shared index of block first iterations, or nil.
func newTrainReader(f fsutil.File, snap *trainSnap, firsts []atomic.Uint64) *trainReader {
	return &trainReader{path: f.Name(), l: snap.l, end: snap.end, nb: snap.l.NumBlocks(snap.end),
		last: snap.last, v: &readView{f: f}, firsts: firsts}
}

// scanPiece is how many bytes a sequential pass asks its view for at a
// time: a multiple of every block size.
const scanPiece = 1 << 20

// maxGuesses is how many interpolation steps a seek takes before it
// bisects.
const maxGuesses = 3

// errStop stops a scan early; it never leaves this file.
var errStop = errors.New("stop scan")

// all decodes every committed entry: there must be count of them.
func (tr *trainReader) all(count int) ([]statstore.TrainingIterationStats, error) {
	d := trainDecoder{out: make([]statstore.TrainingIterationStats, 0, count), prev: -1, counted: true}
	sc := tr.l.NewScanner(tr.l.Base, tr.end)
	if err := tr.feed(&sc, d.chunk); err != nil {
		return nil, err
	}
	if err := sc.Finish(); err != nil {
		return nil, frameErr(tr.path, err)
	}
	if len(d.out) != count {
		return nil, corrupt(tr.path, tr.end, fmt.Errorf("the records hold %d entries, the last one counts %d", len(d.out), count))
	}
	return d.out, nil
}

// scanFrom decodes the entries in r from block b on, which holds the first
// of them.
func (tr *trainReader) scanFrom(b int, r statstore.IterationRange) ([]statstore.TrainingIterationStats, error) {
	d := trainDecoder{out: []statstore.TrainingIterationStats{}, prev: -1, from: r.From, to: r.To}
	sc := tr.l.NewResumeScanner(tr.l.BlockOff(b), tr.end)
	err := tr.feed(&sc, d.chunk)
	if err != nil && !errors.Is(err, errStop) {
		return nil, err
	}
	return d.out, nil
}

// feed hands sc the rest of its region, scanPiece bytes at a time.
func (tr *trainReader) feed(sc *record.Scanner, fn func(record.Chunk) error) error {
	for pos := sc.Pos(); pos < tr.end; pos = sc.Pos() {
		n := min(tr.end, pos+scanPiece-(pos-tr.l.Base)%scanPiece) - pos
		buf, err := tr.v.scan(pos, n)
		if err != nil {
			return err
		}
		if err := sc.Feed(buf, fn); err != nil {
			if errors.Is(err, errStop) {
				return err
			}
			return frameErr(tr.path, err)
		}
	}
	return nil
}

// trainDecoder decodes the chunks of a training file, in order, into
// entries, checking them.
type trainDecoder struct {
	out  []statstore.TrainingIterationStats
	prev int // the last iteration decoded, -1 for none
	// counted: the scan starts at the file's first record, so each record's
	// head (the entries before it) is checked, and out has room for exactly
	// the entries there are.
	counted bool
	// from, to: keep only the iterations in [from, to) (to 0: no bound).
	from, to int
}

func (d *trainDecoder) chunk(c record.Chunk) error {
	p := c.Payload
	if c.Type == record.Full || c.Type == record.First {
		if len(p) < trainingHeadSize {
			return &record.Error{Offset: c.Off, Reason: fmt.Sprintf("%s chunk of %d bytes has no room for its %d-byte head", c.Type, len(p), trainingHeadSize)}
		}
		if before := int64(binary.LittleEndian.Uint64(p)); d.counted && before != int64(len(d.out)) {
			return &record.Error{Offset: c.Off, Reason: fmt.Sprintf("record says %d entries precede it, found %d", before, len(d.out))}
		}
		p = p[trainingHeadSize:]
	}
	n := len(p) / trainingEntrySize
	if n == 0 || n*trainingEntrySize != len(p) {
		return &record.Error{Offset: c.Off, Reason: fmt.Sprintf("%s chunk holds %d bytes of entries, want a positive multiple of %d", c.Type, len(p), trainingEntrySize)}
	}
	k := len(d.out)
	if k+n > cap(d.out) {
		if d.counted {
			return &record.Error{Offset: c.Off, Reason: fmt.Sprintf("more than the %d entries the last record counts", cap(d.out))}
		}
		d.out = slices.Grow(d.out, n)
	}
	d.out = d.out[:k+n]
	last, ok := decodeInto(d.out[k:], p, d.prev)
	if !ok {
		prev := d.prev
		if last > 0 {
			prev = iterAt(p, last-1)
		}
		d.out = d.out[:k]
		return &record.Error{Offset: c.Off, Reason: fmt.Sprintf("iteration %d follows iteration %d, want strictly increasing", iterAt(p, last), prev)}
	}
	d.prev = last
	if d.counted {
		return nil
	}
	// A range: drop what comes before from, stop at to.
	if got := d.out[k:]; got[0].Iteration < d.from {
		i := sort.Search(len(got), func(i int) bool { return got[i].Iteration >= d.from })
		d.out = append(d.out[:k], got[i:]...)
	}
	if got := d.out[k:]; d.to != 0 && len(got) > 0 && got[len(got)-1].Iteration >= d.to {
		i := sort.Search(len(got), func(i int) bool { return got[i].Iteration >= d.to })
		d.out = d.out[:k+i]
		return errStop
	}
	return nil
}

// parsedBlock is one checked block of a training file.
type parsedBlock struct {
	b     int
	parts [][]byte // the entry bytes of each chunk, heads removed
	n     int      // entries
	first int      // iteration of the first entry
	last  int      // iteration of the last entry
}

// iter returns the iteration of entry i.
func (pb *parsedBlock) iter(i int) int {
	for _, p := range pb.parts {
		k := len(p) / trainingEntrySize
		if i < k {
			return iterAt(p, i)
		}
		i -= k
	}
	return -1
}

// entry returns entry i.
func (pb *parsedBlock) entry(i int) statstore.TrainingIterationStats {
	for _, p := range pb.parts {
		k := len(p) / trainingEntrySize
		if i < k {
			var e [1]statstore.TrainingIterationStats
			decodeInto(e[:], p[i*trainingEntrySize:], -1)
			return e[0]
		}
		i -= k
	}
	return statstore.TrainingIterationStats{}
}

// search returns the index of the first entry with iteration >= t, n when
// there is none.
func (pb *parsedBlock) search(t int) int {
	base := 0
	for _, p := range pb.parts {
		k := len(p) / trainingEntrySize
		if iterAt(p, k-1) >= t {
			return base + sort.Search(k, func(i int) bool { return iterAt(p, i) >= t })
		}
		base += k
	}
	return pb.n
}

// block returns block b parsed and checked: every chunk's checksum and
// layout, and iterations increasing through the block.
func (tr *trainReader) block(b int) (*parsedBlock, error) {
	for _, pb := range tr.recent {
		if pb != nil && pb.b == b {
			return pb, nil
		}
	}
	off := tr.l.BlockOff(b)
	n := min(off+tr.l.BlockLen(), tr.end) - off
	if b < 0 || n <= 0 {
		return nil, fmt.Errorf("filestore: block %d of %s is outside its %d committed blocks", b, tr.path, tr.nb)
	}
	buf, err := tr.v.at(off, n)
	if err != nil {
		return nil, err
	}
	pb := &parsedBlock{b: b}
	prev := -1
	sc := tr.l.NewResumeScanner(off, off+n)
	err = sc.Feed(buf, func(c record.Chunk) error {
		_, body, err := chunkEntries(c.Type, c.Payload)
		if err != nil {
			return &record.Error{Offset: c.Off, Reason: err.Error()}
		}
		for i := range len(body) / trainingEntrySize {
			it := iterAt(body, i)
			if it <= prev {
				return &record.Error{Offset: c.Off, Reason: fmt.Sprintf("iteration %d follows iteration %d, want strictly increasing", it, prev)}
			}
			prev = it
		}
		pb.parts = append(pb.parts, body)
		pb.n += len(body) / trainingEntrySize
		return nil
	})
	if err != nil {
		return nil, frameErr(tr.path, err)
	}
	if pb.n == 0 {
		return nil, corrupt(tr.path, off, errors.New("block holds no training entries"))
	}
	pb.first, pb.last = iterAt(pb.parts[0], 0), prev
	if tr.firsts != nil {
		if v := tr.firsts[b].Load(); v != 0 && int(v-1) != pb.first {
			return nil, corrupt(tr.path, off, fmt.Errorf("block starts with iteration %d, an earlier read of this file found %d", pb.first, v-1))
		}
		tr.firsts[b].Store(uint64(pb.first) + 1)
	}
	tr.recent[1], tr.recent[0] = tr.recent[0], pb
	return pb, nil
}

// recentBlock returns block b if it was parsed lately, else nil.
func (tr *trainReader) recentBlock(b int) *parsedBlock {
	for _, pb := range tr.recent {
		if pb != nil && pb.b == b {
			return pb
		}
	}
	return nil
}

// first returns the iteration block b starts with, from the index when it
// is known there.
func (tr *trainReader) first(b int) (int, error) {
	if tr.firsts != nil {
		if v := tr.firsts[b].Load(); v != 0 {
			return int(v - 1), nil
		}
	}
	pb, err := tr.block(b)
	if err != nil {
		return 0, err
	}
	return pb.first, nil
}

// findGE returns the block holding the first entry with iteration >= t and
// its index there; ok is false when every entry is below t. hint is a block
// at or before the answer (that of an answer for a smaller t), or 0.
func (tr *trainReader) findGE(t, hint int) (pb *parsedBlock, i int, ok bool, err error) {
	if tr.nb == 0 {
		return nil, 0, false, nil
	}
	lo, hi := min(max(hint, 0), tr.nb-1), tr.nb
	flo, err := tr.first(lo)
	if err != nil {
		return nil, 0, false, err
	}
	// fhi is the iteration block hi starts with, or one past the last
	// entry's when hi is the end.
	fhi := tr.last.Iteration + 1
	if flo > t && lo > 0 {
		lo, hi, fhi = 0, lo, flo
		if flo, err = tr.first(0); err != nil {
			return nil, 0, false, err
		}
	}
	// Invariant: block lo starts at or before t (or lo is 0), and block hi
	// after it (or hi is the end).
	for guess := 0; hi-lo > 1 && flo <= t; guess++ {
		if pb := tr.recentBlock(lo); pb != nil && pb.last >= t {
			break // the answer is in block lo
		}
		g := lo + (hi-lo)/2
		if guess < maxGuesses && fhi > flo {
			g = lo + int(float64(t-flo)/float64(fhi-flo)*float64(hi-lo))
		}
		g = min(max(g, lo+1), hi-1)
		fg, err := tr.first(g)
		if err != nil {
			return nil, 0, false, err
		}
		if fg <= t {
			lo, flo = g, fg
		} else {
			hi, fhi = g, fg
		}
	}
	if pb, err = tr.block(lo); err != nil {
		return nil, 0, false, err
	}
	if i = pb.search(t); i < pb.n {
		return pb, i, true, nil
	}
	if lo+1 >= tr.nb {
		return nil, 0, false, nil
	}
	prev := pb
	if pb, err = tr.block(lo + 1); err != nil {
		return nil, 0, false, err
	}
	if pb.first <= prev.last {
		return nil, 0, false, corrupt(tr.path, tr.l.BlockOff(lo+1), fmt.Errorf("block starts with iteration %d after iteration %d, want strictly increasing", pb.first, prev.last))
	}
	return pb, 0, true, nil
}

// entryBefore returns the last entry with iteration < to (the last entry
// when to is 0, meaning no bound).
func (tr *trainReader) entryBefore(to int) (statstore.TrainingIterationStats, bool, error) {
	if to == 0 || to > tr.last.Iteration {
		return tr.last, tr.nb > 0, nil
	}
	pb, i, ok, err := tr.findGE(to, 0)
	switch {
	case err != nil:
		return statstore.TrainingIterationStats{}, false, err
	case !ok:
		return tr.last, true, nil
	case i > 0:
		return pb.entry(i - 1), true, nil
	case pb.b == 0:
		return statstore.TrainingIterationStats{}, false, nil
	}
	prev, err := tr.block(pb.b - 1)
	if err != nil {
		return statstore.TrainingIterationStats{}, false, err
	}
	return prev.entry(prev.n - 1), true, nil
}
