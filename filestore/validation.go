package filestore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/fsutil"
	"github.com/statstore/statstore/internal/record"
)

// valSnap is the decoded content of a validation file as of one look: the
// state its records leave, in order.
type valSnap struct {
	fileState
	hasMeta bool
	meta    statstore.Metadata // never handed out: callers get copies
	metaRec []byte             // the metadata record's payload, decoded for copies
	// entries are the current entries, one per iteration, in the order
	// their iterations were first stored, with their Superseded marks.
	// A snapshot is never changed once cached: clone it first.
	entries []statstore.ValidationIterationScores
	pos     map[int]int // iteration → index in entries
	// pending is the file's last record when it is a pending supersede
	// record that no resolve record follows (a training replace in flight,
	// or one a crash interrupted): entries do not hold its marks, which
	// count only while the run's training file is the one it names.
	pending *pendingMark
}

// newValSnap returns the state of an empty validation file of a format
// version.
func newValSnap(fst fileState) *valSnap {
	return &valSnap{fileState: fst, pos: map[int]int{}}
}

// clone returns a copy of v that can be changed without changing v (the
// scores arrays, never changed, are shared).
func (v *valSnap) clone() *valSnap {
	c := *v
	c.entries = slices.Clone(v.entries)
	c.pos = make(map[int]int, len(v.pos))
	for it, i := range v.pos {
		c.pos[it] = i
	}
	return &c
}

// entriesOrNil returns the current entries (in no particular order).
func (v *valSnap) entriesOrNil() []statstore.ValidationIterationScores {
	if v == nil {
		return nil
	}
	return v.entries
}

// validatedUntil returns the largest iteration + 1, 0 when empty.
func (v *valSnap) validatedUntil() int {
	until := 0
	if v != nil {
		for _, e := range v.entries {
			until = max(until, e.Iteration+1)
		}
	}
	return until
}

// sorted returns a deep copy of the entries sorted by iteration.
func (v *valSnap) sorted() []statstore.ValidationIterationScores {
	if v == nil {
		return []statstore.ValidationIterationScores{}
	}
	out := cloneScores(v.entries)
	slices.SortFunc(out, func(a, b statstore.ValidationIterationScores) int { return cmp.Compare(a.Iteration, b.Iteration) })
	return out
}

// metadata returns a copy of the stored metadata (zero metadata when no
// entry is stored).
func (v *valSnap) metadata() (statstore.Metadata, error) {
	if v == nil || !v.hasMeta || len(v.entries) == 0 {
		return statstore.Metadata{}, nil
	}
	return decodeMetadata(v.metaRec)
}

// put stores e, with its superseded mark, as the entry of its iteration:
// from format version 3 on it replaces an earlier one (the last entry
// wins); before, an iteration stored twice is an error.
func (v *valSnap) put(e statstore.ValidationIterationScores) error {
	i, ok := v.pos[e.Iteration]
	switch {
	case !ok:
		v.pos[e.Iteration] = len(v.entries)
		v.entries = append(v.entries, e)
	case v.version < formatV3:
		return fmt.Errorf("iteration %d is stored twice (format version %d stores each iteration once)", e.Iteration, v.version)
	default:
		v.entries[i] = e
	}
	return nil
}

// supersede marks the entries with an iteration after the rewind point
// superseded and returns the iterations it newly marked, sorted.
func (v *valSnap) supersede(rewind int) []int {
	marked := statstore.MarkSuperseded(v.entries, rewind)
	slices.Sort(marked)
	return marked
}

// deleteFrom removes the entries with iteration >= from and returns how
// many it removed.
func (v *valSnap) deleteFrom(from int) int {
	n := len(v.entries)
	v.entries = slices.DeleteFunc(v.entries, func(e statstore.ValidationIterationScores) bool { return e.Iteration >= from })
	if len(v.entries) == n {
		return 0
	}
	clear(v.pos)
	for i, e := range v.entries {
		v.pos[e.Iteration] = i
	}
	return n - len(v.entries)
}

// cloneScores returns a deep copy of entries.
func cloneScores(entries []statstore.ValidationIterationScores) []statstore.ValidationIterationScores {
	out := make([]statstore.ValidationIterationScores, len(entries))
	for i, e := range entries {
		sc := make([][][]float64, len(e.Scores))
		for d := range e.Scores {
			sc[d] = make([][]float64, len(e.Scores[d]))
			for p := range e.Scores[d] {
				sc[d][p] = slices.Clone(e.Scores[d][p])
			}
		}
		out[i] = statstore.ValidationIterationScores{Iteration: e.Iteration, Scores: sc, Superseded: e.Superseded}
	}
	return out
}

// loadVal returns the content of the open validation log lg: the cached
// content when the file has not been replaced, extended with the records
// committed since.
func (s *Store) loadVal(lg *recordLog) (*valSnap, error) {
	run := lg.run
	s.mu.Lock()
	c := s.val[run]
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
	same, tail, l := lk.same, lk.tail, lk.cur.l
	var snap *valSnap
	if same && c.end <= tail.End {
		snap = c.clone()
	} else {
		snap = newValSnap(fileState{id: lk.cur.id, version: lk.cur.version, l: l, end: headerSize})
	}
	snap.fi, snap.size, snap.mark = lk.cur.fi, lk.cur.size, lk.cur.mark
	if err := lg.scan(l, snap.end, tail.End, snap.add); err != nil {
		return nil, err
	}
	snap.end = tail.End
	s.cacheVal(run, snap)
	return snap, nil
}

// add decodes one record of the file into v.
func (v *valSnap) add(rec record.Record) error {
	bad := func(err error) error { return &record.Error{Offset: rec.Off, Reason: err.Error()} }
	if !v.hasMeta {
		m, err := decodeMetadata(rec.Payload)
		if err != nil {
			return bad(err)
		}
		v.meta, v.hasMeta, v.metaRec = m, true, slices.Clone(rec.Payload)
		return nil
	}
	if len(rec.Payload) == 0 {
		return bad(errors.New("empty record"))
	}
	kind := rec.Payload[0]
	if since := valRecordSince(kind); since > v.version {
		return bad(fmt.Errorf("a %s record in a file of format version %d (they exist from version %d on)", valRecordName(kind), v.version, since))
	}
	switch {
	case v.pending != nil && kind != valRecordResolve:
		return bad(fmt.Errorf("a %s record after a pending supersede record that no resolve record follows (a writer resolves it first)", valRecordName(kind)))
	case kind == valRecordMetadata:
		return bad(errors.New("a second metadata record"))
	case kind == valRecordPending:
		p, err := decodePending(rec.Payload)
		if err != nil {
			return bad(err)
		}
		v.pending = &p
		return nil
	case kind == valRecordResolve:
		outcome, train, err := decodeResolve(rec.Payload)
		switch {
		case err != nil:
			return bad(err)
		case v.pending == nil:
			return bad(errors.New("a resolve record with no pending supersede record before it"))
		case train != v.pending.train:
			return bad(fmt.Errorf("a resolve record for training file %016x after a pending supersede record for training file %016x", train, v.pending.train))
		}
		if outcome == outcomeApplied {
			v.supersede(v.pending.rewind)
		}
		v.pending = nil
		return nil
	case kind == valRecordScores || kind == valRecordMarkedScores:
		entries, err := decodeScores(rec.Payload, v.meta.Shape())
		if err != nil {
			return bad(err)
		}
		for _, e := range entries {
			if err := v.put(e); err != nil {
				return bad(err)
			}
		}
		return nil
	case kind != valRecordSupersede && kind != valRecordDelete:
		return bad(fmt.Errorf("unknown validation record kind %d", kind))
	}
	it, err := decodeMark(rec.Payload)
	if err != nil {
		return bad(err)
	}
	if kind == valRecordSupersede {
		v.supersede(it)
	} else {
		v.deleteFrom(it)
	}
	return nil
}

func (s *Store) cacheVal(run string, snap *valSnap) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.val == nil {
		return
	}
	if snap == nil {
		delete(s.val, run)
	} else {
		s.val[run] = snap
	}
}

// readVal returns the run's validation content, nil for an unknown run.
// When the file ends with a pending supersede record (a training replace
// in flight, or one a crash interrupted), its marks count if the run's
// training file is the one the record names: readVal reads the training
// file's id, then looks at the validation file again, and answers only
// when the validation file did not change in between. Until its pending
// record is resolved, no writer changes the training file without first
// appending to the validation file, so the id read belongs to the state
// the validation file was in (see docs/format.md).
func (s *Store) readVal(ctx context.Context, run string) (*valSnap, error) {
	if err := s.check(ctx, run); err != nil {
		return nil, err
	}
	for {
		snap, err := s.readValFile(run)
		if err != nil || snap == nil || snap.pending == nil {
			return snap, err
		}
		outcome, err := s.pendingOutcome(run, *snap.pending)
		if err != nil {
			return nil, err
		}
		again, err := s.readValFile(run)
		if err != nil {
			return nil, err
		}
		if again != nil && again.id == snap.id && again.end == snap.end && again.mark == snap.mark {
			return snap.resolved(outcome), nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}

// readValFile loads the run's validation file as it is, nil for an
// unknown run.
func (s *Store) readValFile(run string) (_ *valSnap, err error) {
	lg, err := s.openLog(kindValidation, run, false)
	if err != nil || lg == nil {
		return nil, err
	}
	defer lg.close(&err)
	return s.loadVal(lg)
}

// pendingOutcome returns the outcome of the pending supersede record p of
// run as the run's training file says now: applied when it is the file p
// names, void otherwise (the replace did not rename its file into place).
func (s *Store) pendingOutcome(run string, p pendingMark) (_ byte, err error) {
	lg, err := s.openLog(kindTraining, run, false)
	if err != nil || lg == nil {
		return outcomeVoid, err
	}
	defer lg.close(&err)
	h, _, err := lg.header()
	if err != nil {
		return 0, fmt.Errorf("filestore: the validation scores of run %q end with the marks of a training replace, which count only if its training file is in place, and that file cannot be read: %w", run, err)
	}
	if h.id == p.train {
		return outcomeApplied, nil
	}
	return outcomeVoid, nil
}

// resolved returns the state v stands for when its pending supersede
// record has the given outcome.
func (v *valSnap) resolved(outcome byte) *valSnap {
	c := v.clone()
	if outcome == outcomeApplied {
		c.supersede(c.pending.rewind)
	}
	c.pending = nil
	return c
}

// RetrieveValidationIterationScores returns the run's validation entries in
// iteration order (none for an unknown run).
func (s *Store) RetrieveValidationIterationScores(ctx context.Context, run string) ([]statstore.ValidationIterationScores, error) {
	v, err := s.readVal(ctx, run)
	if err != nil {
		return nil, err
	}
	return v.sorted(), nil
}

// RetrieveValidationScores returns the run's validation scores with the
// metadata stored in its file (zero metadata and no scores for an unknown
// run).
func (s *Store) RetrieveValidationScores(ctx context.Context, run string) (*statstore.ValidationScores, error) {
	v, err := s.readVal(ctx, run)
	if err != nil {
		return nil, err
	}
	meta, err := v.metadata()
	if err != nil {
		return nil, fmt.Errorf("filestore: metadata of run %q: %w", run, err)
	}
	return &statstore.ValidationScores{Metadata: meta, Scores: v.sorted()}, nil
}

// StoreValidationIterationScores merges scores into the run's validation
// scores (MergeValidationScores without its report).
func (s *Store) StoreValidationIterationScores(ctx context.Context, run string, scores *statstore.ValidationScores) error {
	_, err := s.MergeValidationScores(ctx, run, scores)
	return err
}

// MergeValidationScores merges scores into the run's validation scores by
// iteration, as statstore.PlanValidation decides, and reports what it did.
// The first store writes a new file (metadata record, then scores); a
// merge appends one scores record holding the inserted and replaced
// entries with the superseded marks they are sent with (a marked scores
// record when one is marked), which readers apply in order (the last entry
// of an iteration wins). A file of an older format version is still
// appended to when its version can express the record; otherwise (a merge
// that replaces an iteration of a version 1 or 2 file, or sends a
// superseded entry to a version 1 to 3 file) it is rewritten atomically in
// version 4 holding the merged scores, after keeping the old file as
// DIR/.backup/validation_scores/<run>.<ns>.upgraded.
func (s *Store) MergeValidationScores(ctx context.Context, run string, scores *statstore.ValidationScores) (_ statstore.ValidationMerge, err error) {
	if err := s.checkWrite(ctx, run); err != nil {
		return statstore.ValidationMerge{}, err
	}
	rf, unlock, err := s.lockRunFiles(ctx, run)
	if err != nil {
		return statstore.ValidationMerge{}, err
	}
	defer unlock()
	sum := s.beginSummary(run)
	defer func() { s.endSummary(ctx, run, sum, err, s.validationUpdate(ctx, run), rf) }()
	plan, err := s.mergeValidation(run, scores)
	if err != nil {
		return statstore.ValidationMerge{}, err
	}
	plan.Log(ctx, s.log, run)
	return plan.Result, nil
}

// mergeValidation plans and writes a merge; the caller holds the run's lock.
func (s *Store) mergeValidation(run string, scores *statstore.ValidationScores) (_ statstore.ValidationPlan, err error) {
	lg, snap, err := s.openValForWrite(run, 0)
	if err != nil {
		return statstore.ValidationPlan{}, err
	}
	if lg != nil {
		defer lg.close(&err)
	}
	var stored statstore.Metadata
	if snap != nil {
		stored = snap.meta
	}
	plan, err := statstore.PlanValidation(stored, snap.entriesOrNil(), scores)
	if err != nil {
		return plan, fmt.Errorf("filestore: store validation scores of run %q: %w", run, err)
	}
	switch plan.Action {
	case statstore.WriteNothing:
		return plan, nil
	case statstore.WriteAppend:
		// A file of format version 1 or 2 stores each iteration once, and
		// only version 4 stores superseded entries as they are sent: a
		// merge that needs what the file's version lacks rewrites it in
		// the newest version.
		upgrade := (snap.version < formatV3 && len(plan.Result.Replaced) > 0) || (snap.version < formatV4 && anySuperseded(plan.Entries))
		next := snap.clone()
		if upgrade {
			next.version = formatV4
		}
		for _, e := range cloneScores(plan.Entries) { // the caller keeps its arrays
			if err := next.put(e); err != nil {
				return plan, fmt.Errorf("filestore: store validation scores of run %q: %w", run, err)
			}
		}
		if upgrade {
			return plan, s.upgradeVal(run, snap, next, "re-validated iterations")
		}
		err = s.appendValRecord(lg, snap, next, encodeScores(snap.meta.Shape(), plan.Entries))
		if err != nil {
			return plan, fmt.Errorf("filestore: append validation scores of run %q: %w", run, err)
		}
		return plan, nil
	}
	meta, err := encodeMetadata(plan.Metadata)
	if err != nil {
		return plan, fmt.Errorf("filestore: store validation scores of run %q: %w", run, err)
	}
	if _, err := s.writeValFile(run, meta, plan.Entries, ""); err != nil {
		return plan, fmt.Errorf("filestore: write validation scores of run %q: %w", run, err)
	}
	return plan, nil
}

// openValForWrite opens the run's validation file for writing and loads
// it, truncating a torn tail (backed up, with a warning) and resolving a
// pending supersede record (see resolvePending); nil, nil when the run has
// none. The caller holds the run's lock and closes the file. own is the
// training file id of the caller's own training replace, whose pending
// record it resolves after renaming the file into place (0: none).
func (s *Store) openValForWrite(run string, own uint64) (*recordLog, *valSnap, error) {
	lg, err := s.openLog(kindValidation, run, true)
	if err != nil || lg == nil {
		return nil, nil, err
	}
	snap, err := s.loadVal(lg)
	if err == nil {
		next := *snap
		var repaired bool
		if repaired, err = lg.repairTail(&next.fileState); repaired {
			snap = &next
			s.cacheVal(run, snap)
		}
	}
	if err == nil && snap.pending != nil {
		snap, err = s.resolvePending(lg, snap, own)
	}
	if err != nil {
		_ = lg.f.Close() // the error is what matters
		return nil, nil, err
	}
	return lg, snap, nil
}

// resolvePending appends the resolve record of the pending supersede
// record that ends the validation log lg (state snap): applied when the
// run's training file is the one the record names, void otherwise. The
// caller holds the run's lock, so the training file cannot change
// meanwhile. A writer resolves before it writes anything else, so that
// the outcome is in the file before the training file can change again.
func (s *Store) resolvePending(lg *recordLog, snap *valSnap, own uint64) (*valSnap, error) {
	run := lg.run
	p := *snap.pending
	outcome, err := s.pendingOutcome(run, p)
	if err != nil {
		return nil, err
	}
	next := snap.resolved(outcome)
	if err := s.appendValRecord(lg, snap, next, encodeResolve(outcome, p.train)); err != nil {
		return nil, fmt.Errorf("filestore: resolve the superseded marks of a training replace of run %q: %w", run, err)
	}
	level, what := slog.LevelWarn, "validation scores: resolved the superseded marks of a training replace that did not finish"
	if p.train == own {
		level, what = slog.LevelDebug, "validation scores: the superseded marks of a training replace take effect"
	}
	s.log.Log(context.Background(), level, what, "run", run, "rewind_point", p.rewind, "training_file_id", fmt.Sprintf("%016x", p.train),
		"applied", outcome == outcomeApplied)
	return next, nil
}

// appendValRecord appends one record with payload to the validation log
// lg, whose state is snap, and caches next, the state after it.
func (s *Store) appendValRecord(lg *recordLog, snap, next *valSnap, payload []byte) error {
	st, _, err := lg.append(snap.fileState, payload, nil)
	if err != nil {
		s.cacheVal(lg.run, nil)
		return err
	}
	next.size, next.end, next.mark = st.size, st.end, st.mark
	s.cacheVal(lg.run, next)
	return nil
}

// upgradeVal rewrites the run's validation file of an older format
// version, whose state is old, in version 4 holding next, the state after
// a call (why) that the old version cannot express, after keeping the old
// file as a backup.
func (s *Store) upgradeVal(run string, old, next *valSnap, why string) error {
	backup, err := s.writeValFile(run, old.metaRec, next.entries, ".upgraded")
	if err != nil {
		return fmt.Errorf("filestore: upgrade the validation scores of run %q to format version %d: %w", run, formatV4, err)
	}
	s.log.Warn("validation scores: file rewritten in a newer format version, which older statstore versions do not read",
		"run", run, "path", s.path(kindValidation, run), "from_version", old.version, "to_version", formatV4, "for", why, "backup", backup)
	return nil
}

// writeValFile writes a new validation file in the current format version
// holding the metadata record meta and entries (with their superseded
// marks) and renames it over the run's file. With a backupSuffix it first
// keeps the run's file as a backup and returns its path. Superseded entries
// are written first, followed by a supersede record that marks every entry
// before it, then the current entries.
func (s *Store) writeValFile(run string, meta []byte, entries []statstore.ValidationIterationScores, backupSuffix string) (backup string, err error) {
	h, err := newHeader(kindValidation)
	if err != nil {
		return "", err
	}
	buf, snap, err := encodeValFile(h, meta, entries)
	if err != nil {
		return "", err
	}
	if backup, err = s.replaceLog(kindValidation, run, buf, backupSuffix); err != nil {
		s.cacheVal(run, nil)
		return "", err
	}
	s.cacheVal(run, snap)
	return backup, nil
}

// encodeValFile returns a validation file with header h holding the
// metadata record meta and entries (with their superseded marks), and its
// state. Superseded entries are written first (a plain scores record),
// followed by a supersede record that marks every entry before it (format
// version 3 on), then the current entries. The state's inode is not known: the next look at the
// file reads its tail.
func encodeValFile(h header, meta []byte, entries []statstore.ValidationIterationScores) ([]byte, *valSnap, error) {
	m, err := decodeMetadata(meta)
	if err != nil {
		return nil, nil, fmt.Errorf("metadata does not read back after encoding: %v: %w", err, statstore.ErrInvalidArgument)
	}
	var superseded, current []statstore.ValidationIterationScores
	for _, e := range cloneScores(entries) { // the caller keeps its arrays
		if e.Superseded {
			superseded = append(superseded, e)
		} else {
			current = append(current, e)
		}
	}
	byIteration := func(a, b statstore.ValidationIterationScores) int { return cmp.Compare(a.Iteration, b.Iteration) }
	slices.SortFunc(superseded, byIteration)
	slices.SortFunc(current, byIteration)
	payloads := [][]byte{meta}
	if len(superseded) > 0 {
		// A plain scores record (valid from version 1 on), marked by the
		// supersede record after it (version 3 on).
		plain := slices.Clone(superseded)
		for i := range plain {
			plain[i].Superseded = false
		}
		payloads = append(payloads, encodeScores(m.Shape(), plain), encodeMark(valRecordSupersede, -1))
	}
	if len(current) > 0 {
		payloads = append(payloads, encodeScores(m.Shape(), current))
	}
	buf, st := encodeLog(h, payloads...)
	snap := newValSnap(st)
	snap.hasMeta, snap.meta, snap.metaRec = true, m, meta
	for _, e := range append(superseded, current...) {
		snap.pos[e.Iteration] = len(snap.entries)
		snap.entries = append(snap.entries, e)
	}
	return buf, snap, nil
}

// supersedeVal appends the superseded marks of a training replace to the
// run's validation file as a pending supersede record p (the validations
// of the checkpoints after the rewind point, which count only with the
// training file p names), and returns the iterations it marks; nothing
// when none is newly marked. A file of an older format version is first
// rewritten in version 4 as it is (after a backup). The caller holds the
// run's lock, then renames the training file p names into place and
// resolves the record (settleVal): readers see the marks exactly when they
// see that training file (see docs/format.md).
func (s *Store) supersedeVal(run string, p pendingMark) (_ []int, err error) {
	marked, err := s.prepareSupersede(run, p.rewind)
	if err != nil || len(marked) == 0 {
		return nil, err
	}
	lg, snap, err := s.openValForWrite(run, 0)
	if err == nil && lg == nil {
		err = errors.New("the file vanished under the run's lock")
	}
	if err != nil {
		return nil, fmt.Errorf("filestore: mark the validation scores of run %q superseded: %w", run, err)
	}
	defer lg.close(&err)
	next := snap.clone()
	next.pending = &p
	if err := s.appendValRecord(lg, snap, next, encodePending(p)); err != nil {
		return nil, fmt.Errorf("filestore: mark the validation scores of run %q superseded: %w", run, err)
	}
	return marked, nil
}

// prepareSupersede returns the iterations of the run's validations that a
// rewind point marks superseded and, when there are some in a file of a
// format version before 4, rewrites the file in version 4 unchanged.
func (s *Store) prepareSupersede(run string, rewind int) (_ []int, err error) {
	lg, snap, err := s.openValForWrite(run, 0)
	if err != nil || lg == nil {
		return nil, err
	}
	defer lg.close(&err)
	marked := snap.clone().supersede(rewind)
	if len(marked) > 0 && snap.version < formatV4 {
		up := snap.clone()
		up.version = formatV4
		if err := s.upgradeVal(run, snap, up, "superseded validations"); err != nil {
			return nil, err
		}
	}
	return marked, nil
}

// settleVal resolves a pending supersede record at the end of the run's
// validation file, if there is one; own is the training file id of the
// caller's own replace (0: none). The caller holds the run's lock.
func (s *Store) settleVal(run string, own uint64) (err error) {
	lg, _, err := s.openValForWrite(run, own)
	if err != nil || lg == nil {
		return err
	}
	lg.close(&err)
	return err
}

// DeleteValidationAfter removes the run's validation entries with
// iteration >= iteration; when none is left it removes the run's
// validation file, as DeleteValidationScores does. In format version 3 or
// 4 it appends a delete record; a file of version 1 or 2 is rewritten in
// version 4 holding the entries left, after a backup. An unknown run, or
// one with nothing to delete, is not an error. A negative iteration wraps
// statstore.ErrInvalidArgument.
func (s *Store) DeleteValidationAfter(ctx context.Context, run string, iteration int) (err error) {
	if err := s.checkWrite(ctx, run); err != nil {
		return err
	}
	if iteration < 0 {
		return fmt.Errorf("filestore: delete validation scores of run %q from iteration %d: iteration must be >= 0: %w",
			run, iteration, statstore.ErrInvalidArgument)
	}
	rf, unlock, err := s.lockRunFiles(ctx, run)
	if err != nil {
		return err
	}
	defer unlock()
	sum := s.beginSummary(run)
	defer func() { s.endSummary(ctx, run, sum, err, s.validationUpdate(ctx, run), rf) }()
	lg, snap, err := s.openValForWrite(run, 0)
	if err != nil || lg == nil {
		return err
	}
	defer lg.close(&err)
	next := snap.clone()
	removed := next.deleteFrom(iteration)
	switch {
	case removed == 0:
		return nil
	case len(next.entries) == 0:
		s.cacheVal(run, nil)
		if err := fsutil.RemoveDurably(s.fs, s.path(kindValidation, run), s.opts.NoSync); err != nil {
			return fmt.Errorf("filestore: delete validation stats of run %q: %w", run, err)
		}
		if err := s.removeLock(run); err != nil {
			return err
		}
	case snap.version < formatV3:
		next.version = formatV4
		if err := s.upgradeVal(run, snap, next, "delete"); err != nil {
			return err
		}
	default:
		if err := s.appendValRecord(lg, snap, next, encodeMark(valRecordDelete, iteration)); err != nil {
			return fmt.Errorf("filestore: delete validation scores of run %q from iteration %d: %w", run, iteration, err)
		}
	}
	s.log.Info("validation scores: deleted from an iteration on", "run", run, "from", iteration, "entries", removed, "left", len(next.entries))
	return nil
}
