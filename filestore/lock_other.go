//go:build !unix

package filestore

import (
	"context"
	"errors"
	"io/fs"
	"os"

	"github.com/gofrs/flock"
)

// keepFilesOpen: elsewhere than Unix an open file can stop another process
// from renaming or removing it, so a Store opens a run's training file at
// every write call.
const keepFilesOpen = false

// runLock takes a run's lock with gofrs/flock, opening the lock file at
// every call.
type runLock struct{ fl *flock.Flock }

// lock takes an exclusive lock on the lock file at path, waiting for
// another process's lock until ctx ends, and reports whether path still
// names the file it locked; when not, it has released it and the caller
// tries again.
func (l *runLock) lock(ctx context.Context, path string) (same bool, err error) {
	l.fl = flock.New(path)
	locked, err := l.fl.TryLockContext(ctx, lockRetry)
	if err != nil || !locked {
		l.fl = nil
		if err == nil {
			err = ctx.Err()
		}
		return false, err
	}
	held, herr := l.fl.Stat()
	now, nerr := os.Stat(path)
	if herr == nil && nerr == nil && os.SameFile(held, now) {
		return true, nil
	}
	l.unlock()
	if nerr != nil && !errors.Is(nerr, fs.ErrNotExist) {
		return false, nerr
	}
	return false, nil
}

// unlock releases the lock and closes the lock file.
func (l *runLock) unlock() {
	if l.fl != nil {
		_ = l.fl.Close() // releases the flock; nothing was written through it
		l.fl = nil
	}
}

// close is unlock: nothing is kept between calls.
func (l *runLock) close() { l.unlock() }
