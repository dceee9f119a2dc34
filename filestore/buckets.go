package filestore

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/gofrs/flock"

	"github.com/statstore/statstore"
	"github.com/statstore/statstore/internal/pyramid"
)

var _ statstore.TrainingBucketer = (*Store)(nil)

// TrainingBuckets answers as statstore.BucketTraining does on the run's
// history, from the run's bucket sidecar (DIR/.buckets/<run>, see
// buckets_format.go): whole blocks of the coarsest level that fits the
// bucket width, finer blocks and at most 63 iterations of raw entries at
// each edge, so its cost grows with the number of buckets rather than
// with the history. A sidecar that is missing, damaged or stamped with
// another state of the training file is extended from the entries it
// does not cover (the same file, grown) or rebuilt; a read-only Store, or
// one that finds another reader updating the sidecar, computes the same
// answer without writing it.
func (s *Store) TrainingBuckets(ctx context.Context, run string, opts statstore.BucketOptions) (_ []statstore.TrainingBucket, _ int, err error) {
	opts, err = opts.Normalize()
	if err != nil {
		return nil, 0, fmt.Errorf("filestore: training buckets of run %q: %w", run, err)
	}
	defer catchFault(s.path(kindTraining, run), &err)()
	src, release, err := s.bucketSource(ctx, run)
	if err != nil || src == nil {
		return []statstore.TrainingBucket{}, 1, err
	}
	defer release(&err)
	first, last, ok, err := src.bounds(opts.Range)
	if err != nil || !ok {
		return []statstore.TrainingBucket{}, 1, err
	}
	w := statstore.BucketWidth(first, last, opts.Buckets)
	if pyramid.LevelFor(w) < 0 {
		es, err := src.entries(first, last+1)
		if err != nil {
			return nil, 0, fmt.Errorf("filestore: training buckets of run %q: %w", run, err)
		}
		return statstore.BucketsOfWidth(es, w), w, nil
	}
	for attempt := 0; ; attempt++ {
		lv, err := s.bucketLevels(ctx, run, src, attempt > 0)
		if err != nil {
			return nil, 0, fmt.Errorf("filestore: training buckets of run %q: %w", run, err)
		}
		out, err := pyramid.Query(lv, first, last+1, w)
		lv.close()
		if errors.Is(err, errBadSidecar) && attempt == 0 {
			continue // damaged under our feet: rebuild
		}
		if err != nil {
			return nil, 0, fmt.Errorf("filestore: training buckets of run %q: %w", run, err)
		}
		return out, w, nil
	}
}

// trainingSource is the training file as the bucket code reads it: the
// one place it calls the training reader.
type trainingSource struct {
	stamp bucketStamp
	first statstore.TrainingIterationStats
	tr    *trainReader
}

// bucketSource opens run's training file for the bucket code; nil for a
// run without entries.
func (s *Store) bucketSource(ctx context.Context, run string) (*trainingSource, func(*error), error) {
	tr, snap, release, err := s.openTrainingForRead(ctx, run)
	if err != nil || tr == nil {
		return nil, nil, err
	}
	if snap.count == 0 {
		release(&err)
		return nil, nil, err
	}
	src := &trainingSource{tr: tr, first: snap.first, stamp: bucketStamp{id: snap.id, inode: inodeOf(snap.fi),
		end: snap.end, count: int64(snap.count), last: snap.last}}
	return src, release, nil
}

// bounds returns the first and last iterations of the entries in r.
func (src *trainingSource) bounds(r statstore.IterationRange) (first, last int, ok bool, err error) {
	if (r.To != 0 && r.To <= src.first.Iteration) || r.From > src.stamp.last.Iteration {
		return 0, 0, false, nil
	}
	c, i, ok, err := src.tr.findGE(r.From, 0)
	if err != nil || !ok {
		return 0, 0, false, err
	}
	e, ok, err := src.tr.entryBefore(r.To)
	if err != nil || !ok || e.Iteration < c.iter(i) {
		return 0, 0, false, err
	}
	return c.iter(i), e.Iteration, true, nil
}

// entries returns the entries with iteration in [from, to).
func (src *trainingSource) entries(from, to int) ([]statstore.TrainingIterationStats, error) {
	c, _, ok, err := src.tr.findGE(from, 0)
	if err != nil || !ok {
		return nil, err
	}
	return src.tr.scanFrom(c.b, statstore.IterationRange{From: from, To: to})
}

// scanWindow is how many iterations scan reads at a time.
const scanWindow = 1 << 18

// scan hands fn the entries from iteration from on, in order, a window at
// a time.
func (src *trainingSource) scan(ctx context.Context, from int, fn func([]statstore.TrainingIterationStats)) error {
	for from <= src.stamp.last.Iteration {
		if err := ctx.Err(); err != nil {
			return err
		}
		c, i, ok, err := src.tr.findGE(from, 0)
		if err != nil || !ok {
			return err
		}
		from = c.iter(i)
		to := (from/scanWindow + 1) * scanWindow
		es, err := src.tr.scanFrom(c.b, statstore.IterationRange{From: from, To: to})
		if err != nil {
			return err
		}
		fn(es)
		from = to
	}
	return nil
}

// sidecarLevels are a sidecar's levels as pyramid.Query reads them: the
// closed blocks in the level files (the first meta.closed[l] records),
// then those in mem (built since, not written), then the open blocks.
type sidecarLevels struct {
	src    *trainingSource
	closed [pyramid.Levels]int64
	files  [pyramid.Levels]*os.File
	mem    *pyramid.Mem
	// lazy, when set, names the sidecar's level files, opened on their
	// first use (a query reads a few of the levels) or all at once by
	// openFiles; files holds those opened so far.
	lazy *bucketMeta
	dir  string
}

// file returns the file of level l, which holds closed blocks, opening it
// on first use when lv is lazy; an error wraps errBadSidecar.
func (lv *sidecarLevels) file(l int) (*os.File, error) {
	if lv.files[l] != nil || lv.lazy == nil || lv.closed[l] == 0 {
		return lv.files[l], nil
	}
	f, err := openLevel(lv.dir, lv.lazy, l)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errBadSidecar, err)
	}
	lv.files[l] = f
	return f, nil
}

func (lv *sidecarLevels) close() {
	for _, f := range lv.files {
		if f != nil {
			_ = f.Close() // read only
		}
	}
}

// Entries implements pyramid.Source.
func (lv *sidecarLevels) Entries(from, to int) ([]statstore.TrainingIterationStats, error) {
	return lv.src.entries(from, to)
}

// Blocks implements pyramid.Source.
func (lv *sidecarLevels) Blocks(l, from, to int) ([]statstore.TrainingBucket, error) {
	var out []statstore.TrainingBucket
	f, err := lv.file(l)
	if err != nil {
		return nil, err
	}
	if n := lv.closed[l]; n > 0 && f != nil {
		var rec [bucketRecSize]byte
		var ferr error
		at := func(i int) statstore.TrainingBucket {
			if _, err := f.ReadAt(rec[:], int64(i)*bucketRecSize); err != nil {
				ferr = fmt.Errorf("%w: level %d: %v", errBadSidecar, l, err)
				return statstore.TrainingBucket{}
			}
			b, err := decodeBucketRecord(rec[:], l, false)
			if err != nil {
				ferr = err
			}
			return b
		}
		// The first record at or after it: the records' blocks are aligned
		// to the level's width and strictly increasing, so record k starts
		// at or after record 0's start + k widths and the answer is at most
		// g, that many widths from record 0 to it, and exactly g when no
		// block before it is missing (a dense history): one probe, at
		// g-1, tells. Otherwise a binary search below g.
		w, first := pyramid.Width(l), at(0)
		search := func(lo int, it int) int {
			g := int(n)
			if d := it - first.From; d <= 0 {
				g = 0
			} else if k := (d + w - 1) / w; k < g {
				g = k
			}
			if g <= lo || ferr != nil {
				return lo
			}
			if at(g-1).From < it {
				return g
			}
			return lo + sort.Search(g-1-lo, func(k int) bool { return ferr != nil || at(lo+k).From >= it })
		}
		i := search(0, from)
		j := search(i, to)
		if ferr != nil {
			return nil, ferr
		}
		if j > i {
			buf := make([]byte, (j-i)*bucketRecSize)
			if _, err := f.ReadAt(buf, int64(i)*bucketRecSize); err != nil {
				return nil, fmt.Errorf("%w: level %d: %v", errBadSidecar, l, err)
			}
			out = make([]statstore.TrainingBucket, 0, j-i+1)
			prev := from - 1
			for k := 0; k < j-i; k++ {
				b, err := decodeBucketRecord(buf[k*bucketRecSize:(k+1)*bucketRecSize], l, false)
				if err != nil {
					return nil, err
				}
				if b.From <= prev || b.From >= to {
					return nil, fmt.Errorf("%w: level %d: blocks out of order", errBadSidecar, l)
				}
				prev = b.From
				out = append(out, b)
			}
		}
	}
	return append(out, lv.mem.Blocks(l, from, to)...), nil
}

// bucketDir returns run's sidecar directory.
func (s *Store) bucketDir(run string) string { return filepath.Join(s.dir, bucketsDir, run) }

// dropBuckets removes run's sidecar, a cache of its training file, when
// that file goes (deleted or trashed): a later file of the run has another
// id and would rebuild it anyway, and nothing else would ever remove it.
// A failure is only logged. The caller holds the run's lock.
func (s *Store) dropBuckets(run string) {
	if err := os.RemoveAll(s.bucketDir(run)); err != nil {
		s.log.Warn("the training file is gone, its bucket sidecar (a cache) is left behind", "run", run, "path", s.bucketDir(run), "error", err)
	}
}

// levelPath returns the file of level l of generation gen.
func levelPath(dir string, gen uint64, l int) string {
	return filepath.Join(dir, strconv.FormatUint(gen, 16)+"."+strconv.Itoa(l))
}

// bucketLevels returns the levels of run's sidecar, brought up to the
// state of src (extended or rebuilt, and written back when the Store may
// write and no one else is updating it). rebuild ignores the sidecar.
func (s *Store) bucketLevels(ctx context.Context, run string, src *trainingSource, rebuild bool) (*sidecarLevels, error) {
	dir := s.bucketDir(run)
	var m *bucketMeta
	if !rebuild {
		m = s.readBucketMeta(dir, src.stamp)
	}
	lv := &sidecarLevels{src: src, mem: pyramid.NewMem()}
	if m != nil && m.stamp.equal(src.stamp) {
		// Current: the query opens the levels it reads (a level file
		// missing or short then fails it with errBadSidecar, and
		// TrainingBuckets rebuilds).
		lv.closed, lv.mem.Open, lv.lazy, lv.dir = m.closed, m.open, m, dir
		return lv, nil
	}
	from := 0
	if m != nil { // the same file, grown: extend
		lv.closed, lv.mem.Open, lv.lazy, lv.dir = m.closed, m.open, m, dir
		from = m.stamp.last.Iteration + 1
		if err := lv.openFiles(); err != nil {
			lv.close()
			lv, m, from = &sidecarLevels{src: src, mem: pyramid.NewMem()}, nil, 0
		}
	}
	if m != nil {
		// The sidecar's last entry must still be the file's entry there.
		es, err := src.entries(m.stamp.last.Iteration, m.stamp.last.Iteration+1)
		if err != nil {
			lv.close()
			return nil, err
		}
		if len(es) != 1 || !pyramid.SameEntry(es[0], m.stamp.last) {
			lv.close()
			return s.bucketLevels(ctx, run, src, true)
		}
	}
	added := int64(0)
	err := src.scan(ctx, from, func(es []statstore.TrainingIterationStats) {
		added += int64(len(es))
		lv.mem.Add(es)
	})
	if err != nil {
		lv.close()
		return nil, err
	}
	covered := added
	if m != nil {
		covered += m.stamp.count
	}
	if covered != src.stamp.count || !pyramid.SameEntry(lv.mem.Open[0].Last, src.stamp.last) {
		lv.close()
		if m != nil {
			return s.bucketLevels(ctx, run, src, true)
		}
		return nil, corrupt(src.tr.path, -1, fmt.Errorf("a scan found %d entries ending at iteration %d, the file's last record counts %d ending at %d",
			covered, lv.mem.Open[0].Last.Iteration, src.stamp.count, src.stamp.last.Iteration))
	}
	if !s.opts.ReadOnly {
		s.saveBuckets(dir, lv, m, src.stamp)
	}
	return lv, nil
}

// readBucketMeta returns dir's meta when it stamps the file src reads (or
// an earlier state of it), nil otherwise.
func (s *Store) readBucketMeta(dir string, st bucketStamp) *bucketMeta {
	f, err := s.fs.OpenFile(filepath.Join(dir, "meta"), os.O_RDONLY, 0)
	if err != nil {
		return nil
	}
	defer func() { _ = f.Close() }() // read only
	buf := make([]byte, bucketMetaSize+1)
	n, err := f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil
	}
	m, err := decodeBucketMeta(buf[:n])
	if err != nil || m.stamp.id != st.id || m.stamp.inode != st.inode || m.stamp.end > st.end || m.stamp.count > st.count ||
		(m.stamp.count == st.count) != (m.stamp.end == st.end) {
		return nil
	}
	return m
}

// openFiles opens now every level file that holds closed blocks, each
// checked as file checks it: before an extension appends to them.
func (lv *sidecarLevels) openFiles() error {
	for l := range lv.closed {
		if _, err := lv.file(l); err != nil {
			return err
		}
	}
	return nil
}

// openLevel opens the file of level l of the sidecar in dir that m
// describes and checks that it holds m's closed blocks of that level.
func openLevel(dir string, m *bucketMeta, l int) (*os.File, error) {
	f, err := os.Open(levelPath(dir, m.gen, l))
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && fi.Size() < m.closed[l]*bucketRecSize {
		err = fmt.Errorf("%w: level %d holds %d bytes, want %d", errBadSidecar, l, fi.Size(), m.closed[l]*bucketRecSize)
	}
	if err != nil {
		_ = f.Close() // read only
		return nil, err
	}
	return f, nil
}

// saveBuckets writes what lv built to dir: appends its closed blocks to
// the level files of m's generation (or of a new one when m is nil), then
// replaces the meta. The sidecar is a cache: nothing is fsynced, and a
// failure only means the next reader builds again (it is not reported).
// Another process or goroutine updating the sidecar makes this one skip.
func (s *Store) saveBuckets(dir string, lv *sidecarLevels, m *bucketMeta, st bucketStamp) {
	if err := s.fs.MkdirAll(dir, dirPerm); err != nil {
		return
	}
	fl := flock.New(filepath.Join(dir, "lock"))
	locked, err := fl.TryLock()
	if err != nil || !locked {
		return
	}
	defer func() { _ = fl.Close() }() // releases the lock
	if m != nil {
		// Someone may have written since we read: only extend the state read.
		cur := s.readBucketMeta(dir, st)
		if cur == nil || cur.gen != m.gen || !cur.stamp.equal(m.stamp) {
			return
		}
	}
	nm := &bucketMeta{stamp: st, open: lv.mem.Open}
	if m != nil {
		nm.gen, nm.closed = m.gen, m.closed
	} else {
		var g [8]byte
		if _, err := rand.Read(g[:]); err != nil {
			return
		}
		nm.gen = binary.LittleEndian.Uint64(g[:])
	}
	for l, blocks := range lv.mem.Done {
		if len(blocks) == 0 {
			continue
		}
		f, err := s.fs.OpenFile(levelPath(dir, nm.gen, l), os.O_RDWR|os.O_CREATE, filePerm)
		if err != nil {
			return
		}
		buf := make([]byte, 0, len(blocks)*bucketRecSize)
		for _, b := range blocks {
			buf = pyramid.AppendRecord(buf, b)
		}
		off := nm.closed[l] * bucketRecSize
		_, werr := f.WriteAt(buf, off)
		if werr == nil {
			werr = f.Truncate(off + int64(len(buf)))
		}
		if cerr := f.Close(); werr != nil || cerr != nil {
			return
		}
		nm.closed[l] += int64(len(blocks))
	}
	tmp := filepath.Join(dir, "meta.tmp")
	f, err := s.fs.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, filePerm)
	if err != nil {
		return
	}
	_, werr := f.WriteAt(encodeBucketMeta(nm), 0)
	if cerr := f.Close(); werr != nil || cerr != nil || s.fs.Rename(tmp, filepath.Join(dir, "meta")) != nil {
		return
	}
	if m == nil { // remove the files of other generations
		ents, err := s.fs.ReadDir(dir)
		if err != nil {
			return
		}
		own := strconv.FormatUint(nm.gen, 16) + "."
		for _, e := range ents {
			if n := e.Name(); strings.Contains(n, ".") && !strings.HasPrefix(n, own) && n != "meta.tmp" {
				if err := s.fs.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return
				}
			}
		}
	}
}
