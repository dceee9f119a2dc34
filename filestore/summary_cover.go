package filestore

import (
	"encoding/hex"
	"fmt"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/record"
)

// summaryLag bounds how far a run's summary file may fall behind its
// training file: an append whose records after the summary file's cover
// (trainCover) stay under this many bytes keeps the new summary in the
// Store's memory only, and readers of the file bring it up to date from
// those records (catchUp). 256 KiB is about ten appends of 1,000
// iterations: the writer rewrites the file at one call in ten, a reader
// decodes at most 256 KiB more than the file says (tens of microseconds).
const summaryLag = 256 << 10

// trainCover is the committed prefix of a training file that a summary
// file summarises, so that a reader can tell that prefix is still the
// file's (same header id, same inode, the same last chunk at MarkOff) and
// summarise the records after it alone.
type trainCover struct {
	ID      uint64 `json:"id"`          // the file's header id
	End     int64  `json:"end"`         // end of the last committed record covered
	Count   int    `json:"count"`       // entries in the covered records
	MarkOff int64  `json:"mark_offset"` // offset of the covered records' last chunk
	Mark    string `json:"mark"`        // that chunk's header, hex
}

// check reports a cover that cannot describe a training file summarised
// by sum.
func (c *trainCover) check(sum statstore.RunSummary) error {
	switch {
	case c.Count <= 0 || c.Count != sum.TrainingIterations:
		return fmt.Errorf("summary file: cover of %d entries for a summary of %d", c.Count, sum.TrainingIterations)
	case c.MarkOff < headerSize || c.End <= c.MarkOff:
		return fmt.Errorf("summary file: cover ends at %d with its last chunk at %d", c.End, c.MarkOff)
	case len(c.Mark) != 2*record.HeaderSize:
		return fmt.Errorf("summary file: cover mark of %d hex digits, want %d", len(c.Mark), 2*record.HeaderSize)
	}
	if _, err := hex.DecodeString(c.Mark); err != nil {
		return fmt.Errorf("summary file: cover mark: %w", err)
	}
	return nil
}

// mark returns the cover's last chunk as a fileMark (the zero, unknown
// mark, which never holds, when it does not decode).
func (c *trainCover) mark() fileMark {
	m := fileMark{off: c.MarkOff}
	if n, err := hex.Decode(m.hdr[:], []byte(c.Mark)); err != nil || n != len(m.hdr) {
		return fileMark{}
	}
	return m
}

// coverOf returns the cover of the training file state snap, which sum
// summarises; nil when snap does not say enough (a file not looked at
// since it was written, no entries) or does not match sum.
func coverOf(snap *trainSnap, sum statstore.RunSummary) *trainCover {
	if snap == nil || snap.count == 0 || snap.mark.off <= 0 || snap.count != sum.TrainingIterations || snap.trainedUntil() != sum.TrainedUntil {
		return nil
	}
	return &trainCover{ID: snap.id, End: snap.end, Count: snap.count, MarkOff: snap.mark.off, Mark: hex.EncodeToString(snap.mark.hdr[:])}
}

// coverFor returns the cover of run's training file in the state the
// Store last saw it, when that state is the one stamped by st (same
// inode, same size) and sum summarises it; nil otherwise.
func (s *Store) coverFor(run string, st *fileStamp, sum statstore.RunSummary) *trainCover {
	if st == nil || st.Inode == 0 {
		return nil
	}
	s.mu.Lock()
	snap := s.train[run]
	s.mu.Unlock()
	if snap == nil || snap.fi == nil || inodeOf(snap.fi) != st.Inode || snap.size != st.Size {
		return nil
	}
	return coverOf(snap, sum)
}

// catchUp brings sf, run's summary file, up to date with run's files as
// stamped by now when only appends to the same training file happened
// since it was written: the validation file unchanged, the training
// file's header id and inode those of sf's cover and its covered records
// still in place (their last chunk unchanged). The records after the
// cover are read, verified (checksums, the entry counts their heads
// give, strictly increasing iterations) and added to the summary as the
// writer adds an append's entries. false when any of this does not hold,
// or the file cannot be read: the caller recomputes the summary from the
// history, which reports damage.
func (s *Store) catchUp(run string, sf summaryFile, now runStamps) (statstore.RunSummary, bool) {
	c := sf.Cover
	if c == nil || sf.Training == nil || now.Training == nil || !sameStamp(sf.Validation, now.Validation) ||
		sf.Training.Inode != now.Training.Inode || now.Training.Inode == 0 || now.Training.Size < c.End {
		return statstore.RunSummary{}, false
	}
	lg, err := s.openLog(kindTraining, run, false)
	if err != nil || lg == nil {
		return statstore.RunSummary{}, false
	}
	defer lg.close(&err)
	snap, err := s.loadTrain(lg)
	if err != nil || snap.id != c.ID || snap.fi == nil || inodeOf(snap.fi) != now.Training.Inode ||
		snap.size != now.Training.Size || snap.end < c.End {
		return statstore.RunSummary{}, false
	}
	if held, err := c.mark().holds(lg.f); err != nil || !held {
		return statstore.RunSummary{}, false
	}
	sum, count, prev := sf.Summary, c.Count, sf.Summary.TrainedUntil-1
	err = lg.scan(snap.l, c.End, snap.end, func(r record.Record) error {
		entries, err := decodeTrainingRecord(r.Payload, count, prev)
		if err != nil {
			return corrupt(lg.name(), r.Off, err)
		}
		sum.AppendTraining(entries)
		count, prev = count+len(entries), entries[len(entries)-1].Iteration
		return nil
	})
	if err != nil || count != snap.count {
		return statstore.RunSummary{}, false
	}
	return sum, true
}
