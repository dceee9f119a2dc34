package filestore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// lockRetry is how often a writer waiting for another process's lock
// tries again.
const lockRetry = 5 * time.Millisecond

// lockPath returns the lock file of run.
func (s *Store) lockPath(run string) string { return filepath.Join(s.dir, locksDir, run) }

// lockRun serialises writers of run: first among the goroutines of this
// Store, then among processes, with an exclusive flock on
// DIR/.locks/<run> (not on the data files, which overwrites replace). The
// returned function releases both.
//
// Deleting a run removes its lock file while holding the lock; a process
// that was waiting then holds a lock on a file no longer in the directory,
// so after locking, lockRun checks that the path still names the file it
// locked, and starts over when it does not.
func (s *Store) lockRun(ctx context.Context, run string) (unlock func(), err error) {
	_, unlock, err = s.lockRunFiles(ctx, run)
	return unlock, err
}

// lockRunFiles is lockRun that also returns the files the Store keeps
// open for run (runfiles.go), the caller's until it unlocks.
func (s *Store) lockRunFiles(ctx context.Context, run string) (rf *runFiles, unlock func(), err error) {
	s.mu.Lock()
	ch, ok := s.locks[run]
	if !ok {
		ch = make(chan struct{}, 1)
		s.locks[run] = ch
	}
	s.mu.Unlock()
	select {
	case ch <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, fmt.Errorf("filestore: wait for the write lock of run %q: %w", run, ctx.Err())
	}
	rf = s.takeFiles(run)
	for {
		same, err := rf.lock(ctx, s.lockPath(run))
		if err != nil {
			s.releaseFiles(run, rf)
			<-ch
			return nil, nil, fmt.Errorf("filestore: lock run %q: %w", run, err)
		}
		if same {
			break
		}
	}
	unlock = func() {
		rf.unlock()
		s.releaseFiles(run, rf)
		<-ch
	}
	// A move of the run to or from the trash that a crash cut is finished
	// before anyone writes the run (see trash.go).
	if err := s.finishMove(run); err != nil {
		unlock()
		return nil, nil, fmt.Errorf("filestore: finish the interrupted trash move of run %q: %w", run, err)
	}
	return rf, unlock, nil
}

// removeLock removes run's lock file, which the caller holds, once the run
// has no data or metadata file left.
func (s *Store) removeLock(run string) error {
	for _, k := range []fileKind{kindTraining, kindValidation} {
		if _, err := s.fs.Stat(s.path(k, run)); !errors.Is(err, fs.ErrNotExist) {
			return nil // the run still has data (or cannot be checked): keep the lock
		}
	}
	if _, err := s.fs.Stat(s.metaPath(run)); !errors.Is(err, fs.ErrNotExist) {
		return nil // the run still has metadata
	}
	if err := s.fs.Remove(s.lockPath(run)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("filestore: remove the lock file of deleted run %q: %w", run, err)
	}
	return nil
}

// writerActive reports whether a writer holds run's lock right now: bytes
// after a file's committed end are then most likely the append it is
// making, not the leftover of an interrupted one. It creates nothing (a
// read-only Store may call it) and never waits.
func (s *Store) writerActive(run string) bool {
	if _, err := os.Stat(s.lockPath(run)); err != nil {
		return false
	}
	fl := flock.New(s.lockPath(run), flock.SetFlag(os.O_RDONLY))
	locked, err := fl.TryRLock()
	_ = fl.Close() // releases the shared lock if taken
	return err == nil && !locked
}
