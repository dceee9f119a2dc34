package filestore

import (
	"context"
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/fsutil"
	"github.com/statstore/statstore/internal/record"
)

// openTrainingForRead opens run's training file and loads its state; f is
// nil for a run without training stats.
func (s *Store) openTrainingForRead(ctx context.Context, run string) (fsutil.File, *trainSnap, error) {
	if err := s.check(ctx, run); err != nil {
		return nil, nil, err
	}
	f, err := s.openFile(kindTraining, run, false)
	if err != nil || f == nil {
		return nil, nil, err
	}
	snap, err := s.loadTrain(f, run)
	if err != nil {
		_ = f.Close() // the load error is what matters
		return nil, nil, err
	}
	return f, snap, nil
}

// RetrieveTrainingStats returns the run's whole training history (empty for
// an unknown run), reading every committed record.
func (s *Store) RetrieveTrainingStats(ctx context.Context, run string) (_ *statstore.TrainingStats, err error) {
	f, snap, err := s.openTrainingForRead(ctx, run)
	if err != nil || f == nil {
		return &statstore.TrainingStats{}, err
	}
	defer closeFile(f, &err)
	out := make([]statstore.TrainingIterationStats, 0, snap.count)
	err = kindTraining.layout().Scan(f, headerSize, snap.end, func(rec record.Record) error {
		prev := -1
		if len(out) > 0 {
			prev = out[len(out)-1].Iteration
		}
		entries, err := decodeTrainingRecord(rec.Payload, len(out), prev)
		if err != nil {
			return &record.Error{Offset: rec.Off, Reason: err.Error()}
		}
		out = append(out, entries...)
		return nil
	})
	if err != nil {
		return &statstore.TrainingStats{}, frameErr(f.Name(), err)
	}
	return &statstore.TrainingStats{IterationStats: out}, nil
}

// RetrieveTrainingRange returns the entries with iteration in r, seeking to
// the first: the cost grows with the size of the answer, not of the history.
func (s *Store) RetrieveTrainingRange(ctx context.Context, run string, r statstore.IterationRange) (_ *statstore.TrainingStats, err error) {
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("filestore: retrieve training range of run %q: %w", run, err)
	}
	f, snap, err := s.openTrainingForRead(ctx, run)
	if err != nil || f == nil {
		return &statstore.TrainingStats{}, err
	}
	defer closeFile(f, &err)
	out := []statstore.TrainingIterationStats{}
	if snap.count == 0 {
		return &statstore.TrainingStats{IterationStats: out}, nil
	}
	tr := newTrainReader(f, snap)
	b, i, ok, err := tr.findGE(r.From)
	if err != nil || !ok {
		return &statstore.TrainingStats{IterationStats: out}, err
	}
	for ; b < tr.nb; b, i = b+1, 0 {
		ents, err := tr.block(b)
		if err != nil {
			return &statstore.TrainingStats{}, err
		}
		if len(out) > 0 && ents[0].Iteration <= out[len(out)-1].Iteration {
			return &statstore.TrainingStats{}, tr.orderErr(b, out[len(out)-1].Iteration, ents[0].Iteration)
		}
		for ; i < len(ents); i++ {
			if r.To != 0 && ents[i].Iteration >= r.To {
				return &statstore.TrainingStats{IterationStats: out}, nil
			}
			out = append(out, ents[i])
		}
		tr.forget(b)
	}
	return &statstore.TrainingStats{IterationStats: out}, nil
}

// SubsampleTraining returns what statstore.Subsample returns for the run's
// history. Stride mode seeks to each target iteration, reading at most a
// couple of blocks per point, in time independent of the history's length;
// min/max mode reads the requested range.
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
	f, snap, err := s.openTrainingForRead(ctx, run)
	if err != nil || f == nil {
		return []statstore.TrainingIterationStats{}, err
	}
	defer closeFile(f, &err)
	if snap.count == 0 {
		return []statstore.TrainingIterationStats{}, nil
	}
	tr := newTrainReader(f, snap)
	first, ok, err := tr.entryGE(opts.Range.From)
	if err != nil || !ok {
		return []statstore.TrainingIterationStats{}, err
	}
	last, ok, err := tr.entryBefore(opts.Range.To)
	if err != nil || !ok || last.Iteration < first.Iteration {
		return []statstore.TrainingIterationStats{}, err
	}
	targets := statstore.SubsampleTargets(first.Iteration, last.Iteration, opts.MaxPoints)
	out := make([]statstore.TrainingIterationStats, 0, len(targets))
	for _, t := range targets {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("filestore: subsample training stats of run %q: %w", run, err)
		}
		e, ok, err := tr.entryGE(t)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, corrupt(f.Name(), -1, fmt.Errorf("no entry at or after iteration %d, though the last entry is at iteration %d", t, last.Iteration))
		}
		if len(out) == 0 || out[len(out)-1].Iteration != e.Iteration {
			out = append(out, e)
		}
	}
	return out, nil
}

// trainReader seeks in a training file by iteration: it binary-searches the
// blocks by the iteration of the entry each starts with (every chunk holds
// whole entries, so every block starts with one) and checks each block it
// uses in full.
type trainReader struct {
	f      fsutil.File
	l      record.Layout
	end    int64
	nb     int
	peeks  map[int]int
	blocks map[int][]statstore.TrainingIterationStats
}

func newTrainReader(f fsutil.File, snap *trainSnap) *trainReader {
	l := kindTraining.layout()
	return &trainReader{f: f, l: l, end: snap.end, nb: l.NumBlocks(snap.end),
		peeks: map[int]int{}, blocks: map[int][]statstore.TrainingIterationStats{}}
}

// maxCachedBlocks bounds the decoded blocks a trainReader keeps.
const maxCachedBlocks = 8

// firstIter returns the iteration block b starts with, from a peek that
// block(b) later confirms.
func (tr *trainReader) firstIter(b int) (int, error) {
	if ents, ok := tr.blocks[b]; ok {
		return ents[0].Iteration, nil
	}
	if v, ok := tr.peeks[b]; ok {
		return v, nil
	}
	t, p, err := tr.l.PeekBlock(tr.f, b, trainingHeadSize+8)
	if err != nil {
		return 0, frameErr(tr.f.Name(), err)
	}
	off := 0
	if t == record.Full || t == record.First {
		off = trainingHeadSize
	}
	if len(p) < off+8 || t == record.Padding || t > record.Last {
		return 0, corrupt(tr.f.Name(), tr.l.Base+int64(b)*record.BlockSize, fmt.Errorf("block does not start with a training entry"))
	}
	v := int(int64(binary.LittleEndian.Uint64(p[off:])))
	tr.peeks[b] = v
	return v, nil
}

// block returns the checked entries of block b.
func (tr *trainReader) block(b int) ([]statstore.TrainingIterationStats, error) {
	if ents, ok := tr.blocks[b]; ok {
		return ents, nil
	}
	off := tr.l.Base + int64(b)*record.BlockSize
	chunks, err := tr.l.ReadBlock(tr.f, b, tr.end)
	if err != nil {
		return nil, frameErr(tr.f.Name(), err)
	}
	var ents []statstore.TrainingIterationStats
	for _, c := range chunks {
		_, body, err := chunkEntries(c.Type, c.Payload)
		if err != nil {
			return nil, corrupt(tr.f.Name(), c.Off, err)
		}
		n := len(ents)
		ents = decodeEntries(ents, body)
		for i := max(n, 1); i < len(ents); i++ {
			if ents[i].Iteration <= ents[i-1].Iteration {
				return nil, corrupt(tr.f.Name(), c.Off, fmt.Errorf("iteration %d follows iteration %d, want strictly increasing", ents[i].Iteration, ents[i-1].Iteration))
			}
		}
	}
	if len(ents) == 0 {
		return nil, corrupt(tr.f.Name(), off, fmt.Errorf("block holds no training entries"))
	}
	if v, ok := tr.peeks[b]; ok && v != ents[0].Iteration {
		return nil, corrupt(tr.f.Name(), off, fmt.Errorf("block starts with iteration %d, its header said %d", ents[0].Iteration, v))
	}
	if ents[0].Iteration < 0 {
		return nil, corrupt(tr.f.Name(), off, fmt.Errorf("negative iteration %d", ents[0].Iteration))
	}
	if len(tr.blocks) >= maxCachedBlocks {
		clear(tr.blocks)
	}
	tr.blocks[b] = ents
	return ents, nil
}

// forget drops block b from the cache (a sequential read is done with it).
func (tr *trainReader) forget(b int) { delete(tr.blocks, b) }

func (tr *trainReader) orderErr(b, prev, next int) error {
	return corrupt(tr.f.Name(), tr.l.Base+int64(b)*record.BlockSize,
		fmt.Errorf("block starts with iteration %d after iteration %d, want strictly increasing", next, prev))
}

// findGE returns the position (block, index) of the first entry with
// iteration >= t; ok is false when there is none.
func (tr *trainReader) findGE(t int) (b, i int, ok bool, err error) {
	var ferr error
	k := sort.Search(tr.nb, func(b int) bool {
		v, err := tr.firstIter(b)
		if err != nil {
			ferr = err
			return true
		}
		return v > t
	})
	if ferr != nil {
		return 0, 0, false, ferr
	}
	for b = max(k-1, 0); b < tr.nb; b++ {
		ents, err := tr.block(b)
		if err != nil {
			return 0, 0, false, err
		}
		i = sort.Search(len(ents), func(i int) bool { return ents[i].Iteration >= t })
		if i == len(ents) {
			continue
		}
		if i == 0 && b > 0 {
			// The binary search trusted peeks: confirm that the block
			// before ends below t.
			prev, err := tr.block(b - 1)
			if err != nil {
				return 0, 0, false, err
			}
			if p := prev[len(prev)-1].Iteration; p >= ents[0].Iteration {
				return 0, 0, false, tr.orderErr(b, p, ents[0].Iteration)
			} else if p >= t {
				return 0, 0, false, corrupt(tr.f.Name(), tr.l.Base+int64(b-1)*record.BlockSize,
					fmt.Errorf("block holds iteration %d at or after %d, which its header put later", p, t))
			}
		}
		return b, i, true, nil
	}
	return 0, 0, false, nil
}

// entryGE returns the first entry with iteration >= t.
func (tr *trainReader) entryGE(t int) (statstore.TrainingIterationStats, bool, error) {
	b, i, ok, err := tr.findGE(t)
	if err != nil || !ok {
		return statstore.TrainingIterationStats{}, false, err
	}
	ents, err := tr.block(b)
	if err != nil {
		return statstore.TrainingIterationStats{}, false, err
	}
	return ents[i], true, nil
}

// entryBefore returns the last entry with iteration < to (the last entry
// when to is 0, meaning no bound).
func (tr *trainReader) entryBefore(to int) (statstore.TrainingIterationStats, bool, error) {
	var b, i int
	if to != 0 {
		var ok bool
		var err error
		if b, i, ok, err = tr.findGE(to); err != nil {
			return statstore.TrainingIterationStats{}, false, err
		}
		if !ok {
			to = 0
		}
	}
	if to == 0 {
		b = tr.nb - 1
		ents, err := tr.block(b)
		if err != nil {
			return statstore.TrainingIterationStats{}, false, err
		}
		i = len(ents)
	}
	if i == 0 {
		if b == 0 {
			return statstore.TrainingIterationStats{}, false, nil
		}
		b--
		ents, err := tr.block(b)
		if err != nil {
			return statstore.TrainingIterationStats{}, false, err
		}
		i = len(ents)
	}
	ents, err := tr.block(b)
	if err != nil {
		return statstore.TrainingIterationStats{}, false, err
	}
	return ents[i-1], true, nil
}
