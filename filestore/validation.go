package filestore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/fsutil"
	"github.com/statstore/statstore/internal/record"
)

// valSnap is the decoded content of a validation file as of one look.
type valSnap struct {
	fileState
	hasMeta bool
	meta    statstore.Metadata                    // never handed out: callers get copies
	metaRec []byte                                // the metadata record's payload, decoded for copies
	entries []statstore.ValidationIterationScores // in file order
	have    map[int]bool
}

// iterations returns the stored iterations in file order.
func (v *valSnap) iterations() []int {
	if v == nil {
		return nil
	}
	out := make([]int, len(v.entries))
	for i, e := range v.entries {
		out[i] = e.Iteration
	}
	return out
}

// entriesOrNil returns the stored entries in file order.
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
	return statstore.MergeValidation(cloneScores(v.entries))
}

// metadata returns a copy of the stored metadata.
func (v *valSnap) metadata() (statstore.Metadata, error) {
	if v == nil || !v.hasMeta {
		return statstore.Metadata{}, nil
	}
	return decodeMetadata(v.metaRec)
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
		out[i] = statstore.ValidationIterationScores{Iteration: e.Iteration, Scores: sc}
	}
	return out
}

// loadVal returns the content of the open validation file f of run: the
// cached content when the file has not been replaced, extended with the
// records committed since.
func (s *Store) loadVal(f fsutil.File, run string) (*valSnap, error) {
	s.mu.Lock()
	c := s.val[run]
	s.mu.Unlock()
	var cached *fileState
	if c != nil {
		cached = &c.fileState
	}
	lk, current, err := s.probe(f, kindValidation, cached)
	if err != nil {
		return nil, err
	}
	if current {
		return c, nil
	}
	same, tail, l := lk.same, lk.tail, lk.cur.l
	var snap valSnap
	if same && c.end <= tail.End {
		snap = *c
		snap.entries = slices.Clone(c.entries)
		snap.have = make(map[int]bool, len(c.have))
		for k := range c.have {
			snap.have[k] = true
		}
	} else {
		snap = valSnap{fileState: fileState{id: lk.cur.id, l: l, end: headerSize}, have: map[int]bool{}}
	}
	snap.fi, snap.size, snap.mark = lk.cur.fi, lk.cur.size, lk.cur.mark
	if err := l.Scan(f, snap.end, tail.End, snap.add); err != nil {
		return nil, frameErr(f.Name(), err)
	}
	snap.end = tail.End
	s.cacheVal(run, &snap)
	return &snap, nil
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
	entries, err := decodeScores(rec.Payload, v.meta.Shape())
	if err != nil {
		return bad(err)
	}
	for _, e := range entries {
		if v.have[e.Iteration] {
			return bad(fmt.Errorf("iteration %d is stored twice", e.Iteration))
		}
		v.have[e.Iteration] = true
	}
	v.entries = append(v.entries, entries...)
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
func (s *Store) readVal(ctx context.Context, run string) (_ *valSnap, err error) {
	if err := s.check(ctx, run); err != nil {
		return nil, err
	}
	f, err := s.openFile(kindValidation, run, false)
	if err != nil || f == nil {
		return nil, err
	}
	defer closeFile(f, &err)
	return s.loadVal(f, run)
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

// StoreValidationIterationScores extends or overwrites the run's validation
// scores as statstore.PlanValidation decides. An append writes one record
// with the new entries (late checkpoints included) at the end of the file;
// the first store and an overwrite write a new file (metadata record, then
// scores) and rename it over the old one.
func (s *Store) StoreValidationIterationScores(ctx context.Context, run string, scores *statstore.ValidationScores) error {
	_, err := s.MergeValidationScores(ctx, run, scores)
	return err
}

// MergeValidationScores merges scores into the run's validation scores and
// reports what it did.
func (s *Store) MergeValidationScores(ctx context.Context, run string, scores *statstore.ValidationScores) (result statstore.ValidationMerge, err error) {
	err = s.storeValidation(ctx, run, scores, &result)
	return result, err
}

// DeleteValidationAfter removes the run's validation entries with iteration >= iteration.
func (s *Store) DeleteValidationAfter(ctx context.Context, run string, iteration int) error {
	return fmt.Errorf("filestore: delete validation scores after %d: %w", iteration, errors.ErrUnsupported) // TODO(issue 11)
}

func (s *Store) storeValidation(ctx context.Context, run string, scores *statstore.ValidationScores, result *statstore.ValidationMerge) (err error) {
	if err := s.checkWrite(ctx, run); err != nil {
		return err
	}
	unlock, err := s.lockRun(ctx, run)
	if err != nil {
		return err
	}
	defer unlock()
	f, err := s.openFile(kindValidation, run, true)
	if err != nil {
		return err
	}
	var snap *valSnap
	if f != nil {
		defer closeFile(f, &err)
		if snap, err = s.loadVal(f, run); err != nil {
			return err
		}
		if snap.size > snap.end {
			if err := s.truncateTorn(f, kindValidation, run, snap.size, snap.end); err != nil {
				return err
			}
			next := *snap
			next.size = snap.end
			snap = &next
			s.cacheVal(run, snap)
		}
	}
	var stored statstore.Metadata
	if snap != nil {
		stored = snap.meta
	}
	plan, err := statstore.PlanValidation(stored, snap.entriesOrNil(), scores)
	if err != nil {
		return fmt.Errorf("filestore: store validation scores of run %q: %w", run, err)
	}
	*result = plan.Result
	switch {
	case plan.Action == statstore.WriteNothing:
		return nil
	case plan.Action == statstore.WriteAppend && f != nil && snap.hasMeta:
		return s.appendVal(f, run, snap, plan)
	default:
		return s.writeVal(run, snap, plan)
	}
}

// appendVal appends one scores record to the file f.
func (s *Store) appendVal(f fsutil.File, run string, snap *valSnap, plan statstore.ValidationPlan) error {
	buf, end, last := snap.l.Append(nil, snap.end, encodeScores(snap.meta.Shape(), plan.Entries))
	if err := s.writeRecord(f, snap.end, buf); err != nil {
		s.cacheVal(run, nil)
		return fmt.Errorf("filestore: append validation scores of run %q: %w", run, err)
	}
	next := *snap
	next.entries = append(slices.Clone(snap.entries), cloneScores(plan.Entries)...)
	next.have = make(map[int]bool, len(next.entries))
	for _, e := range next.entries {
		next.have[e.Iteration] = true
	}
	next.size, next.end, next.mark = end, end, markOf(buf, snap.end, last)
	s.cacheVal(run, &next)
	s.log.Info("extending validation scores", "run", run, "entries", len(plan.Entries),
		"from", plan.Entries[0].Iteration, "validated_until", next.validatedUntil())
	return nil
}

// writeVal writes a new validation file (metadata, then the plan's
// entries) and renames it over the run's file.
func (s *Store) writeVal(run string, old *valSnap, plan statstore.ValidationPlan) error {
	h, err := newHeader(kindValidation)
	if err != nil {
		return err
	}
	meta, err := encodeMetadata(plan.Metadata)
	if err != nil {
		return fmt.Errorf("filestore: store validation scores of run %q: %w", run, err)
	}
	cached, err := decodeMetadata(meta)
	if err != nil {
		return fmt.Errorf("filestore: metadata of run %q does not read back after encoding: %v: %w", run, err, statstore.ErrInvalidArgument)
	}
	l := h.layout()
	buf, end, _ := l.Append(h.encode(), headerSize, meta)
	buf, end, last := l.Append(buf, end, encodeScores(plan.Metadata.Shape(), plan.Entries))
	var backup string
	if false && old != nil { // TODO(issue 11): no overwrite any more
		if backup, err = s.backupFile(kindValidation, run); err != nil {
			return fmt.Errorf("filestore: not overwriting the validation scores of run %q without a backup: %w", run, err)
		}
	}
	if err := fsutil.WriteAtomic(s.fs, filepath.Join(s.dir, tmpDir), s.path(kindValidation, run), buf, filePerm, s.opts.NoSync); err != nil {
		s.cacheVal(run, nil)
		return fmt.Errorf("filestore: write validation scores of run %q: %w", run, err)
	}
	// The new file's inode is not known: the next look reads its tail.
	snap := &valSnap{fileState: fileState{id: h.id, l: l, mark: markOf(buf, 0, last), size: end, end: end}, hasMeta: true, meta: cached, metaRec: meta,
		entries: cloneScores(plan.Entries), have: map[int]bool{}}
	for _, e := range plan.Entries {
		snap.have[e.Iteration] = true
	}
	s.cacheVal(run, snap)
	if false {
		s.log.Warn("overwriting validation scores: stored scores reach further than the new ones",
			"run", run, "backup", backup, "stored_entries", len(old.entries), "entries", len(plan.Entries),
			"validated_until", plan.Entries[len(plan.Entries)-1].Iteration+1)
	} else {
		s.log.Info("storing validation scores", "run", run, "entries", len(plan.Entries),
			"validated_until", plan.Entries[len(plan.Entries)-1].Iteration+1)
	}
	return nil
}
