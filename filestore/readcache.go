package filestore

import (
	"errors"
	"io/fs"
	"os"
	"sync/atomic"

	"github.com/statstore/statstore/internal/fsutil"
)

// maxMaps bounds the training files a Store keeps memory-mapped at once.
const maxMaps = 32

// trainFile is what a Store keeps between calls about one run's training
// file, to read it fast: the iteration each block starts with and a memory
// map. It belongs to one file: the header's random id and the inode tell
// when the file has been replaced (an overwrite or a repair renames a new
// file into place), and a new trainFile is made. All fields are guarded by
// Store.mu; the index's slots are atomics, written by readers without it.
type trainFile struct {
	id  uint64
	fi  fs.FileInfo
	idx []atomic.Uint64 // per block: 1 + the iteration it starts with, 0 when not known
	// walks, per block: its chunks, once walked by a reader of the map;
	// as long as idx.
	walks []atomic.Pointer[blockWalk]
	m     *fileMap // nil: not mapped
	// noMap is set once mapping failed (a file of a test's I/O seam, a
	// platform without mmap, no address space): reads use ReadAt.
	noMap bool
	reads int // read calls so far
}

// firsts returns the file's index (block first iterations and walks) with
// room for at least nb blocks. A grown index is a copy: readers holding the
// old one keep using it.
func (tf *trainFile) firsts(nb int) ([]atomic.Uint64, []atomic.Pointer[blockWalk]) {
	if len(tf.idx) < nb {
		n := nb + nb/4 + 16
		idx := make([]atomic.Uint64, n)
		walks := make([]atomic.Pointer[blockWalk], n)
		for i := range tf.idx {
			idx[i].Store(tf.idx[i].Load())
			walks[i].Store(tf.walks[i].Load())
		}
		tf.idx, tf.walks = idx, walks
	}
	return tf.idx[:nb], tf.walks[:nb]
}

// blockWalk is what a reader of a file's memory map found in one complete
// block (one that lies wholly before the committed end, so that appends
// never change it): its chunks, from their headers, and which of them it
// has verified. A warm seek then neither walks the block's chunk headers
// nor checks a chunk's checksum again; a replaced file gets a new
// trainFile, and so a new index.
type blockWalk struct {
	chunks   []chunkRef // never changed once published
	verified []atomic.Bool
}

// fileMap is a memory map of a training file shared by a Store's readers.
// It is unmapped when it has been dropped (the file was replaced or grew
// past it, the run deleted, the Store closed, too many maps) and the last
// reader using it is done. refs and dead are guarded by Store.mu.
type fileMap struct {
	m    *fsutil.Mapping
	refs int
	dead bool
}

func (m *fileMap) bytes() []byte { return m.m.Bytes() }

// mapSize returns how much of a file whose committed records end at end to
// map: more than there is, so that the map serves later appends too.
func mapSize(end int64) int64 {
	const mib = 1 << 20
	return (end + end/8 + 4*mib + mib - 1) / mib * mib
}

// acquireTrainFile returns the Store's index of block first iterations and
// of block walks for run's training file in state snap (nil once the Store
// is closed) and,
// from the second read of the file on, its memory map, with a reference
// taken: releaseMap it. A first read uses ReadAt: a fresh map costs a page
// fault per page touched, more than reading the bytes once.
func (s *Store) acquireTrainFile(f fsutil.File, run string, snap *trainSnap) ([]atomic.Uint64, []atomic.Pointer[blockWalk], *fileMap) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tfiles == nil {
		return nil, nil, nil
	}
	tf := s.tfiles[run]
	if tf == nil || tf.id != snap.id || !os.SameFile(tf.fi, snap.fi) {
		if tf != nil {
			s.dropMap(tf)
		}
		tf = &trainFile{id: snap.id, fi: snap.fi}
		s.tfiles[run] = tf
	}
	idx, walks := tf.firsts(snap.l.NumBlocks(snap.end))
	if tf.m != nil && int64(len(tf.m.bytes())) < snap.end {
		s.dropMap(tf)
	}
	tf.reads++
	if tf.m == nil && !tf.noMap && tf.reads > 1 {
		// Mapping is one system call; page faults come later, when read.
		m, err := fsutil.Map(f, mapSize(snap.end))
		if err != nil {
			tf.noMap = true
			if !errors.Is(err, fsutil.ErrNoMap) {
				s.log.Debug("reading without a memory map", "run", run, "error", err)
			}
			return idx, walks, nil
		}
		s.evictMaps(tf)
		tf.m = &fileMap{m: m}
	}
	if tf.m != nil {
		tf.m.refs++
	}
	return idx, walks, tf.m
}

// releaseMap drops a reader's reference to m.
func (s *Store) releaseMap(m *fileMap) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m.refs--
	s.unmapIfDone(m)
}

// dropMap detaches tf's map; it is unmapped once no reader uses it.
// Store.mu must be held.
func (s *Store) dropMap(tf *trainFile) {
	if tf.m == nil {
		return
	}
	tf.m.dead = true
	s.unmapIfDone(tf.m)
	tf.m = nil
}

func (s *Store) unmapIfDone(m *fileMap) {
	if m.dead && m.refs == 0 {
		if err := m.m.Close(); err != nil {
			s.log.Warn("unmapping a training file", "error", err)
		}
	}
}

// evictMaps drops maps of other files than keep until there is room for
// one more. Store.mu must be held.
func (s *Store) evictMaps(keep *trainFile) {
	n := 0
	for _, tf := range s.tfiles {
		if tf.m != nil {
			n++
		}
	}
	for _, tf := range s.tfiles {
		if n < maxMaps {
			return
		}
		if tf != keep && tf.m != nil {
			s.dropMap(tf)
			n--
		}
	}
}

// forgetTrainFile drops the Store's cache entry for run's training file.
// Store.mu must be held.
func (s *Store) forgetTrainFile(run string) {
	if tf := s.tfiles[run]; tf != nil {
		s.dropMap(tf)
		delete(s.tfiles, run)
	}
}
