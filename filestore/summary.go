package filestore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/statstore/statstore"
)

// summariesDir holds one summary file per run: DIR/.summaries/<run>, a
// JSON document {"version": 2, "training": stamp, "validation": stamp,
// "training_cover": cover, "summary": statstore.RunSummary} followed by a
// checksum line (summary_file.go). A stamp (size, modification time in
// nanoseconds, inode; null for a missing file) says which state of the
// run's training and validation files the summary summarises; the cover
// (summary_cover.go), which committed records of the training file.
// Writers rewrite it in place, under the run's lock (without fsync: it is
// a cache; a reader that meets a write in progress or a crash's leftover
// fails the checksum): after each write of the run, except an append that
// leaves fewer than summaryLag bytes of records after the file's cover,
// whose summary the writing Store keeps in memory (and writes at Close).
// A reader uses the file when the checksum holds and the stamps match the
// files as they are now, or when the training file has only grown by
// appends since, adding the records after the cover (catchUp); otherwise
// (a crash between a log write and the summary's, a file copied in, a
// summary that is missing or unreadable) it recomputes the summary from
// the history and, unless the store is read-only, rewrites it under the
// run's lock.
const summariesDir = ".summaries"

// runStamps are the stamps of a run's two data files; nil for a missing
// file.
type runStamps struct {
	Training   *fileStamp `json:"training"`
	Validation *fileStamp `json:"validation"`
}

// equal reports whether a and b stamp the same files.
func (a runStamps) equal(b runStamps) bool {
	return sameStamp(a.Training, b.Training) && sameStamp(a.Validation, b.Validation)
}

// lastWrite returns the later modification time of the stamped files.
func (a runStamps) lastWrite() time.Time {
	var ns int64
	for _, st := range []*fileStamp{a.Training, a.Validation} {
		if st != nil && st.MTime > ns {
			ns = st.MTime
		}
	}
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// cachedSummary is a summary this Store read or wrote, with its stamps.
type cachedSummary struct {
	stamps  runStamps
	sum     statstore.RunSummary
	indexed bool // as the summary index holds it (summary_index.go)
	// file is what the run's summary file holds as this Store last wrote
	// or read it; nil when not known.
	file *keptSummary
}

// keptSummary is what a run's summary file holds, as far as a writer
// deciding whether to rewrite it needs to know. Its validation stamp is
// always the cached summary's: a file is caught up from, or left behind,
// only while the validation file is unchanged.
type keptSummary struct {
	cover *trainCover // nil: none (readers need the stamps to match)
	// behind: the file summarises an earlier state of the training file
	// than the cached summary's stamps (readers catch up from the cover).
	behind bool
}

// summaryPath returns run's summary file.
func (s *Store) summaryPath(run string) string { return filepath.Join(s.dir, summariesDir, run) }

// stamps returns the stamps of run's data files as they are now.
func (s *Store) stamps(run string) (runStamps, error) {
	var out runStamps
	for _, k := range []fileKind{kindTraining, kindValidation} {
		st, err := s.stampLog(k, run)
		if err != nil {
			return runStamps{}, fmt.Errorf("filestore: the state of run %q's %s file: %w", run, k, err)
		}
		if k == kindTraining {
			out.Training = st
		} else {
			out.Validation = st
		}
	}
	return out, nil
}

// readSummary returns run's kept summary when it matches stamps: from the
// Store's cache, else from the summary file.
func (s *Store) readSummary(run string, stamps runStamps) (statstore.RunSummary, bool) {
	s.mu.Lock()
	c, ok := s.sums[run]
	s.mu.Unlock()
	if ok && c.stamps.equal(stamps) {
		return c.sum, true
	}
	f, err := s.fs.OpenFile(s.summaryPath(run), os.O_RDONLY, 0)
	if err != nil {
		return statstore.RunSummary{}, false
	}
	data, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<30))
	_ = f.Close() // read-only: nothing to lose
	if err != nil {
		return statstore.RunSummary{}, false
	}
	sf, err := decodeSummaryFile(data, run)
	if err != nil {
		return statstore.RunSummary{}, false
	}
	file := &keptSummary{cover: sf.Cover}
	sum := sf.Summary
	if !sf.runStamps.equal(stamps) {
		if sum, ok = s.catchUp(run, sf, stamps); !ok {
			return statstore.RunSummary{}, false
		}
		file.behind = true
	}
	s.cacheSummary(run, stamps, sum, file)
	return sum, true
}

// cacheSummary remembers run's summary for stamps, and what its summary
// file holds (nil: not known).
func (s *Store) cacheSummary(run string, stamps runStamps, sum statstore.RunSummary, file *keptSummary) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sums == nil {
		s.sums = map[string]cachedSummary{}
	}
	s.sums[run] = cachedSummary{stamps: stamps, sum: sum, file: file}
}

// writeSummary writes run's summary file for the files' stamps now; the
// caller holds the run's lock. A run without data files loses its
// summary file.
func (s *Store) writeSummary(run string, sum statstore.RunSummary) error {
	stamps, err := s.stamps(run)
	if err != nil {
		return err
	}
	return s.writeSummaryAt(run, sum, stamps, nil)
}

// writeSummaryAt is writeSummary with the stamps of run's files already
// taken, under the run's lock, after its last write; rf is the run's kept
// files (nil: none), for writeSummaryFile.
func (s *Store) writeSummaryAt(run string, sum statstore.RunSummary, stamps runStamps, rf *runFiles) error {
	if stamps.Training == nil && stamps.Validation == nil {
		s.mu.Lock()
		delete(s.sums, run)
		s.mu.Unlock()
		if err := s.fs.Remove(s.summaryPath(run)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	sum.Run, sum.LastWrite = run, time.Time{}
	cover := s.coverFor(run, stamps.Training, sum)
	data, err := encodeSummaryFile(summaryFile{Version: summaryVersion, runStamps: stamps, Cover: cover, Summary: sum})
	if err != nil {
		return err
	}
	if err := s.writeSummaryFile(s.summaryPath(run), data, rf); err != nil {
		return err
	}
	s.cacheSummary(run, stamps, sum, &keptSummary{cover: cover})
	return nil
}

// lagSummary keeps sum, run's summary after an append that left its files
// stamped now, in the Store's memory only, when the run's summary file
// (as this Store last wrote or read it) has a cover of the same training
// file, the validation file is unchanged and fewer than summaryLag bytes
// of records lie after the cover: readers of the file catch up from there
// (catchUp). false asks for the file to be written. The caller holds the
// run's lock.
func (s *Store) lagSummary(run string, now runStamps, sum statstore.RunSummary) bool {
	if s.sumLag <= 0 {
		return false
	}
	cur := s.coverFor(run, now.Training, sum)
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.sums[run]
	if !ok || c.file == nil || c.file.cover == nil || cur == nil || c.file.cover.ID != cur.ID ||
		cur.End < c.file.cover.End || cur.End-c.file.cover.End >= s.sumLag || !sameStamp(c.stamps.Validation, now.Validation) {
		return false
	}
	file := *c.file
	file.behind = true
	s.sums[run] = cachedSummary{stamps: now, sum: sum, file: &file}
	return true
}

// flushSummaries writes the summary files that this Store let fall behind
// (lagSummary) and that are still current, each under its run's lock:
// what Close does, so that a run's summary file is up to date after its
// writer closes the Store. Errors are only logged: readers catch up.
func (s *Store) flushSummaries() {
	if s.opts.ReadOnly {
		return
	}
	s.mu.Lock()
	var runs []string
	for run, c := range s.sums {
		if c.file != nil && c.file.behind {
			runs = append(runs, run)
		}
	}
	s.mu.Unlock()
	for _, run := range runs {
		if err := s.flushSummary(run); err != nil {
			s.log.Warn("run summary not written at close; readers bring it up to date", "run", run, "error", err)
		}
	}
}

// flushLockWait bounds how long Close waits for a run's lock (held by
// another process's write) to write its summary file.
const flushLockWait = 5 * time.Second

// flushSummary writes run's summary file from the Store's cache when the
// file is behind it and the cache is current.
func (s *Store) flushSummary(run string) error {
	ctx, cancel := context.WithTimeout(context.Background(), flushLockWait)
	defer cancel()
	rf, unlock, err := s.lockRunFiles(ctx, run)
	if err != nil {
		return err
	}
	defer unlock()
	now, err := s.stamps(run)
	if err != nil {
		return err
	}
	s.mu.Lock()
	c, ok := s.sums[run]
	s.mu.Unlock()
	if !ok || c.file == nil || !c.file.behind || !c.stamps.equal(now) {
		return nil // written meanwhile, or stale: readers look at the files
	}
	return s.writeSummaryAt(run, c.sum, now, rf)
}

// summaryUpdate brings a summary that was current before a write up to
// date after it, from what the write did alone; false asks for a
// recomputation from the history.
type summaryUpdate func(sum *statstore.RunSummary) bool

// summaryBegin is the state of run's summary before a write.
type summaryBegin struct {
	stamps runStamps
	ok     bool                  // stamps were taken
	sum    *statstore.RunSummary // nil when none is kept for stamps
	// after, when not nil, are the files' stamps after the write, known
	// without a look at their paths (see afterAppend).
	after *runStamps
}

// afterAppend records in b the stamps of run's files after an append
// through lg, the training file whose stamp b.stamps holds (the caller
// checked lg's file against it, under the run's lock): the training
// file's from an fstat of lg's descriptor, the validation file's as they
// were, since an append does not write it. Two stats of paths fewer per
// call; when the fstat fails, endSummary looks at the paths.
func (b *summaryBegin) afterAppend(lg *recordLog) {
	if !b.ok {
		return // no stamps before the write: endSummary looks at the paths
	}
	fi, err := lg.f.Stat()
	if err != nil {
		return
	}
	b.after = &runStamps{Training: stampOf(fi), Validation: b.stamps.Validation}
}

// beginSummary returns run's summary as it is before a write. The caller
// holds the run's lock.
func (s *Store) beginSummary(run string) summaryBegin {
	stamps, err := s.stamps(run)
	if err != nil {
		return summaryBegin{}
	}
	b := summaryBegin{stamps: stamps, ok: true}
	if sum, ok := s.readSummary(run, stamps); ok {
		b.sum = &sum
	}
	return b
}

// endSummary keeps run's summary after a write that ended with werr:
// nothing to do when the files did not change and the summary was
// current; else the summary before (b.sum) updated by update, or
// recomputed from the history when there is none, update cannot, or the
// write failed. The caller holds the run's lock, and rf (nil: none) the
// run's kept files. A summary that cannot be written is only logged:
// readers find the old one stale and recompute.
func (s *Store) endSummary(ctx context.Context, run string, b summaryBegin, werr error, update summaryUpdate, rf *runFiles) {
	// One look at the files serves both the check and the write: under the
	// run's lock nothing changes them after this call's write.
	var now runStamps
	var nowErr error
	if b.after != nil && werr == nil {
		now = *b.after
	} else {
		now, nowErr = s.stamps(run)
	}
	if nowErr == nil && b.ok && b.sum != nil && now.equal(b.stamps) {
		return
	}
	base := b.sum
	if base == nil && b.ok && b.stamps.Training == nil && b.stamps.Validation == nil {
		// The run had no data files: its summary was the empty run's,
		// which the update brings up to date without reading back what
		// the call wrote.
		empty := statstore.Summarize(run, nil, nil)
		base = &empty
	}
	var sum statstore.RunSummary
	if base != nil && werr == nil && update != nil && update(base) {
		sum = *base
		if b.after != nil && s.lagSummary(run, now, sum) {
			return
		}
	} else {
		var err error
		if sum, err = s.recompute(ctx, run); err != nil {
			s.log.Warn("run summary not recomputed after a write; readers recompute it", "run", run, "error", err)
			return
		}
	}
	err := nowErr
	if err == nil {
		err = s.writeSummaryAt(run, sum, now, rf)
	}
	if err != nil {
		s.log.Warn("run summary not written after a write; readers recompute it", "run", run, "error", err)
	}
}

// recompute summarises run from its history.
func (s *Store) recompute(ctx context.Context, run string) (statstore.RunSummary, error) {
	return statstore.SummarizeRun(context.WithoutCancel(ctx), s, run)
}

// trainingUpdate is the summaryUpdate of StoreTrainingStats(stats): an
// append adds its new entries (statstore.PlanTraining of the summary's
// TrainedUntil says which), also to an empty run's summary; a replace
// recomputes.
func trainingUpdate(stats *statstore.TrainingStats) summaryUpdate {
	return func(sum *statstore.RunSummary) bool {
		plan, err := statstore.PlanTraining(sum.TrainedUntil, stats)
		switch {
		case err != nil:
			return false
		case plan.Action == statstore.WriteNothing:
			return true
		case plan.Action == statstore.WriteAppend && (sum.TrainingIterations > 0 || sum.ValidationIterations == 0):
			sum.AppendTraining(plan.Entries)
			return true
		}
		return false
	}
}

// validationUpdate is the summaryUpdate of a validation write: the
// validation part is taken again from the merged scores (cached in
// memory after the write), without reading the training history.
func (s *Store) validationUpdate(ctx context.Context, run string) summaryUpdate {
	return func(sum *statstore.RunSummary) bool {
		v, err := s.RetrieveValidationScores(context.WithoutCancel(ctx), run)
		if err != nil {
			return false
		}
		sum.SetValidation(v)
		return true
	}
}

var _ statstore.Summarizer = (*Store)(nil)

// RunSummaries answers q from the kept summaries: two directory listings
// and two stats per run (spread over a few goroutines); a run's summary
// is taken from this Store's cache, filled on first use from the summary
// index (summary_index.go), else from the run's summary file, and from
// the history only when both are stale (see summariesDir). Tags and
// MetaDigest come from the metadata files (attachMeta).
func (s *Store) RunSummaries(ctx context.Context, q statstore.RunQuery) (statstore.RunPage, error) {
	if err := s.checkOpen(ctx); err != nil {
		return statstore.RunPage{}, err
	}
	if err := q.Validate(); err != nil {
		return statstore.RunPage{}, fmt.Errorf("filestore: run summaries: %w", err)
	}
	stamps, listed, release, err := s.newStamper()
	if err != nil {
		return statstore.RunPage{}, err
	}
	defer release()
	s.loadSummaryIndex()
	names := make(map[string]bool, len(listed))
	for _, r := range listed {
		names[r] = true
	}
	runs := slices.Collect(maps.Keys(names))
	all := make([]statstore.RunSummary, len(runs))
	if err := s.eachRun(ctx, runs, func(i int) (err error) {
		all[i], err = s.runSummary(ctx, runs[i], stamps)
		return err
	}); err != nil {
		return statstore.RunPage{}, err
	}
	sums := all[:0]
	for _, sum := range all {
		if sum.Run != "" {
			sums = append(sums, sum)
		}
	}
	s.saveSummaryIndex(runs)
	if err := s.attachMeta(ctx, sums); err != nil {
		return statstore.RunPage{}, fmt.Errorf("filestore: run summaries: %w", err)
	}
	return q.Apply(sums)
}

// eachRun calls f(i) for every index of runs, on a few goroutines (the
// calls are mostly stats, which wait in the kernel); the first error
// stops it.
func (s *Store) eachRun(ctx context.Context, runs []string, f func(i int) error) error {
	workers := min(4*runtime.GOMAXPROCS(0), 16, len(runs)/64+1)
	var (
		next    atomic.Int64
		errOnce sync.Once
		first   error
		wg      sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(runs) {
					return
				}
				err := ctx.Err()
				if err == nil {
					err = f(i)
				}
				if err != nil {
					errOnce.Do(func() { first = err })
					next.Store(int64(len(runs)))
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// listAndStamp returns Store.stamps and the names of the runs with a data
// file (listDir), for newStamper.
func (s *Store) listAndStamp() (func(run string) (runStamps, error), []string, func(), error) {
	var names []string
	for _, k := range []fileKind{kindTraining, kindValidation} {
		runs, err := s.listDir(k)
		if err != nil {
			return nil, nil, nil, err
		}
		names = append(names, runs...)
	}
	return s.stamps, names, func() {}, nil
}

// runSummary returns run's current summary (a zero one for a run whose
// files went meanwhile), recomputing and rewriting a stale one; stamp is
// Store.stamps or a faster equivalent (newStamper).
func (s *Store) runSummary(ctx context.Context, run string, stamp func(string) (runStamps, error)) (statstore.RunSummary, error) {
	stamps, err := stamp(run)
	if err != nil {
		return statstore.RunSummary{}, err
	}
	if stamps.Training == nil && stamps.Validation == nil {
		return statstore.RunSummary{}, nil
	}
	sum, ok := s.readSummary(run, stamps)
	if !ok {
		if sum, stamps, err = s.refreshSummary(ctx, run); err != nil {
			return statstore.RunSummary{}, err
		}
	}
	sum.Run, sum.LastWrite = run, stamps.lastWrite()
	return sum, nil
}

// refreshSummary recomputes run's summary from its history and, unless
// the store is read-only, rewrites it under the run's lock (where a
// writer that finished meanwhile may have written a current one).
func (s *Store) refreshSummary(ctx context.Context, run string) (statstore.RunSummary, runStamps, error) {
	if !s.opts.ReadOnly {
		unlock, err := s.lockRun(ctx, run)
		if err != nil {
			return statstore.RunSummary{}, runStamps{}, err
		}
		defer unlock()
	}
	stamps, err := s.stamps(run)
	if err != nil {
		return statstore.RunSummary{}, runStamps{}, err
	}
	if sum, ok := s.readSummary(run, stamps); ok {
		return sum, stamps, nil
	}
	sum, err := s.recompute(ctx, run)
	if err != nil {
		return statstore.RunSummary{}, runStamps{}, fmt.Errorf("filestore: summarise run %q: %w", run, err)
	}
	if s.opts.ReadOnly {
		return sum, stamps, nil
	}
	if err := s.writeSummary(run, sum); err != nil {
		s.log.Warn("run summary recomputed but not written", "run", run, "error", err)
	}
	return sum, stamps, nil
}

// deleteUpdate is the summaryUpdate of deleting the parts kinds of a run:
// deleting the validation scores alone empties the summary's validation
// part; deleting the training stats recomputes.
func deleteUpdate(kinds []fileKind) summaryUpdate {
	return func(sum *statstore.RunSummary) bool {
		if len(kinds) != 1 || kinds[0] != kindValidation {
			return false
		}
		sum.SetValidation(nil)
		return true
	}
}
