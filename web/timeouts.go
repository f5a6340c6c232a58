package web

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// Default timeouts of the HTTP server.
const (
	// DefaultReadHeaderTimeout bounds reading a request's header.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultReadTimeout bounds reading a whole request, body included.
	DefaultReadTimeout = 60 * time.Second
	// DefaultWriteTimeout bounds answering a request, from its arrival to
	// the last byte of the response; event streams are exempt.
	DefaultWriteTimeout = 180 * time.Second
	// DefaultIdleTimeout bounds the wait for the next request on a
	// kept-alive connection.
	DefaultIdleTimeout = 120 * time.Second
	// DefaultStreamTimeout bounds an event stream from its start.
	DefaultStreamTimeout = 10 * time.Minute
	// DefaultStreamWriteTimeout bounds each write of an event stream: a
	// client that takes no data for that long has gone.
	DefaultStreamWriteTimeout = 30 * time.Second
)

// Timeouts bound the time a client may hold the server. Zero fields take
// the defaults.
type Timeouts struct {
	ReadHeader  time.Duration
	Read        time.Duration
	Write       time.Duration
	Idle        time.Duration
	Stream      time.Duration
	StreamWrite time.Duration
}

func (t Timeouts) withDefaults() Timeouts {
	t.ReadHeader = cmp.Or(t.ReadHeader, DefaultReadHeaderTimeout)
	t.Read = cmp.Or(t.Read, DefaultReadTimeout)
	t.Write = cmp.Or(t.Write, DefaultWriteTimeout)
	t.Idle = cmp.Or(t.Idle, DefaultIdleTimeout)
	t.Stream = cmp.Or(t.Stream, DefaultStreamTimeout)
	t.StreamWrite = cmp.Or(t.StreamWrite, DefaultStreamWriteTimeout)
	return t
}

// errRequestTimeout is the cause of the cancellation of a request that ran
// past the write timeout.
var errRequestTimeout = errors.New("the request took longer than the server allows")

// writeGrace is how long past the write timeout the connection stays
// writable, for the error response that says so.
const writeGrace = 5 * time.Second

// HTTPServer returns an http.Server for s with its header and idle
// timeouts; the read and write timeouts are set per request by s itself,
// so that event streams can lift them.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.cfg.Timeouts.ReadHeader,
		IdleTimeout:       s.cfg.Timeouts.Idle,
		MaxHeaderBytes:    64 << 10,
	}
}

// deadline is what a request's handler may do to its deadlines.
type deadline struct {
	rc    *http.ResponseController
	timer *time.Timer
	cfg   Timeouts
}

const deadlineKey = "ragd.deadline"

// deadlines gives each request a read deadline for its body and a write
// deadline for its response, and cancels its work when the write timeout
// passes: the client could not be answered anyway.
func (s *Server) deadlines(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		t := s.cfg.Timeouts
		r := c.Request()
		rc := http.NewResponseController(c.Response())
		now := time.Now()
		if r.ContentLength != 0 {
			// Errors mean a writer without deadlines (a recorder in
			// tests): nothing to bound.
			_ = rc.SetReadDeadline(now.Add(t.Read))
		}
		_ = rc.SetWriteDeadline(now.Add(t.Write + writeGrace))
		ctx, cancel := context.WithCancelCause(r.Context())
		defer cancel(nil)
		timer := time.AfterFunc(t.Write, func() { cancel(errRequestTimeout) })
		defer timer.Stop()
		c.SetRequest(r.WithContext(ctx))
		c.Set(deadlineKey, &deadline{rc: rc, timer: timer, cfg: t})
		return next(c)
	}
}

// bodyRead lifts the read deadline once the body is read: a deadline left
// pending would cancel the request when it passed.
func bodyRead(c echo.Context) {
	if d, ok := c.Get(deadlineKey).(*deadline); ok {
		_ = d.rc.SetReadDeadline(time.Time{})
	}
}

// streaming trades the request's write timeout for the stream's limits:
// the stream may last Stream, and each write StreamWrite.
func streaming(c echo.Context) (writeDeadline func()) {
	d, ok := c.Get(deadlineKey).(*deadline)
	if !ok {
		return func() {}
	}
	d.timer.Reset(d.cfg.Stream)
	return func() { _ = d.rc.SetWriteDeadline(time.Now().Add(d.cfg.StreamWrite)) }
}
