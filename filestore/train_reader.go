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
// A whole-history read is one sequential pass (all) that checks everything.
// Seeks (findGE) use that every block and every chunk starts with a whole
// entry and that iterations increase across the file: they find the block,
// then the chunk, by the iterations they start with, and verify only the
// chunks they take entries from (at most 512 bytes each in format version
// 2). The iteration each block starts with is remembered, once verified, in
// the Store's index of the file (firsts), so warm seeks load only the
// blocks they take entries from.
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
	// walks[b] is what readers of the file's memory map found in block b
	// (its chunks, which are verified), nil when not known yet: shared
	// like firsts, nil unless this reader reads the map.
	walks []atomic.Pointer[blockWalk]
	// The blocks loaded and the chunks verified last, reused to spare the
	// garbage collector; newest is the index of the newest.
	blocks      [2]seekBlock
	chunks      [2]seekChunk
	newestBlock int
	newestChunk int
}

// newTrainReader returns a reader of snap that reads f through ReadAt;
// firsts is the shared index of block first iterations, or nil.
func newTrainReader(f fsutil.File, snap *trainSnap, firsts []atomic.Uint64) *trainReader {
	tr := &trainReader{path: f.Name(), l: snap.l, end: snap.end, nb: snap.l.NumBlocks(snap.end),
		last: snap.last, v: &readView{f: f}, firsts: firsts}
	for i := range tr.blocks {
		tr.blocks[i].b, tr.chunks[i].b = -1, -1
	}
	return tr
}

// scanPiece is how many bytes a sequential pass asks its view for at a
// time: a multiple of every block size. 64 KiB reads a history as fast as
// 1 MiB pieces at 1e6 entries and twice as fast at 1e4 to 1e5 (a fresh
// reader's buffer is new memory, whose first touch costs more than the
// extra reads; BenchmarkTrainWorkload/read, 2026-12-06).
const scanPiece = 64 << 10

// maxGuesses is how many interpolation steps a seek takes before it
// bisects.
const maxGuesses = 3

// errStop stops a scan early; it never leaves this file.
var errStop = errors.New("stop scan")

// all decodes every committed entry, appending them to dst: there must be
// count of them. A nil dst gets a new slice of exactly count entries.
func (tr *trainReader) all(dst []statstore.TrainingIterationStats, count int) ([]statstore.TrainingIterationStats, error) {
	if dst == nil {
		dst = make([]statstore.TrainingIterationStats, 0, count)
	}
	base := len(dst)
	grown := slices.Grow(dst, count)
	// The decoder's capacity is exactly the count, so that a record
	// holding more entries than counted is caught before it is decoded.
	d := trainDecoder{out: grown[: base : base+count], base: base, prev: -1, counted: true}
	sc := tr.l.NewScanner(tr.l.Base, tr.end)
	if err := tr.feed(&sc, d.chunk); err != nil {
		return nil, err
	}
	if err := sc.Finish(); err != nil {
		return nil, frameErr(tr.path, err)
	}
	if got := len(d.out) - base; got != count {
		return nil, corrupt(tr.path, tr.end, fmt.Errorf("the records hold %d entries, the last one counts %d", got, count))
	}
	return grown[:len(d.out)], nil
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
	// the entries there are after its first base entries (the caller's).
	counted bool
	base    int
	// from, to: keep only the iterations in [from, to) (to 0: no bound).
	from, to int
}

func (d *trainDecoder) chunk(c record.Chunk) error {
	p := c.Payload
	if c.Type == record.Full || c.Type == record.First {
		if len(p) < trainingHeadSize {
			return &record.Error{Offset: c.Off, Reason: fmt.Sprintf("%s chunk of %d bytes has no room for its %d-byte head", c.Type, len(p), trainingHeadSize)}
		}
		if before, found := int64(binary.LittleEndian.Uint64(p)), int64(len(d.out)-d.base); d.counted && before != found {
			return &record.Error{Offset: c.Off, Reason: fmt.Sprintf("record says %d entries precede it, found %d", before, found)}
		}
		p = p[trainingHeadSize:]
	}
	n := len(p) / trainingEntrySize
	if n*trainingEntrySize != len(p) || (n == 0 && c.Type != record.Last) {
		return &record.Error{Offset: c.Off, Reason: fmt.Sprintf("%s chunk holds %d bytes of entries, want a positive multiple of %d", c.Type, len(p), trainingEntrySize)}
	}
	if n == 0 {
		return nil
	}
	k := len(d.out)
	if k+n > cap(d.out) {
		if d.counted {
			return &record.Error{Offset: c.Off, Reason: fmt.Sprintf("more than the %d entries the last record counts", cap(d.out)-d.base)}
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

// seekBlock is one block of a training file as a seek sees it: its bytes
// and the chunks in it, found by walking the chunk headers. Nothing in it is
// verified yet: a seek verifies the chunks it takes entries from (chunk).
type seekBlock struct {
	b      int
	off    int64 // file offset of the block
	buf    []byte
	chunks []chunkRef // own, or those of walk
	own    []chunkRef // the reader's, reused by the walks of its later blocks
	walk   *blockWalk // the Store's record of the block, nil for none
	// bad is the offset where the walk met something that is not a chunk
	// (or valid padding) before the block's end, -1 when it met none.
	bad int64
}

// chunkRef is a chunk of a seekBlock as its header says.
type chunkRef struct {
	at    int // offset in the block's bytes
	typ   record.ChunkType
	n     int // payload length
	first int // the iteration its entries start with, unverified
}

// seekChunk is a verified chunk: its checksum and layout are checked, and
// its iterations increase.
type seekChunk struct {
	b     int    // its block
	k     int    // its index among the block's chunks
	off   int64  // its file offset
	body  []byte // entry bytes
	first int
	last  int
}

// count returns the number of entries.
func (c seekChunk) count() int { return len(c.body) / trainingEntrySize }

// iter returns the iteration of entry i.
func (c seekChunk) iter(i int) int { return iterAt(c.body, i) }

// entry returns entry i.
func (c seekChunk) entry(i int) statstore.TrainingIterationStats {
	var e [1]statstore.TrainingIterationStats
	decodeInto(e[:], c.body[i*trainingEntrySize:], -1)
	return e[0]
}

// search returns the index of the first entry with iteration >= t, count()
// when there is none.
func (c seekChunk) search(t int) int {
	return sort.Search(c.count(), func(i int) bool { return iterAt(c.body, i) >= t })
}

// entryOffset returns where the entries of a chunk of type t start in its
// payload.
func entryOffset(t record.ChunkType) int {
	if t == record.Full || t == record.First {
		return trainingHeadSize
	}
	return 0
}

// loadBlock returns block b with its chunks walked.
// The block, and the chunks taken from it, are the reader's until the
// second next loadBlock: a view that reads (not a map) reuses the bytes of
// the slot a block leaves, and the chunks verified from that block are
// forgotten with it.
func (tr *trainReader) loadBlock(b int) (*seekBlock, error) {
	for i := range tr.blocks {
		if tr.blocks[i].b == b {
			return &tr.blocks[i], nil
		}
	}
	off := tr.l.BlockOff(b)
	n := min(off+tr.l.BlockLen(), tr.end) - off
	if b < 0 || n <= 0 {
		return nil, fmt.Errorf("filestore: block %d of %s is outside its %d committed blocks", b, tr.path, tr.nb)
	}
	slot := 1 - tr.newestBlock
	blk := &tr.blocks[slot]
	for i := range tr.chunks {
		if tr.chunks[i].b == blk.b {
			tr.chunks[i].b = -1 // its bytes are about to be overwritten
		}
	}
	*blk = seekBlock{b: -1, off: off, chunks: blk.own[:0], own: blk.own, bad: -1}
	buf, err := tr.v.at(off, n, slot)
	if err != nil {
		return nil, err
	}
	tr.newestBlock = slot
	blk.buf = buf
	if tr.walks != nil {
		if w := tr.walks[b].Load(); w != nil {
			blk.chunks, blk.walk, blk.b = w.chunks, w, b
			return blk, nil
		}
	}
	for at := 0; at < len(buf); {
		t, size, ok := record.PeekChunk(buf[at:])
		if ok && t == record.Padding {
			break // padding: the checked parse of a full read tells valid from not
		}
		eo := entryOffset(t)
		if ok && t == record.Last && size == 0 && at+record.HeaderSize <= len(buf) {
			at += record.HeaderSize // a record's empty last chunk: no entries
			continue
		}
		if !ok || t > record.Last || at+record.HeaderSize+size > len(buf) || size < eo+trainingEntrySize {
			blk.bad = off + int64(at)
			break
		}
		blk.chunks = append(blk.chunks, chunkRef{at: at, typ: t, n: size, first: iterAt(buf[at+record.HeaderSize+eo:], 0)})
		at += record.HeaderSize + size
	}
	blk.own = blk.chunks
	if len(blk.chunks) == 0 {
		return nil, corrupt(tr.path, off, errors.New("block does not start with a chunk of training entries"))
	}
	blk.b = b
	if tr.walks != nil && blk.bad < 0 && off+tr.l.BlockLen() <= tr.end {
		// A complete block: appends never change it.
		w := &blockWalk{chunks: slices.Clone(blk.chunks), verified: make([]atomic.Bool, len(blk.chunks))}
		tr.walks[b].CompareAndSwap(nil, w)
		blk.walk = tr.walks[b].Load()
		blk.chunks = blk.walk.chunks
	}
	return blk, nil
}

// chunk verifies and returns chunk k of blk.
func (tr *trainReader) chunk(blk *seekBlock, k int) (seekChunk, error) {
	for _, c := range tr.chunks {
		if c.b == blk.b && c.k == k {
			return c, nil
		}
	}
	ref := blk.chunks[k]
	if blk.walk != nil && blk.walk.verified[k].Load() {
		// Verified by an earlier seek in these very bytes of the map.
		at := ref.at + record.HeaderSize
		body := blk.buf[at+entryOffset(ref.typ) : at+ref.n]
		sc := seekChunk{b: blk.b, k: k, off: blk.off + int64(ref.at), body: body, first: ref.first,
			last: iterAt(body, len(body)/trainingEntrySize-1)}
		tr.newestChunk = 1 - tr.newestChunk
		tr.chunks[tr.newestChunk] = sc
		return sc, nil
	}
	c, err := record.CheckChunk(blk.buf[ref.at:], blk.off+int64(ref.at))
	if err != nil {
		return seekChunk{}, frameErr(tr.path, err)
	}
	_, body, err := chunkEntries(c.Type, c.Payload)
	if err != nil {
		return seekChunk{}, corrupt(tr.path, c.Off, err)
	}
	sc := seekChunk{b: blk.b, k: k, off: c.Off, body: body, first: iterAt(body, 0), last: -1}
	for i := range sc.count() {
		it := iterAt(body, i)
		if it <= sc.last {
			return seekChunk{}, corrupt(tr.path, c.Off, fmt.Errorf("iteration %d follows iteration %d, want strictly increasing", it, sc.last))
		}
		sc.last = it
	}
	if k == 0 && tr.firsts != nil {
		if v := tr.firsts[blk.b].Load(); v != 0 && int(v-1) != sc.first {
			return seekChunk{}, corrupt(tr.path, blk.off, fmt.Errorf("block starts with iteration %d, an earlier read of this file found %d", sc.first, v-1))
		}
		tr.firsts[blk.b].Store(uint64(sc.first) + 1)
	}
	if blk.walk != nil {
		blk.walk.verified[k].Store(true)
	}
	tr.newestChunk = 1 - tr.newestChunk
	tr.chunks[tr.newestChunk] = sc
	return sc, nil
}

// next returns the chunk after c in the file; ok is false after the last.
func (tr *trainReader) next(c seekChunk) (_ seekChunk, ok bool, err error) {
	blk, err := tr.loadBlock(c.b)
	if err != nil {
		return seekChunk{}, false, err
	}
	switch {
	case c.k+1 < len(blk.chunks):
		n, err := tr.chunk(blk, c.k+1)
		return n, err == nil, err
	case blk.bad >= 0:
		return seekChunk{}, false, corrupt(tr.path, blk.bad, errors.New("no valid chunk header where the next chunk of training entries must start"))
	case c.b+1 >= tr.nb:
		return seekChunk{}, false, nil
	}
	if blk, err = tr.loadBlock(c.b + 1); err != nil {
		return seekChunk{}, false, err
	}
	n, err := tr.chunk(blk, 0)
	return n, err == nil, err
}

// prev returns the chunk before c in the file; ok is false before the
// first.
func (tr *trainReader) prev(c seekChunk) (_ seekChunk, ok bool, err error) {
	if c.b == 0 && c.k == 0 {
		return seekChunk{}, false, nil
	}
	b, k := c.b, c.k-1
	if k < 0 {
		b--
	}
	blk, err := tr.loadBlock(b)
	if err != nil {
		return seekChunk{}, false, err
	}
	if k < 0 {
		if blk.bad >= 0 {
			return seekChunk{}, false, corrupt(tr.path, blk.bad, errors.New("no valid chunk header where a chunk of training entries must start"))
		}
		k = len(blk.chunks) - 1
	}
	p, err := tr.chunk(blk, k)
	return p, err == nil, err
}

// first returns the iteration block b starts with, from the index when it
// is known there (the index holds only verified values).
func (tr *trainReader) first(b int) (int, error) {
	if tr.firsts != nil {
		if v := tr.firsts[b].Load(); v != 0 {
			return int(v - 1), nil
		}
	}
	blk, err := tr.loadBlock(b)
	if err != nil {
		return 0, err
	}
	c, err := tr.chunk(blk, 0)
	if err != nil {
		return 0, err
	}
	return c.first, nil
}

// holds reports whether block b, when loaded lately, holds an entry at or
// after t, as its unverified bytes say: then a search needs to look no
// further (what it returns is verified then). b starts at or before t.
func (tr *trainReader) holds(b, t int) bool {
	var blk *seekBlock
	for i := range tr.blocks {
		if tr.blocks[i].b == b {
			blk = &tr.blocks[i]
		}
	}
	if blk == nil {
		return false
	}
	ref := blk.chunks[len(blk.chunks)-1]
	if ref.first > t {
		return true
	}
	end := ref.at + record.HeaderSize + ref.n
	return iterAt(blk.buf[end-trainingEntrySize:], 0) >= t
}

// firstEntry returns the file's first entry.
func (tr *trainReader) firstEntry() (statstore.TrainingIterationStats, error) {
	blk, err := tr.loadBlock(0)
	if err != nil {
		return statstore.TrainingIterationStats{}, err
	}
	c, err := tr.chunk(blk, 0)
	if err != nil {
		return statstore.TrainingIterationStats{}, err
	}
	return c.entry(0), nil
}

// findGE returns the chunk holding the first entry with iteration >= t and
// the entry's index there; ok is false when every entry is below t. hint is
// a block at or before the answer's (that of an answer for a smaller t), or
// 0.
//
// It finds the last block that starts at or before t (searching the index
// of block first iterations: interpolating first, as histories are usually
// regular, bisecting after a few guesses), then in that block the last
// chunk that starts at or before t (by the chunk headers), verifies that
// chunk and searches it. When the entry is past that chunk, it is the
// first of the next chunk, which is verified too and checked to follow.
func (tr *trainReader) findGE(t, hint int) (c seekChunk, i int, ok bool, err error) {
	if tr.nb == 0 {
		return c, 0, false, nil
	}
	lo, hi := min(max(hint, 0), tr.nb-1), tr.nb
	flo, err := tr.first(lo)
	if err != nil {
		return c, 0, false, err
	}
	// fhi is the iteration block hi starts with, or one past the last
	// entry's when hi is the end.
	fhi := tr.last.Iteration + 1
	if flo > t && lo > 0 {
		lo, hi, fhi = 0, lo, flo
		if flo, err = tr.first(0); err != nil {
			return c, 0, false, err
		}
	}
	// Invariant: block lo starts at or before t (or lo is 0), and block hi
	// after it (or hi is the end).
	for guess := 0; hi-lo > 1 && flo <= t; guess++ {
		if tr.holds(lo, t) {
			break
		}
		g := lo + (hi-lo)/2
		if guess < maxGuesses && fhi > flo {
			g = lo + int(float64(t-flo)/float64(fhi-flo)*float64(hi-lo))
		}
		g = min(max(g, lo+1), hi-1)
		fg, err := tr.first(g)
		if err != nil {
			return c, 0, false, err
		}
		if fg <= t {
			lo, flo = g, fg
		} else {
			hi, fhi = g, fg
		}
	}
	blk, err := tr.loadBlock(lo)
	if err != nil {
		return c, 0, false, err
	}
	k := 0
	for j := 1; j < len(blk.chunks) && blk.chunks[j].first <= t; j++ {
		k = j
	}
	if c, err = tr.chunk(blk, k); err != nil {
		return c, 0, false, err
	}
	if i = c.search(t); i < c.count() {
		return c, i, true, nil
	}
	n, ok, err := tr.next(c)
	if err != nil || !ok {
		return c, 0, false, err
	}
	if n.first <= c.last {
		return c, 0, false, corrupt(tr.path, n.off, fmt.Errorf("chunk starts with iteration %d after iteration %d, want strictly increasing", n.first, c.last))
	}
	return n, 0, true, nil
}

// entryBefore returns the last entry with iteration < to (the last entry
// when to is 0, meaning no bound).
func (tr *trainReader) entryBefore(to int) (statstore.TrainingIterationStats, bool, error) {
	if to == 0 || to > tr.last.Iteration {
		return tr.last, tr.nb > 0, nil
	}
	c, i, ok, err := tr.findGE(to, 0)
	switch {
	case err != nil:
		return statstore.TrainingIterationStats{}, false, err
	case !ok:
		return tr.last, true, nil
	case i > 0:
		return c.entry(i - 1), true, nil
	}
	p, ok, err := tr.prev(c)
	if err != nil || !ok {
		return statstore.TrainingIterationStats{}, false, err
	}
	return p.entry(p.count() - 1), true, nil
}
