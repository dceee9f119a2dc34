package filestore

import (
	"fmt"

	"github.com/statstore/statstore/internal/record"
)

// trainChecked is how far a Store has verified a training file whole: the
// records before end, holding count entries, the last at iteration last.
// The zero value has checked nothing.
type trainChecked struct {
	end   int64
	count int
	last  int
}

// checkTrain verifies the records of the open training file f that this
// Store has not verified yet (all of them the first time it writes the
// run): every chunk's checksum, the split, each record's count of earlier
// entries and strictly increasing iterations, and that the last record
// agrees with the tail. A writer calls it before writing, so that it never
// acknowledges a call on top of damage that readers would then report and
// Repair would cut away with the acknowledged call. The cost is one read of
// the file per Store and run, then nothing for the Store's own appends.
//
// It returns snap, or a copy of it that remembers the check (also cached).
func (s *Store) checkTrain(lg *recordLog, snap *trainSnap) (*trainSnap, error) {
	f, run := lg.f, lg.run
	c := snap.checked
	if c.end == snap.end && c.end != 0 {
		return snap, nil
	}
	if c.end == 0 && snap.count > 0 {
		// The whole file: the whole-history read checks all of it, fastest.
		tr, unmap := s.trainReaderFor(f, run, snap)
		_, err := tr.all(nil, snap.count)
		unmap()
		if err != nil {
			return nil, refuseDamaged(run, err)
		}
		c = trainChecked{end: snap.end, count: snap.count, last: snap.last.Iteration}
	}
	if c.end == 0 {
		c = trainChecked{end: headerSize, last: -1}
	}
	err := lg.scan(snap.l, c.end, snap.end, func(rec record.Record) error {
		entries, err := decodeTrainingRecord(rec.Payload, c.count, c.last)
		if err != nil {
			return &record.Error{Offset: rec.Off, Reason: err.Error()}
		}
		c.count += len(entries)
		c.last = entries[len(entries)-1].Iteration
		c.end = rec.End
		return nil
	})
	if err != nil {
		return nil, refuseDamaged(run, err)
	}
	if c.count != snap.count || (c.count > 0 && c.last != snap.last.Iteration) {
		return nil, corrupt(f.Name(), snap.end, fmt.Errorf("the records hold %d entries up to iteration %d, the last record says %d up to %d",
			c.count, c.last, snap.count, snap.last.Iteration))
	}
	next := *snap
	next.checked = c
	s.cacheTrain(run, &next)
	return &next, nil
}

// refuseDamaged is a writer's error for a training file whose check failed
// with err.
func refuseDamaged(run string, err error) error {
	return fmt.Errorf("filestore: refusing to write training stats of run %q on top of damage (run `statstore repair`, which backs the file up first): %w", run, err)
}
