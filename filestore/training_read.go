package filestore

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/fsutil"
)

// openTrainingForRead opens run's training file, loads its state and
// returns a reader of that state; release must be called with the caller's
// error when the reader is done (it closes the file, keeping the first
// error). The reader is nil for a run without training stats.
func (s *Store) openTrainingForRead(ctx context.Context, run string) (_ *trainReader, _ *trainSnap, release func(*error), err error) {
	if err := s.check(ctx, run); err != nil {
		return nil, nil, nil, err
	}
	lg, err := s.openLog(kindTraining, run, false)
	if err != nil || lg == nil {
		return nil, nil, nil, err
	}
	snap, err := s.loadTrain(lg)
	if err != nil {
		lg.close(&err)
		return nil, nil, nil, err
	}
	tr, unmap := s.trainReaderFor(lg.f, run, snap)
	return tr, snap, func(err *error) {
		unmap()
		lg.close(err)
	}, nil
}

// RetrieveTrainingStats returns the run's whole training history (empty for
// an unknown run): one sequential pass over the committed records, every
// chunk's checksum verified, decoded in place into one preallocated slice
// (AppendTrainingStats into a new one).
func (s *Store) RetrieveTrainingStats(ctx context.Context, run string) (*statstore.TrainingStats, error) {
	out, err := s.AppendTrainingStats(ctx, run, nil)
	if err != nil {
		return &statstore.TrainingStats{}, err
	}
	return &statstore.TrainingStats{IterationStats: out}, nil
}

// AppendTrainingStats appends the run's whole training history to dst
// (statstore.TrainingAppender): what RetrieveTrainingStats reads and
// checks, decoded into dst's spare capacity, which grows only when it is
// too small for the history. dst unchanged for an unknown run, and on
// error.
func (s *Store) AppendTrainingStats(ctx context.Context, run string, dst []statstore.TrainingIterationStats) (out []statstore.TrainingIterationStats, err error) {
	out = dst // what a memory fault (caught below) returns with its error
	defer catchFault(s.path(kindTraining, run), &err)()
	tr, snap, release, err := s.openTrainingForRead(ctx, run)
	if err != nil || tr == nil {
		return dst, err
	}
	defer release(&err)
	got, err := tr.all(dst, snap.count)
	if err != nil {
		return dst, err
	}
	return got, nil
}

// RetrieveTrainingRange returns the entries with iteration in r, seeking to
// the first: the cost grows with the size of the answer, not of the history.
func (s *Store) RetrieveTrainingRange(ctx context.Context, run string, r statstore.IterationRange) (_ *statstore.TrainingStats, err error) {
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("filestore: retrieve training range of run %q: %w", run, err)
	}
	defer catchFault(s.path(kindTraining, run), &err)()
	tr, snap, release, err := s.openTrainingForRead(ctx, run)
	if err != nil || tr == nil {
		return &statstore.TrainingStats{}, err
	}
	defer release(&err)
	out := []statstore.TrainingIterationStats{}
	if snap.count == 0 || (r.To != 0 && r.To <= snap.first.Iteration) || r.From > snap.last.Iteration {
		return &statstore.TrainingStats{IterationStats: out}, nil
	}
	c, _, ok, err := tr.findGE(r.From, 0)
	if err != nil || !ok {
		return &statstore.TrainingStats{IterationStats: out}, err
	}
	out, err = tr.scanFrom(c.b, r)
	if err != nil {
		return &statstore.TrainingStats{}, err
	}
	return &statstore.TrainingStats{IterationStats: out}, nil
}

// SubsampleTraining returns what statstore.Subsample returns for the run's
// history. Stride mode seeks to each target iteration (see trainReader),
// reading a block of a few KiB per point, in time independent of the
// history's length; min/max mode reads the requested range.
func (s *Store) SubsampleTraining(ctx context.Context, run string, opts statstore.SubsampleOptions) (_ []statstore.TrainingIterationStats, err error) {
	opts, err = opts.Normalize()
	if err != nil {
		return nil, fmt.Errorf("filestore: subsample training stats of run %q: %w", run, err)
	}
	if opts.Mode == statstore.SubsampleMinMax {
		stats, err := s.RetrieveTrainingRange(ctx, run, opts.Range)
		if err != nil {
			return nil, err
		}
		return statstore.Subsample(stats.IterationStats, opts)
	}
	defer catchFault(s.path(kindTraining, run), &err)()
	tr, snap, release, err := s.openTrainingForRead(ctx, run)
	if err != nil || tr == nil {
		return []statstore.TrainingIterationStats{}, err
	}
	defer release(&err)
	if snap.count == 0 {
		return []statstore.TrainingIterationStats{}, nil
	}
	c, i, ok, err := tr.findGE(opts.Range.From, 0)
	if err != nil || !ok {
		return []statstore.TrainingIterationStats{}, err
	}
	first := c.entry(i)
	last, ok, err := tr.entryBefore(opts.Range.To)
	if err != nil || !ok || last.Iteration < first.Iteration {
		return []statstore.TrainingIterationStats{}, err
	}
	targets := statstore.SubsampleTargets(first.Iteration, last.Iteration, opts.MaxPoints)
	if rv, ok := tr.v.(*readView); ok && denseTargets(snap, first.Iteration, last.Iteration, len(targets)) {
		rv.readAhead(readAheadSize, tr.end)
	}
	out := make([]statstore.TrainingIterationStats, 0, len(targets))
	hint := c.b
	for k, t := range targets {
		if k%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("filestore: subsample training stats of run %q: %w", run, err)
			}
		}
		c, i, ok, err := tr.findGE(t, hint)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, corrupt(tr.path, -1, fmt.Errorf("no entry at or after iteration %d, though the last entry is at iteration %d", t, last.Iteration))
		}
		hint = c.b
		if it := c.iter(i); len(out) == 0 || out[len(out)-1].Iteration != it {
			out = append(out, c.entry(i))
		}
	}
	return out, nil
}

// A stride subsample read without a memory map (a Store's first read of
// the file) reads the file ahead, readAheadSize bytes at a time, when its
// targets lie at most denseGap bytes apart: with the pages cached, one
// system call costs about what copying 16–26 KiB does on the machine of
// docs/benchmarks.md, so reading the bytes between dense targets is
// cheaper than a read per target's block (at 3e5 entries, 7 KiB apart:
// 0.5 ms for the whole file in 64 KiB pieces against 2.2–2.7 ms for 1,000
// reads of 4 KiB).
const (
	denseGap      = 16 << 10
	readAheadSize = 128 << 10
)

// denseTargets reports whether n targets spread over iterations [from, to]
// of snap's history lie at most denseGap bytes apart on average (entries
// spread evenly over the iterations they span).
func denseTargets(snap *trainSnap, from, to, n int) bool {
	span := snap.last.Iteration - snap.first.Iteration + 1
	if n < 2 || span <= 0 || to < from {
		return false
	}
	bytes := float64(snap.end-snap.l.Base) * float64(to-from+1) / float64(span)
	return bytes/float64(n) <= denseGap
}

// trainReaderFor returns a reader of the state snap of run's open training
// file f: through the Store's memory map of the file when it has or can
// make one, by pread otherwise; with the Store's index of block first
// iterations either way. release must be called when the reader is done.
func (s *Store) trainReaderFor(f fsutil.File, run string, snap *trainSnap) (*trainReader, func()) {
	idx, walks, m := s.acquireTrainFile(f, run, snap)
	tr := newTrainReader(f, snap, idx)
	if m == nil {
		return tr, func() {}
	}
	tr.v, tr.walks = mapView(m.bytes()), walks
	return tr, func() { s.releaseMap(m) }
}

// catchFault turns a memory fault while reading a mapped file into a
// *statstore.CorruptError in *err. A fault means that a page of the map lies
// past the end of the file: someone truncated the file below the committed
// end this reader saw. Use as `defer catchFault(path, &err)()` in the
// goroutine that reads.
func catchFault(path string, err *error) func() {
	old := debug.SetPanicOnFault(true)
	return func() {
		r := recover()
		debug.SetPanicOnFault(old)
		if r == nil {
			return
		}
		fe, ok := r.(interface{ Addr() uintptr })
		if !ok {
			panic(r)
		}
		*err = &statstore.CorruptError{Path: path, Offset: -1,
			Reason: fmt.Sprintf("the file shrank below its committed end while it was read (memory fault at %#x)", fe.Addr()),
			Err:    errFault}
	}
}

// errFault is the cause of the CorruptError a memory fault becomes.
var errFault = errors.New("memory fault reading a mapped file")
