//go:build unix

package main

import (
	"context"
	"errors"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// pollMillis is how long one wait for input lasts before the reader looks
// at its context again: the most a cancelled read keeps waiting.
const pollMillis = 100

// contextReader returns a reader of r whose reads end with the context's
// error once ctx is cancelled, even while they wait for input that never
// comes (a pipe or terminal nobody writes to): for an *os.File it waits
// with poll(2), so no read is left blocked behind.
func contextReader(ctx context.Context, r io.Reader) io.Reader {
	f, ok := r.(*os.File)
	if !ok {
		return &ctxReader{ctx: ctx, r: r}
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return &ctxReader{ctx: ctx, r: r}
	}
	fd := -1
	if err := rc.Control(func(u uintptr) { fd = int(u) }); err != nil || fd < 0 {
		return &ctxReader{ctx: ctx, r: r}
	}
	return &pollReader{ctx: ctx, f: f, fd: fd}
}

// pollReader reads f once poll(2) says it is readable (or at end of
// input), checking ctx between waits.
type pollReader struct {
	ctx context.Context
	f   *os.File
	fd  int
}

func (r *pollReader) Read(p []byte) (int, error) {
	for {
		if r.ctx.Err() != nil {
			return 0, context.Cause(r.ctx)
		}
		fds := []unix.PollFd{{Fd: int32(r.fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, pollMillis)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil, n > 0:
			// Readable, at end of input, or a file poll cannot wait
			// for (the read then blocks as it would have).
			return r.f.Read(p)
		}
	}
}
