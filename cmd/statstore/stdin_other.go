//go:build !unix

package main

import (
	"context"
	"io"
)

// contextReader returns a reader of r whose reads end with the context's
// error once ctx is cancelled. Without poll(2), a read already waiting
// for input ends only when input comes (or with the process).
func contextReader(ctx context.Context, r io.Reader) io.Reader {
	return &ctxReader{ctx: ctx, r: r}
}
