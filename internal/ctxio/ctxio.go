// Package ctxio makes long reads stop when their context is cancelled.
package ctxio

import (
	"context"
	"io"
)

// Reader returns r, but failing with ctx's error between reads once ctx is
// cancelled: a long copy or hash of a large file stops on Ctrl-C.
func Reader(ctx context.Context, r io.Reader) io.Reader { return reader{ctx, r} }

type reader struct {
	ctx context.Context
	r   io.Reader
}

func (c reader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
