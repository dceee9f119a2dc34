package filestore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/fsutil"
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

// frameErr turns an error of the record layer into a *statstore.CorruptError
// naming path, and wraps any other error.
func frameErr(path string, err error) error {
	var re *record.Error
	if errors.As(err, &re) {
		return corrupt(path, re.Offset, errors.New(re.Reason))
	}
	var ce *statstore.CorruptError
	if errors.As(err, &ce) {
		return err
	}
	return pathError("read", path, err)
}

// loadTrain returns the state of the open training file f of run, from the
// cache when the file has neither been replaced nor grown since, otherwise
// by reading its tail (the last record) and its first block.
func (s *Store) loadTrain(f fsutil.File, run string) (*trainSnap, error) {
	s.mu.Lock()
	c := s.train[run]
	s.mu.Unlock()
	var cached *fileState
	if c != nil {
		cached = &c.fileState
	}
	lk, current, err := s.probe(f, kindTraining, cached)
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
	unlock, err := s.lockRun(ctx, run)
	if err != nil {
		return err
	}
	defer unlock()
	sum := s.beginSummary(run)
	defer func() { s.endSummary(ctx, run, sum, err, trainingUpdate(stats)) }()
	f, err := s.openFile(kindTraining, run, true)
	if err != nil {
		return err
	}
	var snap *trainSnap
	if f != nil {
		defer closeFile(f, &err)
		if snap, err = s.loadTrain(f, run); err != nil {
			return err
		}
		if snap.size > snap.end {
			if err := s.truncateTorn(f, kindTraining, run, snap.size, snap.end); err != nil {
				return err
			}
			next := *snap
			next.size = snap.end
			snap = &next
			s.cacheTrain(run, snap)
		}
	}
	if snap != nil {
		if snap, err = s.checkTrain(f, run, snap); err != nil {
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
	case plan.Action == statstore.WriteAppend && f != nil:
		return s.appendTraining(f, run, snap, plan.Entries)
	}
	h, err := newHeader(kindTraining)
	if err != nil {
		return err
	}
	if f == nil {
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
	stored, err := s.storedHistory(f, run, snap)
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

// storedHistory returns the whole history the training file f holds.
func (s *Store) storedHistory(f fsutil.File, run string, snap *trainSnap) (_ []statstore.TrainingIterationStats, err error) {
	defer catchFault(f.Name(), &err)()
	tr, unmap := s.trainReaderFor(f, run, snap)
	defer unmap()
	return tr.all(snap.count)
}

// appendTraining appends one record with entries to the file f.
func (s *Store) appendTraining(f fsutil.File, run string, snap *trainSnap, entries []statstore.TrainingIterationStats) error {
	payload := encodeTraining(snap.count, entries)
	buf, end, last := snap.l.Append(recordBuf(snap.l, nil, len(payload)), snap.end, payload)
	if err := s.writeRecord(f, snap.end, buf); err != nil {
		s.cacheTrain(run, nil)
		return fmt.Errorf("filestore: append training stats of run %q: %w", run, err)
	}
	next := *snap
	next.size, next.end, next.count = end, end, snap.count+len(entries)
	next.mark = markOf(buf, snap.end, last)
	if snap.checked.end == snap.end {
		next.checked = trainChecked{end: end, count: next.count, last: entries[len(entries)-1].Iteration}
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

// recordBuf returns prefix with room after it for a record of n payload
// bytes as l.Append encodes it (chunk headers and block padding included),
// so that the encoding does not grow its slice chunk by chunk.
func recordBuf(l record.Layout, prefix []byte, n int) []byte {
	bs := int(l.BlockLen())
	chunk := bs - record.HeaderSize // the largest payload of one chunk
	if l.MaxPayload > 0 {
		chunk = min(chunk, l.MaxPayload)
	}
	chunk = max(chunk-l.Unit, 1)   // less what splitting at units may leave out
	blocks := n/bs + 2             // blocks the record can touch
	chunks := n/chunk + blocks + 1 // each block boundary may cut one more
	room := n + chunks*record.HeaderSize + blocks*(record.HeaderSize+l.Head+l.Unit)
	return append(make([]byte, 0, len(prefix)+room), prefix...)
}

// writeRecord writes the encoded record buf at off and fsyncs it (unless
// NoSync). On failure it tries to cut the file back to off, so that a
// failed call leaves nothing behind.
func (s *Store) writeRecord(f fsutil.File, off int64, buf []byte) error {
	_, err := f.WriteAt(buf, off)
	if err == nil && !s.opts.NoSync {
		err = f.Sync()
	}
	if err != nil {
		if terr := f.Truncate(off); terr == nil && !s.opts.NoSync {
			_ = f.Sync() // best effort: the write error is what the caller must see
		}
		return err
	}
	return nil
}

// writeTraining writes a new training file with header h holding plan's
// entries and renames it over the run's file: the first store of a run,
// or an overwrite.
func (s *Store) writeTraining(run string, old *trainSnap, plan statstore.TrainingPlan, h header) (err error) {
	l := h.layout()
	buf, end, last := encodeTrainingFile(h, plan.Entries)
	var backup string
	if plan.Overwrite && old != nil {
		if backup, err = s.backupFile(kindTraining, run, ".replaced"); err != nil {
			return fmt.Errorf("filestore: not overwriting the training stats of run %q without a backup: %w", run, err)
		}
	}
	if err := fsutil.WriteAtomic(s.fs, filepath.Join(s.dir, tmpDir), s.path(kindTraining, run), buf, filePerm, s.opts.NoSync); err != nil {
		s.cacheTrain(run, nil)
		return fmt.Errorf("filestore: write training stats of run %q: %w", run, err)
	}
	// The new file's inode is not known: the next look reads its tail.
	snap := &trainSnap{fileState: fileState{id: h.id, version: h.version, l: l, size: end, end: end, mark: markOf(buf, 0, last)}, count: len(plan.Entries),
		first: plan.Entries[0], last: plan.Entries[len(plan.Entries)-1]}
	snap.checked = trainChecked{end: end, count: snap.count, last: snap.last.Iteration}
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

// encodeTrainingFile returns a training file with header h holding
// entries as one record, its size and the offset of its last chunk.
func encodeTrainingFile(h header, entries []statstore.TrainingIterationStats) (buf []byte, end, last int64) {
	l := h.layout()
	payload := encodeTraining(0, entries)
	return l.Append(recordBuf(l, h.encode(), len(payload)), headerSize, payload)
}

// truncateTorn backs up and truncates, with a warning, the torn tail in
// [end, size) after the last committed record of f. The caller holds the
// run's lock and loaded the file's state under it: that load (probe)
// classified the bytes as a torn tail, or failed on damage.
func (s *Store) truncateTorn(f fsutil.File, k fileKind, run string, size, end int64) error {
	torn := make([]byte, size-end)
	if _, err := f.ReadAt(torn, end); err != nil {
		return fmt.Errorf("filestore: read the torn tail of %s: %w", f.Name(), err)
	}
	backup, err := s.backup(k, run, ".torn", torn)
	if err != nil {
		return err
	}
	s.log.Warn("truncating the torn tail an interrupted write left", "run", run, "kind", k.String(),
		"path", f.Name(), "valid_bytes", end, "torn_bytes", size-end, "backup", backup)
	if err := f.Truncate(end); err != nil {
		return fmt.Errorf("filestore: truncate torn tail of %s: %w", f.Name(), err)
	}
	if !s.opts.NoSync {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("filestore: fsync %s: %w", f.Name(), err)
		}
	}
	return nil
}
