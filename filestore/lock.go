package filestore

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// lockRetry is how often a writer waiting for another process's lock
// tries again.
const lockRetry = 5 * time.Millisecond

// lockRun serialises writers of run: first among the goroutines of this
// Store, then among processes, with an exclusive flock on
// DIR/.locks/<run> (not on the data files, which overwrites replace). The
// returned function releases both.
func (s *Store) lockRun(ctx context.Context, run string) (unlock func(), err error) {
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
		return nil, fmt.Errorf("filestore: wait for the write lock of run %q: %w", run, ctx.Err())
	}
	fl := flock.New(filepath.Join(s.dir, locksDir, run))
	locked, err := fl.TryLockContext(ctx, lockRetry)
	if err != nil || !locked {
		<-ch
		if err == nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("filestore: lock run %q: %w", run, err)
	}
	return func() {
		_ = fl.Close() // releases the flock; nothing was written through it
		<-ch
	}, nil
}
