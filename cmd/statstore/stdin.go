package main

import (
	"context"
	"io"
)

// ctxReader reads r, failing with the context's cause once ctx is
// cancelled (checked before every read).
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r *ctxReader) Read(p []byte) (int, error) {
	if r.ctx.Err() != nil {
		return 0, context.Cause(r.ctx)
	}
	return r.r.Read(p)
}

// input returns the command's standard input, read so that cancelling ctx
// (SIGINT, SIGTERM) ends a read waiting for input.
func (a *App) input(ctx context.Context) io.Reader {
	return contextReader(ctx, a.stdin())
}
