package filestore

import (
	"context"
	"fmt"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/record"
)

// trainSnap is what a training file holds as of one look at it: enough to
// plan an append and to seek, without reading the history.
type trainSnap struct {
	fileState
	count int // committed entries
	first statstore.TrainingIterationStats
	last  statstore.TrainingIterationStats
	// checked is the prefix of the file's records this Store has verified
	// whole (checksums, order, counts); a writer verifies the rest before
	// it writes, so that nothing is acknowledged on top of damage.
	checked trainChecked
}

// trainedUntil returns the last iteration + 1, 0 when empty.
func (t *trainSnap) trainedUntil() int {
	if t == nil || t.count == 0 {
		return 0
	}
	return t.last.Iteration + 1
}

// loadTrain returns the state of the open training log lg, from the cache
// when the file has neither been replaced nor grown since, otherwise by
// reading its tail (the last record) and its first block.
func (s *Store) loadTrain(lg *recordLog) (*trainSnap, error) {
	f, run := lg.f, lg.run
	s.mu.Lock()
	c := s.train[run]
	s.mu.Unlock()
	var cached *fileState
	if c != nil {
		cached = &c.fileState
	}
	lk, current, err := lg.look(cached)
	if err != nil {
		return nil, err
	}
	if current {
		return c, nil
	}
	same, tail := lk.same, lk.tail
	snap := &trainSnap{fileState: lk.cur}
	if same && c.checked.end <= snap.end {
		snap.checked = c.checked
	}
	if tail.Last != nil {
		before, body, err := chunkEntries(record.Full, tail.Last)
		if err != nil {
			return nil, corrupt(f.Name(), tail.Start, err)
		}
		snap.count = int(before) + len(body)/trainingEntrySize
		snap.last = decodeEntries(nil, body[len(body)-trainingEntrySize:])[0]
		if same && c.count > 0 {
			snap.first = c.first
		} else {
			if snap.first, err = newTrainReader(f, snap, nil).firstEntry(); err != nil {
				return nil, err
			}
		}
		if before < 0 || snap.count <= 0 || snap.first.Iteration > snap.last.Iteration {
			return nil, corrupt(f.Name(), tail.Start, fmt.Errorf("last record holds %d entries after %d, ending at iteration %d before the first iteration %d",
				len(body)/trainingEntrySize, before, snap.last.Iteration, snap.first.Iteration))
		}
	}
	s.cacheTrain(run, snap)
	return snap, nil
}

func (s *Store) cacheTrain(run string, snap *trainSnap) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.train == nil {
		return // closed
	}
	if snap == nil {
		delete(s.train, run)
		s.forgetTrainFile(run)
	} else {
		s.train[run] = snap
	}
}

// StoreTrainingStats extends or overwrites the run's training stats as
// statstore.PlanTraining decides. An append writes one record holding only
// the new entries at the end of the file and fsyncs it; an overwrite writes
// a new file and renames it over the old one, marking the run's
// validations of the checkpoints after its rewind point
// (statstore.RewindPoint) superseded in the validation file: with a
// pending supersede record that counts only once the new file is in place.
func (s *Store) StoreTrainingStats(ctx context.Context, run string, stats *statstore.TrainingStats) (err error) {
	if err := s.checkWrite(ctx, run); err != nil {
		return err
	}
	rf, unlock, err := s.lockRunFiles(ctx, run)
	if err != nil {
		return err
	}
	defer unlock()
	sum := s.beginSummary(run)
	defer func() { s.endSummary(ctx, run, sum, err, trainingUpdate(stats), rf) }()
	lg, err := s.trainWriteLog(rf, run, sum.stamps.Training)
	if err != nil {
		return err
	}
	var snap *trainSnap
	if lg != nil {
		defer rf.doneTrainLog(lg, &err)
		if snap, err = s.loadTrain(lg); err != nil {
			return err
		}
		next := *snap
		if repaired, err := lg.repairTail(&next.fileState); err != nil {
			return err
		} else if repaired {
			snap = &next
			s.cacheTrain(run, snap)
		}
		if snap, err = s.checkTrain(lg, snap); err != nil {
			return err
		}
	}
	plan, err := statstore.PlanTraining(snap.trainedUntil(), stats)
	if err != nil {
		return fmt.Errorf("filestore: store training stats of run %q: %w", run, err)
	}
	switch {
	case plan.Action == statstore.WriteNothing:
		return nil
	case plan.Action == statstore.WriteAppend && lg != nil:
		if err := s.appendTraining(lg, snap, plan.Entries, rf); err != nil {
			return err
		}
		sum.afterAppend(lg)
		return nil
	}
	h, err := newHeader(kindTraining)
	if err != nil {
		return err
	}
	if lg == nil {
		return s.writeTraining(run, snap, plan, h)
	}
	if !plan.Overwrite {
		// The training file is replaced: a pending supersede record of an
		// interrupted replace is resolved first, against the file that is
		// still in place.
		if err := s.settleVal(run, 0); err != nil {
			return fmt.Errorf("filestore: not writing the training stats of run %q: %w", run, err)
		}
		return s.writeTraining(run, snap, plan, h)
	}
	stored, err := s.storedHistory(lg, snap)
	if err != nil {
		return err
	}
	if (&statstore.TrainingStats{IterationStats: stored}).Equal(&statstore.TrainingStats{IterationStats: plan.Entries}) {
		// The same history again (a retried call): not an overwrite, and
		// no backup left behind. A retry after a crash that followed the
		// rename finishes the call: it resolves the pending marks (which
		// readers count by the training file's id meanwhile, so a failure
		// to resolve them is only a warning).
		s.log.Info("training stats already stored: nothing to write", "run", run, "entries", len(plan.Entries))
		if err := s.settleVal(run, 0); err != nil {
			s.log.Warn("training stats already stored; the pending superseded marks of an interrupted replace are not resolved", "run", run, "error", err)
		}
		return nil
	}
	// The validations of the checkpoints after the rewind point are marked
	// superseded by a pending record naming the new training file's id,
	// then the training file is renamed into place, then the record is
	// resolved. Until then readers count the marks exactly when the new
	// training file is in place, so that they see the whole replace or
	// none of it; a crash in between leaves the record for the next writer
	// to resolve (see docs/format.md).
	rewind := statstore.RewindPoint(stored, plan.Entries)
	marked, err := s.supersedeVal(run, pendingMark{rewind: rewind, train: h.id})
	if err != nil {
		return fmt.Errorf("filestore: not replacing the training stats of run %q: its validations after the rewind point %d cannot be marked superseded: %w", run, rewind, err)
	}
	if err := s.writeTraining(run, snap, plan, h); err != nil {
		return err
	}
	statstore.LogSuperseded(ctx, s.log, run, rewind, marked)
	if len(marked) > 0 {
		if err := s.settleVal(run, h.id); err != nil {
			// The replace is done and durable: readers count the marks by
			// the training file's id until a writer resolves the record.
			s.log.Warn("training stats replaced; the record that makes its superseded marks final is not written (readers count them by the training file, the run's next writer writes it)",
				"run", run, "error", err)
		}
	}
	return nil
}

// storedHistory returns the whole history the training log lg holds.
func (s *Store) storedHistory(lg *recordLog, snap *trainSnap) (_ []statstore.TrainingIterationStats, err error) {
	defer catchFault(lg.name(), &err)()
	tr, unmap := s.trainReaderFor(lg.f, lg.run, snap)
	defer unmap()
	return tr.all(nil, snap.count)
}

// appendTraining appends one record with entries to the training log lg,
// encoding it in the buffers rf keeps for the run's appends.
func (s *Store) appendTraining(lg *recordLog, snap *trainSnap, entries []statstore.TrainingIterationStats, rf *runFiles) error {
	run := lg.run
	rf.payload = encodeTrainingTo(rf.payload, snap.count, entries)
	st, rec, err := lg.append(snap.fileState, rf.payload, rf.rec)
	rf.payload, rf.rec = keep(rf.payload), keep(rec)
	if err != nil {
		s.cacheTrain(run, nil)
		return fmt.Errorf("filestore: append training stats of run %q: %w", run, err)
	}
	next := *snap
	next.fileState, next.count = st, snap.count+len(entries)
	if snap.checked.end == snap.end {
		next.checked = trainChecked{end: st.end, count: next.count, last: entries[len(entries)-1].Iteration}
	}
	if snap.count == 0 {
		next.first = entries[0]
	}
	next.last = entries[len(entries)-1]
	s.cacheTrain(run, &next)
	s.log.Info("extending training stats", "run", run, "stored_until", snap.trainedUntil(),
		"from", entries[0].Iteration, "entries", len(entries), "trained_until", next.trainedUntil())
	return nil
}

// writeTraining writes a new training file with header h holding plan's
// entries and renames it over the run's file: the first store of a run,
// or an overwrite.
func (s *Store) writeTraining(run string, old *trainSnap, plan statstore.TrainingPlan, h header) (err error) {
	buf, st := encodeLog(h, encodeTraining(0, plan.Entries))
	suffix := ""
	if plan.Overwrite && old != nil {
		suffix = ".replaced"
	}
	backup, err := s.replaceLog(kindTraining, run, buf, suffix)
	if err != nil {
		s.cacheTrain(run, nil)
		return fmt.Errorf("filestore: write training stats of run %q: %w", run, err)
	}
	// Under the run's lock the path names the file just renamed into
	// place: its identity, taken now, lets the next call trust the cached
	// state (after the look's checks of the header id and last chunk)
	// instead of reading the file back, and this call's summary record its
	// cover. When the stat fails, the next look reads the file's tail.
	if fi, err := s.fs.Stat(s.path(kindTraining, run)); err == nil && fi.Size() == st.size {
		st.fi = fi
	}
	snap := &trainSnap{fileState: st, count: len(plan.Entries), first: plan.Entries[0], last: plan.Entries[len(plan.Entries)-1]}
	snap.checked = trainChecked{end: st.end, count: snap.count, last: snap.last.Iteration}
	s.cacheTrain(run, snap)
	if plan.Overwrite {
		s.log.Warn("overwriting training stats: training was resumed from an earlier iteration",
			"run", run, "backup", backup, "stored_until", old.trainedUntil(), "stored_entries", old.count,
			"new_until", snap.trainedUntil(), "entries", snap.count)
	} else {
		s.log.Info("storing training stats", "run", run, "entries", snap.count, "trained_until", snap.trainedUntil())
	}
	return nil
}
