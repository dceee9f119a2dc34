package httpapi

import (
	"net/http"
	"time"
)

// Timeouts of NewHTTPServer, against slow or stuck clients.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 5 * time.Minute // a full history of 10^6 iterations is ~60 MB
	writeTimeout      = 5 * time.Minute // event streams extend their own deadline
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
)

// NewHTTPServer returns an http.Server for h on addr (host:port; the serve
// command binds 127.0.0.1 unless told otherwise) with timeouts against slow
// clients: 10 s to send the headers, 5 minutes to send a body or receive an
// answer, 2 minutes idle between requests, and 64 KiB of headers. When h is a
// *Server, its Close is registered with RegisterOnShutdown so that
// Shutdown ends the event streams and then waits for the writes in flight.
func NewHTTPServer(addr string, h http.Handler) *http.Server {
	srv := &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
	}
	if s, ok := h.(*Server); ok {
		srv.RegisterOnShutdown(func() { s.Close() })
	}
	return srv
}
