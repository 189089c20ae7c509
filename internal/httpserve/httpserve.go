// Package httpserve runs an http.Server until its context ends, then shuts it down
// gracefully: the one way the daemon's small HTTP endpoints (metrics, verification
// page) are served.
package httpserve

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// shutdownGrace bounds how long requests in flight may finish after ctx ends.
const shutdownGrace = 5 * time.Second

// Serve serves srv on ln until ctx ends; a normal shutdown returns nil.
func Serve(ctx context.Context, ln net.Listener, srv *http.Server) error {
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
