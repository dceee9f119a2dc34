package filestore

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/record"
)

// LostRange is a stretch of a damaged file whose data Repair could not
// keep (see docs/format.md, "What repair keeps").
type LostRange struct {
	// Offset and End delimit the lost bytes in the file as it was found
	// (its backup holds them).
	Offset, End int64
	// After and Before bound the iterations of a training file's lost
	// entries: each lies strictly between them. After is -1 when nothing
	// was kept before the range, Before -1 when nothing was kept after it.
	// Both are -1 in validation files, whose records hold iterations in
	// any order.
	After, Before int
	// Entries is the number of entries lost, -1 when the damage hides it.
	// Training files: counted from the heads of the records around the
	// damage (entries before) or from intact chunk headers. Validation
	// files: known only when every lost record verified (it could not be
	// kept for what it says, see Reason).
	Entries int
	// Reason says what was wrong at Offset.
	Reason string
}

// String describes the range for people.
func (r LostRange) String() string {
	what := "an unknown number of entries"
	if r.Entries >= 0 {
		what = fmt.Sprintf("%d entries", r.Entries)
	}
	switch {
	case r.After >= 0 && r.Before >= 0:
		what += fmt.Sprintf(" between iterations %d and %d", r.After, r.Before)
	case r.After >= 0:
		what += fmt.Sprintf(" after iteration %d", r.After)
	case r.Before >= 0:
		what += fmt.Sprintf(" before iteration %d", r.Before)
	}
	return fmt.Sprintf("%s (bytes %d to %d: %s)", what, r.Offset, r.End, r.Reason)
}

// salvaged is what repair makes of a corrupt file.
type salvaged struct {
	file  []byte // the repaired file; nil: nothing can be kept, remove it
	kept  int    // entries in it
	lost  []LostRange
	notes []string // decisions the user should know of
}

// piece is a chunk that verifies or a damaged span, in file order.
type piece struct {
	c   record.Chunk
	bad *record.Span
}

// salvagePieces returns the chunks and damaged spans of data, a whole file
// of layout l, without a torn tail: the chunks after the last one that
// ends a record are dropped when the bytes from there on are an
// interrupted append (no call acknowledged them; record.Layout.CheckTail).
func salvagePieces(l record.Layout, data []byte) []piece {
	var ps []piece
	l.Salvage(data, func(c record.Chunk) { ps = append(ps, piece{c: c}) },
		func(s record.Span) { ps = append(ps, piece{bad: &s}) })
	last, end := -1, l.Base
	for i, p := range ps {
		if p.bad == nil && (p.c.Type == record.Full || p.c.Type == record.Last) {
			last, end = i, p.c.End()
		}
	}
	if bad, err := l.CheckTail(bytes.NewReader(data), end, int64(len(data))); err == nil && bad == nil {
		ps = ps[:last+1]
	}
	return ps
}

// lostList collects lost ranges, merging what is lost back to back.
type lostList struct {
	ranges []LostRange
	open   *LostRange
}

// lose adds the bytes [off, end) to the open range (opening one after
// iteration after), with n entries lost there (-1: unknown).
func (ll *lostList) lose(off, end int64, after, n int, reason string) {
	if ll.open == nil {
		ll.open = &LostRange{Offset: off, After: after, Before: -1, Reason: reason}
	} else if ll.open.Entries < 0 || n < 0 {
		n = -1
	} else {
		n += ll.open.Entries
	}
	ll.open.End, ll.open.Entries = end, n
}

// close ends the open range before iteration before (-1: none).
func (ll *lostList) close(before int) {
	if ll.open != nil {
		ll.open.Before = before
		ll.ranges = append(ll.ranges, *ll.open)
		ll.open = nil
	}
}

// tiledEntries returns the number of training entries the chunks of a
// damaged span held, when intact headers tell (lengths not nil).
func tiledEntries(lengths []int) (int, bool) {
	if lengths == nil {
		return 0, false
	}
	n := 0
	for _, m := range lengths {
		n += (m - m%trainingEntrySize) / trainingEntrySize // a head (8 bytes) is the remainder
	}
	return n, true
}

// salvageTraining keeps every chunk of the corrupt training file data
// (header h) that verifies and continues the history: its entries
// increase strictly within it and after the last entry kept, and its head
// (entries before the record), when it has one, agrees with what precedes
// it. A chunk that does not fit is lost, never reordered.
func salvageTraining(h header, data []byte) salvaged {
	l := h.layout()
	kept := make([]statstore.TrainingIterationStats, 0, len(data)/trainingEntrySize)
	var ll lostList
	prev := -1
	// idx is the index in the damaged file of the next entry; end the
	// index after the last entry kept. Damage that no head or intact
	// chunk header measures makes them unknown.
	idx, idxKnown := 0, true
	end, endKnown := 0, true
	// sure: idx comes from heads and the chunks kept since, not from
	// damaged chunk headers, so a head that disagrees with it lies.
	sure := true
	for _, p := range salvagePieces(l, data) {
		if p.bad != nil {
			n, ok := tiledEntries(p.bad.Lengths)
			idx, idxKnown, sure = idx+n, idxKnown && ok, false
			ll.lose(p.bad.Off, p.bad.End, prev, -1, p.bad.Reason)
			continue
		}
		c := p.c
		before, body, err := chunkEntries(c.Type, c.Payload)
		if err != nil {
			idxKnown, sure = false, false
			ll.lose(c.Off, c.End(), prev, -1, err.Error())
			continue
		}
		n := len(kept)
		kept = decodeEntries(kept, body) // taken back below when they do not fit
		entries := kept[n:]
		why := ""
		switch {
		case before >= 0 && sure && int(before) != idx:
			why = fmt.Sprintf("record says %d entries precede it, found %d", before, idx)
		case before >= 0 && endKnown && before < int64(end):
			why = fmt.Sprintf("record says %d entries precede it, but %d were kept before it", before, end)
		case before >= 0:
			idx, idxKnown, sure = int(before), true, true
		}
		last := prev
		for _, e := range entries {
			if why == "" && e.Iteration <= last {
				why = fmt.Sprintf("iteration %d follows iteration %d, want strictly increasing", e.Iteration, last)
			}
			last = e.Iteration
		}
		if why != "" {
			idx, sure = idx+len(entries), false
			ll.lose(c.Off, c.End(), prev, len(entries), c.Type.String()+" chunk does not continue the history: "+why)
			kept = kept[:n]
			continue
		}
		if ll.open != nil {
			if idxKnown && endKnown {
				ll.open.Entries = idx - end
			} else {
				ll.open.Entries = -1
			}
			ll.close(entries[0].Iteration)
		}
		prev = last
		idx += len(entries)
		end, endKnown = idx, idxKnown
	}
	if ll.open != nil {
		if !idxKnown || !endKnown {
			ll.open.Entries = -1
		} else {
			ll.open.Entries = idx - end
		}
		ll.close(-1)
	}
	sv := salvaged{kept: len(kept), lost: ll.ranges}
	if len(kept) > 0 {
		sv.file, _ = encodeLog(h, encodeTraining(0, kept))
	}
	return sv
}

// salvageValidation keeps every record of the corrupt validation file data
// (header h) whose chunks all verify and that decodes and applies, in file
// order, as a reader applies it (the last entry of an iteration wins,
// supersede and delete records act on what precedes them). A record
// spanning damage is lost. Superseded marks stay consistent: a pending
// supersede record is settled by its resolve record when that is kept; by
// outcome (the run's training file, as any writer settles it) when the
// file ends with it intact; and as applied when its resolve record may
// have been lost in damage after it (the user asked for that training
// replace; a superseded mark hides an entry from best reports but keeps
// it, while a wrong current mark would recommend overwritten weights). A
// resolve record whose pending record was lost is lost with it: its marks
// are unknown. The repaired file holds the resulting state as a rewrite
// does (docs/format.md), in the file's format version.
func salvageValidation(h header, data []byte, outcome func(pendingMark) (byte, error)) (salvaged, error) {
	l := h.layout()
	snap := newValSnap(fileState{version: h.version})
	var ll lostList
	var sv salvaged
	var recOff, recEnd int64 = -1, -1 // the record being assembled
	var rec []byte
	gap := false // something was lost since the last record applied
	lose := func(off, end int64, n int, reason string) {
		ll.lose(off, end, -1, n, reason)
		gap = true
	}
	losePartial := func(why string) {
		if recOff >= 0 {
			lose(recOff, recEnd, -1, "a record cut by damage: "+why)
		}
		recOff, rec = -1, rec[:0]
	}
	settle := func(why string) {
		if snap.pending != nil && gap {
			sv.notes = append(sv.notes, fmt.Sprintf("the superseded marks of a training replace (validations after iteration %d) were applied: %s", snap.pending.rewind, why))
			snap = snap.resolved(outcomeApplied)
		}
	}
	apply := func(r record.Record) {
		settle("the record that settled them may have been lost in the damage after them")
		next := snap
		if len(r.Payload) > 0 && (r.Payload[0] == valRecordScores || r.Payload[0] == valRecordMarkedScores) && snap.version < formatV3 {
			next = snap.clone() // put may fail half way in these versions
		}
		if err := next.add(r); err != nil {
			n := -1
			if len(r.Payload) > 0 && r.Payload[0] != valRecordScores && r.Payload[0] != valRecordMarkedScores {
				n = 0
			} else if len(r.Payload) >= valScoresHeader {
				n = int(binary.LittleEndian.Uint32(r.Payload[1:]))
			}
			reason := err.Error()
			if re, ok := err.(*record.Error); ok {
				reason = re.Reason
			}
			lose(r.Off, r.End, n, "a record that cannot be kept: "+reason)
			return
		}
		snap = next
		ll.close(-1)
		gap = false
	}
	for _, p := range salvagePieces(l, data) {
		if p.bad != nil {
			losePartial(p.bad.Reason)
			lose(p.bad.Off, p.bad.End, -1, p.bad.Reason)
			continue
		}
		c := p.c
		switch c.Type {
		case record.Full, record.First:
			losePartial("no last chunk")
			if c.Type == record.Full {
				apply(record.Record{Off: c.Off, End: c.End(), Payload: c.Payload})
				continue
			}
			recOff, recEnd, rec = c.Off, c.End(), append(rec[:0], c.Payload...)
		default: // middle or last
			if recOff < 0 {
				lose(c.Off, c.End(), -1, "the rest of a record whose first chunk was lost")
				continue
			}
			rec, recEnd = append(rec, c.Payload...), c.End()
			if c.Type == record.Last {
				apply(record.Record{Off: recOff, End: c.End(), Payload: rec})
				recOff, rec = -1, nil
			}
		}
	}
	losePartial("no last chunk")
	settle("the record that settled them may have been lost in the damage after them")
	ll.close(-1)
	sv.lost = ll.ranges
	if snap.pending != nil {
		o, err := outcome(*snap.pending)
		if err != nil {
			return salvaged{}, err
		}
		snap = snap.resolved(o)
	}
	if !snap.hasMeta || len(snap.entries) == 0 {
		return sv, nil
	}
	file, _, err := encodeValFile(h, snap.metaRec, snap.entries)
	if err != nil {
		return salvaged{}, err
	}
	if len(sv.lost) > 0 {
		sv.notes = append(sv.notes, "what the lost records said is unknown: a lost re-validation leaves the earlier scores of its iteration, "+
			"a lost supersede or delete record the entries it acted on as they were")
	}
	sv.file, sv.kept = file, len(snap.entries)
	return sv, nil
}

// headerCandidates returns the headers a file of kind k whose first bytes
// are data may have had: its own when it decodes, else (damage in the
// header) one per format version of k, with the id the header holds. The
// repaired file gets the header of the candidate that keeps the most.
func headerCandidates(data []byte, k fileKind) []header {
	if h, err := decodeHeader(data, k); err == nil {
		return []header{h}
	}
	var id uint64
	if len(data) >= headerSize {
		id = binary.LittleEndian.Uint64(data[16:24])
	}
	var hs []header
	for v := k.version(); v >= formatV1; v-- {
		hs = append(hs, header{kind: k, version: v, id: id})
	}
	if len(data) >= 10 {
		// The version the header says first: damage elsewhere in it.
		said := binary.LittleEndian.Uint16(data[8:10])
		slices.SortStableFunc(hs, func(a, b header) int {
			return boolInt(b.version == said) - boolInt(a.version == said)
		})
	}
	return hs
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// salvageFile salvages the corrupt file data of kind k; outcome settles a
// pending supersede record that ends a validation file.
func salvageFile(k fileKind, data []byte, outcome func(pendingMark) (byte, error)) (salvaged, error) {
	cands := headerCandidates(data, k)
	var best salvaged
	for i, h := range cands {
		var sv salvaged
		if k == kindTraining {
			sv = salvageTraining(h, data)
		} else {
			var err error
			if sv, err = salvageValidation(h, data, outcome); err != nil {
				return salvaged{}, err
			}
		}
		if len(cands) > 1 {
			sv.lost = append([]LostRange{{Offset: 0, End: headerSize, After: -1, Before: -1, Entries: 0,
				Reason: fmt.Sprintf("damaged file header, rebuilt as format version %d", h.version)}}, sv.lost...)
		}
		if i == 0 || sv.kept > best.kept {
			best = sv
		}
	}
	return best, nil
}
