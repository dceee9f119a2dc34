package filestore

import (
	"cmp"
	"io/fs"
	"os"
	"slices"

	"github.com/statstore/statstore/internal/fsutil"
)

// maxOpenRuns bounds the runs whose files a Store keeps open between write
// calls; the least recently written beyond it are closed.
const maxOpenRuns = 64

// maxKeptBuf bounds an append's encoding buffer that a Store keeps for the
// run's next append.
const maxKeptBuf = 1 << 20

// runFiles are what a Store keeps open between the write calls of one run,
// so that storing a checkpoint costs its write and fsync rather than
// opening files: the descriptor of the run's lock file, which its flock is
// taken on (lock_unix.go), its training and summary files opened for
// writing, and the buffers an append encodes into.
//
// Nothing kept is trusted without a check at each use: lockRun checks that
// the lock file's path still names the file it locked; trainWriteLog that
// the training file's path still names the open file (and the recordLog's
// look then reads its header and last chunk, as for a file just opened);
// writeSummaryFile that the summary's path still names the open file, with
// no other link. A file another process (or this one) replaced, renamed,
// linked or removed is closed and opened again.
//
// Only the goroutine holding the run's lock uses a runFiles; Store.mu
// guards the Store's map of them and busy.
type runFiles struct {
	runLock
	train   fsutil.File // nil when not open
	trainFI fs.FileInfo // train's identity (inode)
	sum     fsutil.File // the run's summary file, nil when not open
	sumFI   fs.FileInfo // sum's identity
	payload []byte      // the last append's payload encoding, reused
	rec     []byte      // the last append's record encoding, reused
	busy    bool        // a call holds the run's lock
	used    uint64      // Store.filesClock when last released
}

// close closes the kept files (releasing the lock file's flock).
func (rf *runFiles) close() {
	rf.closeTrain()
	rf.closeSum()
	rf.runLock.close()
}

// closeSum closes the kept summary file.
func (rf *runFiles) closeSum() {
	if rf.sum != nil {
		_ = rf.sum.Close() // a summary is a cache: its reader checks it
		rf.sum, rf.sumFI = nil, nil
	}
}

// closeTrain closes the kept training file.
func (rf *runFiles) closeTrain() {
	if rf.train != nil {
		_ = rf.train.Close() // nothing written since its last fsync is pending
		rf.train, rf.trainFI = nil, nil
	}
}

// keep keeps buf for the next append of the run when it is not too large.
func keep(buf []byte) []byte {
	if cap(buf) > maxKeptBuf {
		return nil
	}
	return buf[:0]
}

// takeFiles returns run's kept files, marked busy (new ones when none are
// kept). The caller holds the run's in-process lock.
func (s *Store) takeFiles(run string) *runFiles {
	s.mu.Lock()
	defer s.mu.Unlock()
	rf := s.files[run]
	if rf == nil {
		rf = &runFiles{}
		if s.files != nil {
			s.files[run] = rf
		}
	}
	rf.busy = true
	return rf
}

// releaseFiles marks run's files rf no longer busy and closes what the
// Store no longer keeps: rf itself once the Store is closed, and the least
// recently used runs' files beyond maxOpenRuns.
func (s *Store) releaseFiles(run string, rf *runFiles) {
	var drop []*runFiles
	s.mu.Lock()
	rf.busy = false
	s.filesClock++
	rf.used = s.filesClock
	if s.files == nil || s.files[run] != rf {
		drop = append(drop, rf)
	} else if len(s.files) > maxOpenRuns {
		drop = s.evictFilesLocked(len(s.files) - maxOpenRuns)
	}
	s.mu.Unlock()
	for _, d := range drop {
		d.close()
	}
}

// evictFilesLocked removes up to n of the least recently used idle runs'
// files from the Store's map and returns them for closing. The caller
// holds s.mu.
func (s *Store) evictFilesLocked(n int) []*runFiles {
	type idle struct {
		run string
		rf  *runFiles
	}
	var cands []idle
	for run, rf := range s.files {
		if !rf.busy {
			cands = append(cands, idle{run, rf})
		}
	}
	slices.SortFunc(cands, func(a, b idle) int { return cmp.Compare(a.rf.used, b.rf.used) })
	var out []*runFiles
	for _, c := range cands[:min(n, len(cands))] {
		delete(s.files, c.run)
		out = append(out, c.rf)
	}
	return out
}

// closeFilesLocked closes every idle run's kept files and stops keeping
// any (Close); busy ones are closed when their call releases them. The
// caller holds s.mu.
func (s *Store) closeFilesLocked() {
	for _, rf := range s.files {
		if !rf.busy {
			rf.close()
		}
	}
	s.files = nil
}

// trainWriteLog returns run's training log opened for writing (nil when
// the run has none): through the descriptor rf keeps when the path still
// names that file, else opened, and kept when keepFilesOpen. The caller
// holds the run's lock and ends with doneTrainLog. now is the training
// file's stamp the caller took under the lock (nil: not taken, or no
// file), which saves a look at the path.
func (s *Store) trainWriteLog(rf *runFiles, run string, now *fileStamp) (*recordLog, error) {
	if rf.train != nil {
		same := now != nil && now.Inode == inodeOf(rf.trainFI) && now.Inode != 0
		if now == nil {
			fi, err := s.fs.Stat(s.path(kindTraining, run))
			same = err == nil && os.SameFile(fi, rf.trainFI)
		}
		if same {
			return &recordLog{s: s, kind: kindTraining, run: run, f: rf.train}, nil
		}
		rf.closeTrain() // replaced, removed or unreadable: openLog says which
	}
	lg, err := s.openLog(kindTraining, run, true)
	if err != nil || lg == nil || !keepFilesOpen {
		return lg, err
	}
	fi, err := lg.f.Stat()
	if err != nil {
		return lg, nil // not kept: closed by doneTrainLog
	}
	rf.train, rf.trainFI = lg.f, fi
	return lg, nil
}

// doneTrainLog ends the use of a log trainWriteLog returned: a kept file
// stays open unless the call failed (the next call opens it afresh); any
// other is closed, its error kept in *err.
func (rf *runFiles) doneTrainLog(lg *recordLog, err *error) {
	if rf.train != nil && lg.f == rf.train {
		if *err != nil {
			rf.closeTrain()
		}
		return
	}
	lg.close(err)
}
