//go:build unix

package filestore

import (
	"context"
	"errors"
	"io/fs"
	"time"

	"golang.org/x/sys/unix"
)

// keepFilesOpen: on Unix a Store keeps a run's training file open between
// write calls (runFiles); an open file does not stop another process from
// renaming or removing it.
const keepFilesOpen = true

// runLock is the descriptor of a run's lock file that a Store keeps open
// between calls and takes the run's flock on: a call costs a flock, a stat
// and an unlock, not opening the file. (gofrs/flock, used elsewhere, closes
// its descriptor on every unlock.)
type runLock struct {
	fd       int
	dev, ino uint64 // the locked file's identity
	open     bool
}

// lock takes an exclusive flock on the lock file at path, opening (or
// creating) it first when no descriptor is kept, and waiting for another
// process's lock, retrying every lockRetry, until ctx ends. It reports
// whether path still names the file it locked; when not (the run was
// deleted meanwhile), it has closed the descriptor and the caller tries
// again.
func (l *runLock) lock(ctx context.Context, path string) (same bool, err error) {
	if !l.open {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return false, &fs.PathError{Op: "open", Path: path, Err: err}
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			_ = unix.Close(fd) // the stat's error is what matters
			return false, &fs.PathError{Op: "stat", Path: path, Err: err}
		}
		l.fd, l.dev, l.ino, l.open = fd, uint64(st.Dev), st.Ino, true
	}
	for {
		err := unix.Flock(l.fd, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			return false, &fs.PathError{Op: "flock", Path: path, Err: err}
		}
		t := time.NewTimer(lockRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			return false, ctx.Err()
		case <-t.C:
		}
	}
	var st unix.Stat_t
	err = unix.Stat(path, &st)
	if err == nil && uint64(st.Dev) == l.dev && st.Ino == l.ino {
		return true, nil
	}
	l.close()
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	return false, nil
}

// unlock releases the flock, keeping the descriptor for the next call; a
// descriptor that cannot be unlocked is closed, which releases it.
func (l *runLock) unlock() {
	if l.open && unix.Flock(l.fd, unix.LOCK_UN) != nil {
		l.close()
	}
}

// close closes the descriptor, which releases a flock still held.
func (l *runLock) close() {
	if l.open {
		_ = unix.Close(l.fd) // a lock file holds nothing to lose
		l.open = false
	}
}
